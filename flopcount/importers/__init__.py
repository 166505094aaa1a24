"""Importers: training recipes and finished runs turned into flopcount run plans.

Each importer is a small module registered here with a `sniff(path) -> bool` that
recognises its input from the file's (or folder's) shape and an `import_(path, **flags)`
that returns an `Imported`: the plan as a plain mapping (what `flopcount import` prints as
YAML and `estimate`/`record` read), where each field came from, and notes. Nothing is
unpickled: files that are pickles are refused by name.
"""
from .base import Imported, Importer  # noqa: F401
from .registry import PICKLE_SUFFIXES, _registry, find  # noqa: F401
from .identify import import_path  # noqa: F401
