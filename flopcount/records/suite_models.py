"""One suite model resolved: its entry read to a one-run plan (a recipe through its
importer, a plan, a config.json given or from the Hugging Face cache), the suite's facts
under the plan's own, estimated once at the run's last step (the same paths `flopcount
estimate` takes), and its checkpoints (given, named by its revisions, or where its recipe
saves).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..data import assumptions
from ..boundary.errors import InputError
from ..boundary.fields import Fields, load_mapping
from ..law.estimate import estimate
from ..inputs.plan import is_plan, plan_from_mapping
from .suite_lineage import _chain, _soup
from .suite_sources import _hf_config, _hf_revisions, _is_olmo, _recipe_steps
from .suite_types import Checkpoints, Model, read_checkpoints

MODEL_FIELDS = ("name", "recipe", "config", "plan", "hf", "gpus", "vocab_size", "seq_len", "tokens_per_step", "steps",
                "checkpoints", "kind", "from", "soup")
#: A plan's top-level fields a suite's `release:` may give (the rest go under the plan's `release:`).
PLAN_TOP = ("modalities", "placed_on_market", "released")
INT64_MAX = np.iinfo(np.int64).max


def resolve_model(entry: Fields, base_dir: Path, defaults: Mapping[str, Any], checkpoints: Checkpoints | None,
                  release: Mapping[str, Any], models: Mapping[str, Model] | None = None, *,
                  provider: Mapping[str, Any] | None = None, deploys: Any = None) -> Model:
    entry.only(MODEL_FIELDS)
    models = models or {}
    if entry.has("soup"):
        extra = [k for k in MODEL_FIELDS if entry.has(k) and k not in ("name", "soup")]
        if extra or not entry.has("name"):
            raise entry.error(extra[0] if extra else "name", "a soup has a name and its soup list only")
        return _soup(entry, models)
    kinds = [k for k in ("recipe", "config", "plan", "hf") if entry.has(k)]
    if len(kinds) != 1:
        raise entry.error(None, "give exactly one of recipe, config, plan or hf")
    read = _read(entry, kinds[0], base_dir, defaults)
    source = str(read.path)
    phase = _single_phase(read.mapping, source)
    mapping = _with_defaults(read.mapping, release, provider or {}, deploys)
    plan = plan_from_mapping(mapping, source, read.plan_dir)
    last, per = _step_tokens(phase, plan.seq_len, entry, source)
    if entry.has("steps") and kinds[0] not in ("config", "hf") and entry.count("steps") != last:
        raise entry.error("steps", f"{entry.count('steps'):,} contradicts the run's {last:,} steps")
    if last * per > INT64_MAX:
        raise entry.error(None, f"{last * per:,} tokens do not fit the table's int64 tokens column")
    builds_on = ""
    if entry.has("from"):
        plan, builds_on, more = _chain(entry, read.path if kinds[0] == "recipe" else None, plan, models)
        read.notes += more
    result = estimate(plan)
    if result.phases[-1].phase.tokens != last * per:
        raise entry.error(None, f"steps × tokens per step = {last * per:,} differs from the run's "
                          f"{result.phases[-1].phase.tokens:,} tokens")
    steps = _checkpoint_steps(entry, read, checkpoints, last, source)
    return Model(read.name, source, result, last, per, steps, tuple(read.notes), builds_on)


@dataclass
class _Read:
    """A model entry read to a one-run plan mapping, with what its source says of its
    checkpoints: the steps a recipe saves at, or the steps its Hugging Face revisions name."""

    path: Path
    name: str
    mapping: dict
    plan_dir: Path
    notes: list[str] = field(default_factory=list)
    own_steps: np.ndarray | None = None          # where the recipe saves
    model_id: str = ""                           # hf: the model id,
    revisions: list[str] = field(default_factory=list)   # its revisions
    rev_steps: list[int | None] = field(default_factory=list)   # and the step each names (stepN), else None


def _read(entry: Fields, kind: str, base_dir: Path, defaults: Mapping[str, Any]) -> _Read:
    """The entry's recipe, plan or config (given, or `hf:` from the local cache) as a plan mapping."""
    model_id, revisions, rev_steps, hf_note = "", [], [], ""
    if kind == "hf":
        model_id, revisions = _hf_revisions(entry)
        path, rev_steps, hf_note = _hf_config(entry, model_id, revisions)
        name = entry.text("name", model_id.rsplit("/", 1)[-1])
    else:
        path = base_dir / entry.text(kind)
        name = entry.text("name", path.stem)
    value = {**defaults, **{k: entry.raw(k) for k in ("gpus", "vocab_size", "seq_len", "kind") if entry.has(k)}}
    own_steps = None
    if kind == "recipe":
        mapping, notes, own_steps = _read_recipe(entry, path, value)
        plan_dir = path.resolve().parent
    elif kind == "plan":
        mapping, notes = load_mapping(path), []
        if not is_plan(mapping):
            raise InputError("not a run plan (no flopcount_plan: 1)", source=str(path))
        plan_dir = path.resolve().parent
    else:   # a config.json: given, or from the Hugging Face cache
        mapping, plan_dir, notes = _read_config(entry, path, name, value, kind == "hf", hf_note)
    return _Read(path, name, mapping, plan_dir, notes, own_steps, model_id, revisions, rev_steps)


def _read_recipe(entry: Fields, path: Path, value: dict) -> tuple[dict, list[str], np.ndarray | None]:
    """A framework's recipe through its importer: the plan mapping, the importer's notes and
    the steps the recipe saves at (where its framework says)."""
    from ..importers import import_path
    from ..importers.recipe import Flags
    flags = Flags(**{k: None if v is None else str(v) for k, v in value.items()})
    if path.is_file() and _is_olmo(path):   # its length may be epochs of data: the entry's steps
        from ..importers import olmo
        imported = olmo.import_(path, flags, steps=entry.count("steps") if entry.has("steps") else None)
    else:
        imported = import_path(path, flags)
    mapping = dict(imported.plan)
    return mapping, list(imported.notes), _recipe_steps(path, _phase_steps(mapping))


def _read_config(entry: Fields, path: Path, name: str, value: dict, cached: bool,
                 hf_note: str) -> tuple[dict, Path, list[str]]:
    """A config.json says nothing of the run: one phase of tokens_per_step × steps tokens."""
    if not (entry.has("tokens_per_step") and entry.has("steps")):
        raise entry.error("tokens_per_step" if not entry.has("tokens_per_step") else "steps",
                          "a config.json says nothing of the run: give tokens_per_step and steps (its last step), "
                          "or --tokens-per-step and --steps")
    seq = int(value.get("seq_len") or assumptions.DEFAULT_SEQ_LEN)
    per, last = entry.count("tokens_per_step"), entry.count("steps")
    # a cached config is a link into the cache's blobs (no .json there): read it by its snapshot path
    config = path.absolute() if cached else path.resolve()
    mapping = {"flopcount_plan": 1, "name": name, "model": {"name": name, "config": str(config)},
               "seq_len": seq, "phases": [{"name": "training", "kind": value.get("kind") or "pre-training",
                                           "tokens": per * last}]}
    notes = []
    if hf_note:
        notes.append(hf_note)
    if "seq_len" not in value:
        notes.append(f"sequence length not given: {seq:,} assumed for the full count")
    return mapping, config.parent, notes


def _checkpoint_steps(entry: Fields, read: _Read, checkpoints: Checkpoints | None, last: int,
                      source: str) -> np.ndarray:
    """The model's checkpoints: its own `checkpoints:`, else the steps its revisions name,
    else the suite's, else where its recipe saves (each but the first noted)."""
    given = read_checkpoints(entry, "checkpoints") if entry.has("checkpoints") else None
    rev_steps = read.rev_steps
    if given is None and rev_steps and None not in rev_steps:   # the revisions are the model's own checkpoints
        given = Checkpoints(tuple(s for s in rev_steps if s is not None))
        read.notes.append(f"checkpoints: the {len(set(rev_steps))} steps its revisions name")
    elif given is None and rev_steps and checkpoints is None:
        rev = read.revisions[rev_steps.index(None)]
        raise entry.error("checkpoints", f"revision {rev} of {read.model_id} names no step (stepN): give checkpoints "
                          "(steps, every, to) or --checkpoints")
    given = checkpoints if given is None else given
    if given is not None:
        return given.resolve(last, entry.source or source, entry.path("checkpoints") if entry.has("checkpoints")
                             else entry.path("hf") if rev_steps and given is not checkpoints else "checkpoints")
    if read.own_steps is not None:
        read.notes.append(f"checkpoints: the {len(read.own_steps)} steps the recipe saves at")
        return read.own_steps
    raise entry.error("checkpoints", "the recipe names no save interval: give checkpoints (steps, every, to) "
                      "or --checkpoints")


def _single_phase(mapping: dict, source: str) -> dict:
    phases = mapping.get("phases")
    if not isinstance(phases, list) or len(phases) != 1 or not isinstance(phases[0], dict):
        raise InputError("a suite model is one training run: this plan needs exactly one phase", source=source,
                         field="phases")
    return phases[0]


def _step_tokens(phase: dict, seq_len: int, entry: Fields, source: str) -> tuple[int, int]:
    """(last step, tokens per step) of a one-phase plan mapping: its steps × batch_size, or
    its tokens with the entry's tokens_per_step."""
    if "steps" in phase and "batch_size" in phase:
        pf = Fields(phase, source, "phases[0]")
        return pf.count("steps", allow_zero=True), pf.count("batch_size") * seq_len
    if not entry.has("tokens_per_step"):
        raise entry.error("tokens_per_step", "the run gives tokens, not steps: give tokens_per_step (and steps)")
    per = entry.count("tokens_per_step")
    tokens = Fields(phase, source, "phases[0]").count("tokens")
    if tokens % per:
        raise entry.error("tokens_per_step", f"{per:,} does not divide the run's {tokens:,} tokens")
    return tokens // per, per


def _with_defaults(mapping: dict, release: Mapping[str, Any], provider: Mapping[str, Any], deploys: Any) -> dict:
    """The suite's `release:`, `provider:` and `deploys:` under a model's plan mapping, field
    by field: what the model's own plan says stands."""
    out = dict(mapping)
    own = dict(out.get("release") or {})
    for key, val in release.items():
        key = "licence" if key == "license" else key
        if key == "placed_on_market":
            if "placed_on_market" not in out and "placed_on_market" not in own:
                out["placed_on_market"] = val
        elif key in PLAN_TOP:
            out.setdefault(key, val)
        else:
            own.setdefault(key, val)
    if own:
        out["release"] = own
    if provider:
        out["provider"] = {**provider, **dict(out.get("provider") or {})}
    if deploys is not None:
        out.setdefault("deploys", deploys)
    return out



def _phase_steps(mapping: dict) -> int | None:
    phases = mapping.get("phases")
    if isinstance(phases, list) and len(phases) == 1 and isinstance(phases[0], dict):
        steps = phases[0].get("steps")
        return steps if isinstance(steps, int) else None
    return None
