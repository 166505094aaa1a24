"""Where a suite's models come from besides a suite file: a folder (one model per recipe,
config or plan), a text list of Hugging Face model ids with revisions (read from the local
cache only: peft.revision_config), and what a recipe's framework says of the checkpoints
it saves. Each becomes the mapping, or the entry fields, a suite file would give.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..boundary.errors import InputError
from ..boundary.fields import Fields, load_mapping
from ..inputs.plan import is_plan
from .suite_types import SUITE_KEY

#: A Hugging Face model id with an optional revision (a branch, tag or commit): ORG/NAME@REVISION.
HF_REF = re.compile(r"^(?P<id>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<rev>[\w.-]+))?$")
#: A revision that names its checkpoint's step, as Pythia's and OLMo's branches do (step3000).
STEP_REVISION = re.compile(r"^step(\d+)$")
#: What a list of model ids is not: the suffixes of suite files, plans and configs.
MAPPING_SUFFIXES = (".yml", ".yaml", ".json", ".toml")


def _recipe_steps(path: Path, last: int | None = None) -> np.ndarray | None:
    """The checkpoints a recipe saves, where its framework says (GPT-NeoX)."""
    from ..importers import find
    importer = find(path)
    if importer is not None and importer.name == "gpt-neox":
        from ..importers.neox import save_steps
        return np.array(save_steps(path), dtype=np.int64)
    if importer is not None and importer.name == "olmo" and last is not None:
        from ..importers import olmo
        return np.array(olmo.save_steps(path, last), dtype=np.int64)
    return None


def _is_olmo(path: Path) -> bool:
    from ..importers import find
    importer = find(path)
    return importer is not None and importer.name == "olmo"


def _hf_revisions(entry: Fields) -> tuple[str, list[str]]:
    """`hf: ORG/NAME@REVISION`, or a list of them (one model id): the id and its revisions
    (`main` where none is given), in the order given."""
    raw = entry.raw("hf")
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise entry.error("hf", "must be ORG/NAME@REVISION or a list of them")
    ids, revisions = [], []
    for item in items:
        m = HF_REF.match(item.strip())
        if m is None:
            raise entry.error("hf", f"{item!r} is not a Hugging Face model id ORG/NAME@REVISION")
        ids.append(m["id"])
        revisions.append(m["rev"] or "main")
    if len(set(ids)) > 1:
        raise entry.error("hf", f"one model id per model, got {', '.join(dict.fromkeys(ids))}")
    return ids[0], list(dict.fromkeys(revisions))


def _hf_config(entry: Fields, model_id: str, revisions: list[str]) -> tuple[Path, list[int | None], str]:
    """The config.json of every revision, from the local Hugging Face cache only (peft's
    `revision_config`: never the network); one model is one architecture, so the revisions'
    configs must agree. Returns the config, each revision's step (from `stepN`, else None)
    and a note saying where it was read."""
    from ..model.peft import revision_config
    configs = [revision_config(model_id, r) for r in revisions]
    first = load_mapping(configs[0])
    for rev, path in zip(revisions[1:], configs[1:]):
        if load_mapping(path) != first:
            raise entry.error("hf", f"{model_id}@{rev} has another config.json than @{revisions[0]}: one model is "
                              "one architecture")
    steps = [int(m[1]) if (m := STEP_REVISION.match(r)) else None for r in revisions]
    note = (f"config.json of {model_id} at {', '.join(revisions)} from the local Hugging Face cache "
            f"({configs[0].parent.parent.parent})")
    return configs[0], steps, note



def _default_name(entry: Fields) -> str:
    if entry.has("hf"):
        m = HF_REF.match(str(entry.raw("hf") if isinstance(entry.raw("hf"), str) else (entry.raw("hf") or [""])[0]))
        return m["id"].rsplit("/", 1)[-1] if m else ""
    return Path(str(entry.raw("recipe", entry.raw("config", entry.raw("plan", ""))))).stem


def _hf_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each line that is not blank or a # comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [(n, t) for n, line in enumerate(text.splitlines(), 1) if (t := line.split("#", 1)[0].strip())]


def _is_hf_list(path: Path) -> bool:
    """A plain-text file whose every line is a model id (ORG/NAME@REVISION)."""
    if not path.is_file() or path.suffix.lower() in MAPPING_SUFFIXES:
        return False
    lines = _hf_lines(path)
    return bool(lines) and all(HF_REF.match(t) for _, t in lines)


def _hf_list(path: Path) -> dict:
    """A list of model ids as a suite: one model per id, its revisions (in the order
    listed) its checkpoints; named by the id's NAME, or the whole id where two share one."""
    by_id: dict[str, list[str]] = {}
    for _, text in _hf_lines(path):
        by_id.setdefault(HF_REF.match(text)["id"], []).append(text)   # type: ignore[index]
    short = [i.rsplit("/", 1)[-1] for i in by_id]
    models = [{"name": s if short.count(s) == 1 else i, "hf": refs}
              for (i, refs), s in zip(by_id.items(), short)]
    return {SUITE_KEY: 1, "name": path.stem, "models": models}


def _folder(path: Path) -> dict:
    """A folder as a suite: each recipe, config or plan file (sorted by name) one model."""
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".yml", ".yaml", ".json",
                                                                                       ".toml", ".sh"))
    if not files:
        raise InputError("no recipe, config or plan files (.yml, .yaml, .json, .toml, .sh) in this folder",
                         source=str(path))
    models = []
    for p in files:
        kind = "recipe"
        if p.suffix.lower() in (".json", ".yaml", ".yml"):
            from ..importers import find
            if find(p) is None:
                data = load_mapping(p)  # a malformed file is named here
                kind = "plan" if is_plan(data) else "config"
        models.append({"name": p.stem, kind: p.name})
    return {SUITE_KEY: 1, "name": path.name, "models": models}
