"""Import paths from before the layer folders (issue 25): `flopcount.monitor`,
`flopcount.estimate`, `flopcount.record`, ... keep working.

A finder at the end of `sys.meta_path` answers only for the names in `MOVED` (which no
file on disk provides any more) and hands back the module at its new path, the same module
object, so `flopcount.record is flopcount.records.record` and patching one patches both.
New code imports the new paths; `tests/test_layout.py` checks every entry resolves.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: old module -> its home now (prefixes: `flopcount.importers.x` follows `flopcount.importers`).
MOVED = {
    "flopcount.errors": "flopcount.boundary.errors",
    "flopcount.fields": "flopcount.boundary.fields",
    "flopcount.strict": "flopcount.boundary.strict",
    "flopcount.numbers": "flopcount.boundary.numbers",
    "flopcount.spec": "flopcount.model.spec",
    "flopcount.blocks": "flopcount.model.blocks",
    "flopcount.configs": "flopcount.inputs.configs",
    "flopcount.fallback": "flopcount.measure.fallback",
    "flopcount.estimate": "flopcount.law.estimate",
    "flopcount.planning": "flopcount.count.grid",
    "flopcount.energy": "flopcount.hardware.energy",
    "flopcount.detect": "flopcount.hardware.detect",
    "flopcount.thresholds": "flopcount.law.thresholds",
    "flopcount.plan": "flopcount.inputs.plan",
    "flopcount.record": "flopcount.records.record",
    "flopcount.report": "flopcount.records.report",
    "flopcount.render": "flopcount.records.render",
    "flopcount.plot": "flopcount.records.plot",
    "flopcount.status": "flopcount.records.status",
    "flopcount.documentation": "flopcount.records.form",
    "flopcount.suite": "flopcount.records.suite",
    "flopcount.suite_page": "flopcount.records.suite_page",
    "flopcount.monitor": "flopcount.run",
    "flopcount.law.facts": "flopcount.inputs.facts",
    "flopcount.readers": "flopcount.model.readers",
    "flopcount.peft": "flopcount.model.peft",
    "flopcount.formulas": "flopcount.model.formulas",
    "flopcount.lora": "flopcount.model.lora",
    "flopcount.import_cli": "flopcount.cli.imports",
    "flopcount.measure_cli": "flopcount.cli.measure",
    "flopcount.plot_cli": "flopcount.cli.plot",
    "flopcount.record_cli": "flopcount.cli.record",
    "flopcount.obligations_cli": "flopcount.cli.obligations",
    "flopcount.suite_cli": "flopcount.cli.suite",
}


def new_name(name: str) -> str | None:
    """The module an old dotted name now lives at, or None when it did not move."""
    parts = name.split(".")
    for i in range(len(parts), 1, -1):
        home = MOVED.get(".".join(parts[:i]))
        if home is not None:
            return ".".join([home, *parts[i:]])
    return None


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads an old name by importing the new one and putting that module in its place
    (the import system returns whatever `sys.modules[name]` holds after `exec_module`)."""

    def find_spec(self, name, path=None, target=None):  # noqa: D102 (importlib protocol)
        return importlib.util.spec_from_loader(name, self) if new_name(name) else None

    def create_module(self, spec):  # noqa: D102
        return None

    def exec_module(self, module: ModuleType) -> None:  # noqa: D102
        sys.modules[module.__name__] = importlib.import_module(new_name(module.__name__))


def install() -> None:
    """Append the finder once (last, so any real module of that name would win)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())


def bind(name: str) -> None:
    """Register an old path now, for a name that is also a function of `flopcount`
    (`flopcount.estimate`): importing the old path later then finds it bound and leaves
    the package attribute, the function, as it is (the import system would replace it)."""
    sys.modules.setdefault(name, importlib.import_module(new_name(name)))
