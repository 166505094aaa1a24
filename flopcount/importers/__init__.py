"""Importers: training recipes and finished runs turned into flopcount run plans.

Each importer is a small module registered here with a `sniff(path) -> bool` that
recognises its input from the file's (or folder's) shape and an `import_(path, **flags)`
that returns an `Imported`: the plan as a plain mapping (what `flopcount import` prints as
YAML and `estimate`/`record` read), where each field came from, and notes. Nothing is
unpickled: files that are pickles are refused by name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..boundary.errors import InputError

if TYPE_CHECKING:
    from .recipe import Flags


@dataclass
class Imported:
    plan: dict[str, Any]
    trace: dict[str, str] = field(default_factory=dict)   # plan field -> the key it came from
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Importer:
    name: str
    sniff: Callable[[Path], bool]
    read: Callable[..., Imported]


def _registry() -> list[Importer]:
    """Importers in sniffing order: the most specific shapes first."""
    from . import axolotl, hf_run, ledger, lightning_log, llamafactory, maxtext, megatron, megatron_bridge, nemo1, nemo_rl, neox, olmo, torchtitan, torchtitan_registry, trl
    return [Importer("hf-trainer-run", hf_run.sniff, hf_run.import_),
            Importer("flopcount-ledger", ledger.sniff, ledger.import_),
            Importer("lightning-log", lightning_log.sniff, lightning_log.import_),
            Importer("torchtitan", torchtitan.sniff, torchtitan.import_),
            Importer("torchtitan-registry", torchtitan_registry.sniff, torchtitan_registry.import_),
            Importer("megatron", megatron.sniff, megatron.import_),
            Importer("megatron-functional-test", megatron.sniff_functional, megatron.import_functional),
            Importer("gpt-neox", neox.sniff, neox.import_),
            Importer("olmo", olmo.sniff, olmo.import_),
            Importer("maxtext", maxtext.sniff, maxtext.import_),
            Importer("maxtext-script", maxtext.sniff_script, maxtext.import_script),
            Importer("nemo1", nemo1.sniff, nemo1.import_),
            Importer("nemo-rl", nemo_rl.sniff, nemo_rl.import_),
            Importer("megatron-bridge", megatron_bridge.sniff, megatron_bridge.import_),
            Importer("axolotl", axolotl.sniff, axolotl.import_),
            Importer("llama-factory", llamafactory.sniff, llamafactory.import_),
            Importer("trl", trl.sniff, trl.import_)]


def find(path: str | Path) -> Importer | None:
    """The importer whose sniff recognises `path` (None: not an importable recipe or run)."""
    p = Path(path)
    return next((imp for imp in _registry() if imp.sniff(p)), None)


#: Suffixes of files torch and the Trainer write with pickle (training_args.bin, *.pt).
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle")


def import_path(path: str | Path, flags: "Flags | None" = None) -> Imported:
    """The import of a recipe or run; anything else gets the one line `identify` gives it
    (the same line `estimate` and `record` give)."""
    from .identify import identify
    from .recipe import Flags
    found = identify(path)
    if found.importer is None:
        raise InputError(f"a {found.name}: nothing to import; `flopcount estimate` and `record --plan` read it "
                         "directly", source=str(path))
    return found.importer.read(Path(path), flags or Flags())
