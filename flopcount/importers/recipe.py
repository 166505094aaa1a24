"""What every recipe importer shares: flat keys read once each, traced, and a plan built.

A training recipe (torchtitan TOML, Megatron arguments, MaxText/Axolotl/LLaMA-Factory/TRL
YAML, TrainingArguments JSON) is flattened to dotted keys (`training.steps`). Importers read
the keys that decide the FLOP count through `Recipe`; each read is recorded as the origin of
the plan field it fills, and every key nobody read is listed in one note, so a user sees
what was ignored instead of guessing. Numbers go through the same strict parser as configs.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..boundary.errors import InputError
from ..boundary.fields import _MISSING, Fields, load_mapping
from ..boundary.numbers import parse_count
from .base import Imported


IGNORED_SHOWN = 12  # ignored keys named in the note; the rest counted (a note, not a listing)


@dataclass(frozen=True)
class Flags:
    """Numbers a recipe may not hold, given on the command line (each names its flag in
    the message that asks for it)."""

    seq_len: str | None = None
    tokens: str | None = None
    kind: str | None = None
    gpus: str | None = None          # devices in the run (torchtitan's -1 degrees, MaxText, fine-tuning)
    samples: str | None = None       # dataset size in samples, for epoch-based recipes
    dataset_tokens: str | None = None  # the dataset's tokens per epoch, for recipes that pack samples
    base_config: str | None = None   # the base model's config.json, for fine-tuning recipes
    vocab_size: str | None = None    # Megatron: the tokenizer's vocabulary (not in the arguments)
    trainer: str | None = None       # TRL: which trainer a config is for, where its keys do not say

    def count(self, name: str) -> int | None:
        value = getattr(self, name)
        return None if value is None else parse_count(value, "--" + name.replace("_", "-"))


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists stay values."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


class Recipe(Fields):
    """A recipe's settings as flat dotted keys; reads are remembered for the trace."""

    def __init__(self, data: Mapping[str, Any], source: str, framework: str,
                 defaults: Mapping[str, Any] | None = None):
        super().__init__(flatten(data), source)
        self.framework = framework
        self.defaults = dict(defaults or {})   # the framework's own values for keys left out
        self.read: set[str] = set()
        self.trace: dict[str, str] = {}

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self.read.add(name)
        if name not in self.data and name in self.defaults:
            return self.defaults[name]
        return super().raw(name, default)

    def to(self, plan_field: str, *origins: str, sep: str = " × ") -> None:
        """Record that `plan_field` came from `origins` (keys of this recipe or flags); a key
        the recipe leaves out is named with the framework default it took."""
        self.trace[plan_field] = sep.join(
            f"{o} ({self.framework} default {self.defaults[o]})" if o not in self.data and o in self.defaults else o
            for o in origins)

    def missing(self, what: str, keys: str, flag: str | None = None) -> InputError:
        """The one line for an essential the recipe lacks: the key to add, or the flag."""
        fix = f"add {keys}" + (f" or pass {flag}" if flag else "")
        return InputError(f"no {what} in this {self.framework} recipe: {fix}", source=self.source)

    def imported(self, name: str, model: dict, seq_len: int | None, phases: list[dict], notes: list[str]) -> Imported:
        """The finished import: the plan, this recipe's trace, and the notes with the note of
        ignored keys last (computed now, after every read)."""
        ignored = self.ignored_note()
        return Imported(plan=run_plan(name, model, seq_len, *phases), trace=self.trace,
                        notes=notes + ([ignored] if ignored else []))

    def ignored_note(self) -> str | None:
        """One note naming the keys not read, grouped by their top-level section."""
        unread = [k for k in self.data if k not in self.read]
        if not unread:
            return None
        groups: dict[str, int] = {}
        for key in unread:
            head = key.split(".")[0]
            groups[head] = groups.get(head, 0) + 1
        names = [f"{h}.* ({n})" if n > 1 or h not in unread else h for h, n in groups.items()]
        shown = ", ".join(names[:IGNORED_SHOWN]) + (f" and {len(names) - IGNORED_SHOWN} more"
                                                    if len(names) > IGNORED_SHOWN else "")
        return (f"{len(unread)} {self.framework} keys ignored (they do not change the FLOP count flopcount "
                f"derives, or are not modelled): {shown}")


def run_plan(name: str, model: dict, seq_len: int | None, *phases: dict) -> dict:
    """A run plan mapping (what `flopcount import` prints and `estimate` reads); no seq_len
    when the source holds none (the plan then states the length it assumes)."""
    length = {} if seq_len is None else {"seq_len": seq_len}
    return {"flopcount_plan": 1, "name": name, "model": model, **length, "phases": list(phases)}


def yaml_mapping(path: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> dict | None:
    """The mapping a .yaml/.yml (or other `suffixes`) file holds, for sniffing (None: another
    kind of file or unreadable; the importer that claims the file re-reads it and names any
    problem). Parsed once per file version however many sniffers ask; read-only to them."""
    if not path.is_file() or path.suffix.lower() not in suffixes:
        return None
    stat = path.stat()
    return _sniffed(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _sniffed(path: str, mtime_ns: int, size: int) -> dict | None:
    try:
        return load_mapping(path)
    except InputError:
        return None
