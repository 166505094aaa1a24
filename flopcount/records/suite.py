"""Model suites: every model of a release at every checkpoint, one table.

A suite is a suite file (`flopcount_suite: 1`), a folder of recipes / configs / plans (one
model each), a text list of Hugging Face model ids with revisions (`ORG/NAME@REVISION`, read
from the local cache only: peft.revision_config; one model per id, its `stepN` revisions its
checkpoints), or a mapping of the suite file's shape. Each model is resolved once, through
the same paths `flopcount estimate` takes (importers, `plan_from_mapping`, `estimate`), at
its run's last step: that gives its parameters, each method's FLOP per token and the run's
total. A checkpoint at step s has trained s × tokens-per-step tokens; its FLOP by each
analytic method is that many tokens × the per-token figure, rounded as `estimate` rounds
(`numbers.to_int`), so the last checkpoint's row equals `estimate`'s total exactly.

Arithmetic: steps and tokens are int64 numpy arrays (checked to fit); FLOP are exact Python
ints in object-dtype arrays (Pythia 12B passes 2^63 = 9.2×10^18 FLOP at its first few
hundred steps, so int64 cannot hold them, and float64 would round them). The hardware
method, where a model has one, is an interval for the whole run: a checkpoint gets the
share of it its tokens are of the run's (float64, stated in the notes).

Threshold statuses come from the verdict engine (`estimate.verdict`), called on a
checkpoint's phase, never re-derived here. Compute grows with the step and each status
holds over one interval of compute, so the engine is asked at the first and last checkpoint
and, where they differ, at the middle one, recursively: O(lines × log checkpoints) calls.

Obligations: each checkpoint is a model placed on the market, so its obligations follow its
compute. They come from the law engine (`law.summary.of_estimate` on `estimate` of the plan
stopped at that checkpoint, `checkpoint_plan`), judged at one as-of date for the whole
table, never from a copy of its rules. The engine is a pure function of three things:
the plan's facts (one model's are the same at every checkpoint: the suite's `release:` and
`provider:` under the model's own), the as-of date (one per table), and the compute summary
`law.summary.summarise` makes, whose fields other than `figures` are statuses against a
line (each monotone in compute, like the verdict's) and the date a line became known (None
until it is met, then fixed); `figures` only word the reasons, which the table leaves out.
So the bisection's key at a checkpoint is its verdict statuses *and* that summary without
its figures: where the key is equal at both ends of a stretch it is equal throughout, and
so are the obligations, which are assessed once per stretch of equal key (a "status
segment": two for a run that crosses one line) and repeated down its rows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
import types
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, TypeVar

import numpy as np

from ..data import assumptions
from ..data.phases import BY_ID
from ..boundary.errors import InputError
from ..count.estimate import MethodEstimate, PhaseResult, Result
from ..law.counted import verdict
from ..law.estimate import estimate
from ..boundary.fields import Fields, load_mapping
from ..inputs.facts import RELEASE_FIELDS as FACT_RELEASE_FIELDS, read_deploys, read_provider, read_release
from ..law.summary import of_estimate, summarise
from ..inputs.plan import Plan, is_plan, plan_from_mapping
from ..model.spec import count_parameters

if TYPE_CHECKING:
    import pandas as pd

SUITE_KEY = "flopcount_suite"
MODEL_FIELDS = ("name", "recipe", "config", "plan", "hf", "gpus", "vocab_size", "seq_len", "tokens_per_step", "steps",
                "checkpoints", "kind", "from", "soup")
#: A suite's `release:` (defaults for every model): a plan's top-level modalities and released, and
#: every field of a plan's `release:` (law/facts.py); `license` is read as `licence`.
PLAN_TOP = ("modalities", "placed_on_market", "released")
RELEASE_FIELDS = tuple(dict.fromkeys((*PLAN_TOP, "license", *FACT_RELEASE_FIELDS)))
#: The obligations columns: the EU summary (law/result.py's JSON keys) and whether each US
#: state statute applies, at each checkpoint.
OBLIGATIONS = ("eu_gpai", "eu_systemic_risk", "eu_open_source_exemption", "eu_notify", "eu_notify_by",
               "ca_sb53_applies", "ny_raise_applies")
INT64_MAX = np.iinfo(np.int64).max
#: A Hugging Face model id with an optional revision (a branch, tag or commit): ORG/NAME@REVISION.
HF_REF = re.compile(r"^(?P<id>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<rev>[\w.-]+))?$")
#: A revision that names its checkpoint's step, as Pythia's and OLMo's branches do (step3000).
STEP_REVISION = re.compile(r"^step(\d+)$")
#: What a list of model ids is not: the suffixes of suite files, plans and configs.
MAPPING_SUFFIXES = (".yml", ".yaml", ".json", ".toml")
#: Seconds a suite runs before its progress bar shows (on a terminal only).
PROGRESS_DELAY = 1.0
T = TypeVar("T")


def progress(items: Iterable[T], *, total: int, desc: str, unit: str, stream: Any = None,
             delay: float = PROGRESS_DELAY) -> Iterator[T]:
    """`items`, on a tqdm bar on stderr when it is a terminal and the work takes more than
    `delay` seconds (as benchmarks/__main__.py and measure/progress.py do); otherwise, or
    without tqdm, the items alone and nothing written."""
    stream = stream or sys.stderr
    bar = None
    if stream.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            bar = tqdm(total=total, desc=desc, unit=unit, file=stream, leave=False, delay=delay)
    try:
        for item in items:
            yield item
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
EXACT = ("full", "6ND")   # methods with an exact per-token figure


@dataclass(frozen=True)
class Checkpoints:
    """Listed steps plus every `every` steps up to `to` (default: the run's last step)."""

    steps: tuple[int, ...] = ()
    every: int | None = None
    to: int | None = None

    def resolve(self, last: int, source: str, where: str) -> np.ndarray:
        to = last if self.to is None else self.to
        listed = set(self.steps)
        if self.every:
            listed |= set(range(self.every, to + 1, self.every))
        if not listed:
            raise InputError("no checkpoints: give steps, or every (with to)", source=source, field=where)
        past = max(listed)
        if past > last:
            raise InputError(f"checkpoint at step {past:,} is past the run's last step {last:,}", source=source,
                             field=where)
        return np.array(sorted(listed), dtype=np.int64)


def read_checkpoints(f: Fields, name: str) -> Checkpoints:
    sub = f.sub(name)
    sub.only(("steps", "every", "to"))
    steps = tuple(sub.int_list("steps", [])) if sub.has("steps") else ()
    if any(s < 0 for s in steps):
        raise sub.error("steps", "steps are whole numbers from 0")
    every = sub.count("every", None)
    to = sub.count("to", None, allow_zero=True)
    if to is not None and every is None:
        raise sub.error("to", "applies with every")
    return Checkpoints(steps, every, to)


def parse_checkpoints(text: str, flag: str = "--checkpoints") -> Checkpoints:
    """`0,1,2,4,every:1000,to:143000` (to defaults to each run's last step)."""
    steps, every, to = [], None, None
    for item in (t.strip() for t in text.split(",") if t.strip()):
        key, _, value = item.rpartition(":")
        try:
            number = int(value.replace("_", ""))
        except ValueError:
            raise InputError(f"{item!r} is not a step, every:N or to:N", field=flag) from None
        if number < 0 or key not in ("", "every", "to") or (key == "every" and number == 0):
            raise InputError(f"{item!r} is not a step, every:N or to:N", field=flag)
        if key == "every":
            every = number
        elif key == "to":
            to = number
        else:
            steps.append(number)
    if to is not None and every is None:
        raise InputError("to:N applies with every:N", field=flag)
    return Checkpoints(tuple(steps), every, to)


@dataclass(frozen=True)
class Model:
    """One model of a suite, resolved: its plan, estimated once at the run's last step."""

    name: str
    source: str
    result: Result
    last_step: int
    tokens_per_step: int
    steps: np.ndarray             # checkpoint steps, ascending int64
    notes: tuple[str, ...] = ()
    builds_on: str = ""           # earlier stages / ingredients, in words ("" for a run from scratch)

    @property
    def prior(self) -> tuple[PhaseResult, ...]:
        """The phases behind this run's starting weights (earlier stages, soup ingredients)."""
        return self.result.phases[:-1]

    @property
    def run(self) -> PhaseResult:
        """This model's own run, the phase whose steps the checkpoints count."""
        return self.result.phases[-1]

    @property
    def plan(self) -> Plan:
        return self.result.plan


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple[Model, ...]
    provider: dict = field(default_factory=dict)
    release: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    deploys: Any = None

    @property
    def rows(self) -> int:
        return sum(len(m.steps) for m in self.models)


# --- resolving models ------------------------------------------------------------------

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


def _chain(entry: Fields, path: Path | None, plan: Plan, models: Mapping[str, Model]) -> tuple[Plan, str, list[str]]:
    """`from: NAME`: this run starts from model NAME's checkpoint (the step its OLMo
    `load_path` names, else NAME's last step); NAME's phases up to that step come first, so
    every checkpoint counts them (Guidelines Annex A.1: compute behind the weights a model
    is initialised from counts toward its cumulative compute)."""
    name = entry.text("from")
    base = models.get(name)
    if base is None:
        raise entry.error("from", f"no earlier model named {name!r} in this suite")
    step = None
    if path is not None and _is_olmo(path):
        from ..importers import olmo
        step = olmo.load_step(path)
    how = f"the checkpoint its load_path names" if step is not None else f"{name}'s last step"
    step = base.last_step if step is None else step
    if step > base.last_step:
        raise entry.error("from", f"starts from step {step:,} of {name}, past its last step {base.last_step:,}")
    own = base.run.phase
    start = dataclasses.replace(own, tokens=step * base.tokens_per_step, name=f"{own.name} (to step {step:,})")
    if plan.model.spec is not None and base.plan.model.spec is not None and \
            count_parameters(plan.model.spec).total != count_parameters(base.plan.model.spec).total:
        raise entry.error("from", f"{name} has another architecture ({count_parameters(base.plan.model.spec).total:,}"
                          f" parameters): a run continues the same weights")
    phases = (*(pr.phase for pr in base.prior), start, *plan.phases)
    note = (f"cumulative reading: starts from {name} at step {step:,} ({how}): its {step * base.tokens_per_step:,} "
            "tokens" + (" and what it builds on" if base.prior else "") + " count at every checkpoint "
            "(Guidelines Annex A.1: compute behind initialising weights counts toward cumulative compute)")
    return dataclasses.replace(plan, phases=phases), f"{name}@{step}", [note]


def _soup(entry: Fields, models: Mapping[str, Model]) -> Model:
    """`soup: [NAMES]`: weights averaged from the named runs' last checkpoints. Its compute
    is every ingredient's own run plus, once, what they all start from; the ingredients'
    runs are kind `merged-weights` (data/phases.py: compute behind merged or averaged weights
    counts toward cumulative compute, Guidelines Annex A.1). One checkpoint: the soup."""
    names = entry.raw("soup")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names):
        raise entry.error("soup", "must list two or more earlier models by name")
    parts = []
    for n in names:
        if n not in models:
            raise entry.error("soup", f"no earlier model named {n!r} in this suite")
        parts.append(models[n])
    first = parts[0]
    for m in parts[1:]:
        if tuple(pr.phase for pr in m.prior) != tuple(pr.phase for pr in first.prior):
            raise entry.error("soup", f"{m.name} and {first.name} start from different weights: a soup averages "
                              "runs from one start")
        if m.result.parameters and first.result.parameters and m.result.parameters.total != first.result.parameters.total:
            raise entry.error("soup", f"{m.name} and {first.name} differ in architecture")
    merged = [dataclasses.replace(m.run.phase, kind=BY_ID["merged-weights"]) for m in parts]
    plan = dataclasses.replace(first.plan, name=entry.text("name"), phases=(*(pr.phase for pr in first.prior), *merged))
    last = parts[-1]
    note = (f"cumulative reading: soup of {', '.join(names)}: each ingredient's own run (kind merged-weights: compute "
            "behind merged or averaged weights counts toward cumulative compute, Guidelines Annex A.1) plus, once, "
            f"what they start from ({first.builds_on or 'nothing'}); training compute (the GPAI criterion) counts "
            "only the shared start, the ingredients count toward cumulative compute")
    return Model(entry.text("name"), entry.source or "", estimate(plan), last.last_step, last.tokens_per_step,
                 np.array([last.last_step], dtype=np.int64), (note,), "soup: " + ", ".join(names))


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
    rev_steps: list[int | None] = []
    hf_note = ""
    if kinds[0] == "hf":
        model_id, revisions = _hf_revisions(entry)
        path, rev_steps, hf_note = _hf_config(entry, model_id, revisions)
        name = entry.text("name", model_id.rsplit("/", 1)[-1])
    else:
        path = base_dir / entry.text(kinds[0])
        name = entry.text("name", path.stem)
    value = {**defaults, **{k: entry.raw(k) for k in ("gpus", "vocab_size", "seq_len", "kind") if entry.has(k)}}
    notes: list[str] = []
    own_steps = None
    if kinds[0] == "recipe":
        from ..importers import import_path
        from ..importers.recipe import Flags
        flags = Flags(**{k: None if v is None else str(v) for k, v in value.items()})
        if path.is_file() and _is_olmo(path):   # its length may be epochs of data: the entry's steps
            from ..importers import olmo
            imported = olmo.import_(path, flags, steps=entry.count("steps") if entry.has("steps") else None)
        else:
            imported = import_path(path, flags)
        mapping, notes = dict(imported.plan), list(imported.notes)
        own_steps = _recipe_steps(path, _phase_steps(mapping))
        plan_dir = path.resolve().parent
    elif kinds[0] == "plan":
        mapping = load_mapping(path)
        if not is_plan(mapping):
            raise InputError("not a run plan (no flopcount_plan: 1)", source=str(path))
        plan_dir = path.resolve().parent
    else:   # a config.json: given, or from the Hugging Face cache
        if not (entry.has("tokens_per_step") and entry.has("steps")):
            raise entry.error("tokens_per_step" if not entry.has("tokens_per_step") else "steps",
                              "a config.json says nothing of the run: give tokens_per_step and steps (its last step), "
                              "or --tokens-per-step and --steps")
        seq = int(value.get("seq_len") or assumptions.DEFAULT_SEQ_LEN)
        per, last = entry.count("tokens_per_step"), entry.count("steps")
        # a cached config is a link into the cache's blobs (no .json there): read it by its snapshot path
        config = path.absolute() if kinds[0] == "hf" else path.resolve()
        mapping = {"flopcount_plan": 1, "name": name, "model": {"name": name, "config": str(config)},
                   "seq_len": seq, "phases": [{"name": "training", "kind": value.get("kind") or "pre-training",
                                               "tokens": per * last}]}
        plan_dir = config.parent
        if hf_note:
            notes.append(hf_note)
        if "seq_len" not in value:
            notes.append(f"sequence length not given: {seq:,} assumed for the full count")
    source = str(path)
    phase = _single_phase(mapping, source)
    mapping = _with_defaults(mapping, release, provider or {}, deploys)
    plan = plan_from_mapping(mapping, source, plan_dir)
    last, per = _step_tokens(phase, plan.seq_len, entry, source)
    if entry.has("steps") and kinds[0] not in ("config", "hf") and entry.count("steps") != last:
        raise entry.error("steps", f"{entry.count('steps'):,} contradicts the run's {last:,} steps")
    if last * per > INT64_MAX:
        raise entry.error(None, f"{last * per:,} tokens do not fit the table's int64 tokens column")
    builds_on = ""
    if entry.has("from"):
        plan, builds_on, more = _chain(entry, path if kinds[0] == "recipe" else None, plan, models)
        notes += more
    result = estimate(plan)
    if result.phases[-1].phase.tokens != last * per:
        raise entry.error(None, f"steps × tokens per step = {last * per:,} differs from the run's "
                          f"{result.phases[-1].phase.tokens:,} tokens")
    given = read_checkpoints(entry, "checkpoints") if entry.has("checkpoints") else None
    if given is None and rev_steps and None not in rev_steps:   # the revisions are the model's own checkpoints
        given = Checkpoints(tuple(s for s in rev_steps if s is not None))
        notes.append(f"checkpoints: the {len(set(rev_steps))} steps its revisions name")
    elif given is None and rev_steps and checkpoints is None:
        rev = revisions[rev_steps.index(None)]
        raise entry.error("checkpoints", f"revision {rev} of {model_id} names no step (stepN): give checkpoints "
                          "(steps, every, to) or --checkpoints")
    given = checkpoints if given is None else given
    if given is not None:
        steps = given.resolve(last, entry.source or source, entry.path("checkpoints") if entry.has("checkpoints")
                              else entry.path("hf") if rev_steps and given is not checkpoints else "checkpoints")
    elif own_steps is not None:
        steps = own_steps
        notes.append(f"checkpoints: the {len(steps)} steps the recipe saves at")
    else:
        raise entry.error("checkpoints", "the recipe names no save interval: give checkpoints (steps, every, to) "
                          "or --checkpoints")
    return Model(name, source, result, last, per, steps, tuple(notes), builds_on)


def _phase_steps(mapping: dict) -> int | None:
    phases = mapping.get("phases")
    if isinstance(phases, list) and len(phases) == 1 and isinstance(phases[0], dict):
        steps = phases[0].get("steps")
        return steps if isinstance(steps, int) else None
    return None


def _anchored(exc: InputError, name: str, where: str) -> InputError:
    """A model's error, with the suite entry it came from when the file is not the suite's."""
    return InputError(f"{exc.message} (suite model {name}, {where})" if exc.source else exc.message,
                      source=exc.source, field=exc.field)


def load_suite(source: str | Path | Mapping[str, Any], *, checkpoints: str | Checkpoints | None = None,
               gpus: int | str | None = None, vocab_size: int | str | None = None,
               seq_len: int | str | None = None, tokens_per_step: int | str | None = None,
               steps: int | str | None = None) -> Suite:
    """A suite file, a folder (every recipe, config or plan in it, one model each), a list
    of Hugging Face model ids with revisions (one ORG/NAME@REVISION a line, read from the
    local cache) or a mapping of the suite file's shape; keyword values apply to every model
    that lacks them (`tokens_per_step` and `steps`, the run's last step, to config and hf models)."""
    if isinstance(checkpoints, str):
        checkpoints = parse_checkpoints(checkpoints)
    defaults = {k: v for k, v in (("gpus", gpus), ("vocab_size", vocab_size), ("seq_len", seq_len)) if v is not None}
    if isinstance(source, Mapping):
        data, where, base = dict(source), "suite", Path.cwd()
    else:
        path = Path(source)
        if path.is_dir():
            data, where, base = _folder(path), str(path), path
        elif _is_hf_list(path):
            data, where, base = _hf_list(path), str(path), path.parent
        else:
            data, where, base = load_mapping(path), str(path), path.parent
    f = Fields(data, where)
    if f.raw(SUITE_KEY, None) != 1:
        raise f.error(SUITE_KEY, "not a suite file: it starts with flopcount_suite: 1")
    f.only((SUITE_KEY, "name", "release", "provider", "deploys", "models", "checkpoints", "gpus", "vocab_size",
            "seq_len"))
    for key in ("gpus", "vocab_size", "seq_len"):
        if f.has(key):
            defaults.setdefault(key, f.raw(key))
    run = {k: v for k, v in (("tokens_per_step", tokens_per_step), ("steps", steps)) if v is not None}
    release = dict(f.raw("release", {}) or {})
    rf = Fields(release, where, "release")
    rf.only(RELEASE_FIELDS)
    if "licence" in release and "license" in release:
        raise rf.error("license", "give licence or license, not both")
    # read here as a plan reads them, so a bad value names the suite file, not a model's
    read_release(Fields({("licence" if k == "license" else k): v for k, v in release.items() if k not in PLAN_TOP},
                        where, "release"))
    provider = dict(f.raw("provider", {}) or {})
    read_provider(Fields(provider, where, "provider"))
    deploys = f.raw("deploys") if f.has("deploys") else None
    if deploys is not None:
        read_deploys(f)
    if checkpoints is None and f.has("checkpoints"):
        checkpoints = read_checkpoints(f, "checkpoints")
    entries = f.items("models")
    if not entries:
        raise f.error("models", "a suite needs at least one model")
    models, seen = [], {}
    for i, entry in enumerate(progress(entries, total=len(entries), desc="models", unit="model")):
        if run and (entry.has("hf") or entry.has("config")):
            entry = Fields({**run, **entry.data}, entry.source, entry.prefix)
        name = entry.text("name", _default_name(entry))
        if name in seen:
            hint = ("; give one model's revisions as one list, hf: [ID@REV, ...]" if entry.has("hf") else "")
            raise entry.error("name", f"two models named {name!r} (models[{seen[name]}] and models[{i}]){hint}")
        seen[name] = i
        try:
            models.append(resolve_model(entry, base, defaults, checkpoints, release, {m.name: m for m in models},
                                        provider=provider, deploys=deploys))
        except InputError as exc:
            raise _anchored(exc, name, f"models[{i}]") from None
    return Suite(f.text("name", Path(str(where)).stem), tuple(models), provider, release, deploys=deploys)


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


# --- the table ---------------------------------------------------------------------------

def _exact_totals(per_token: Fraction, tokens: np.ndarray) -> np.ndarray:
    """to_int(per_token × tokens) for each checkpoint, as Python ints (object dtype):
    floor((2·p·D + q) / 2q) for per_token = p/q, D ≥ 0 — half away from zero, as estimate rounds."""
    p, q = per_token.numerator, per_token.denominator
    d = tokens.astype(object)
    return (d * (2 * p) + q) // (2 * q) if q != 1 else d * p


def checkpoint_plan(model: Model, step: int) -> Plan:
    """The model's plan stopped at checkpoint `step`: its run's tokens to that step (and, where
    the run gives accelerator time, the same share of it, as the table's hardware columns
    read it); the phases before the run whole. `estimate` of it is the checkpoint's estimate."""
    plan = model.plan
    run = plan.phases[-1]
    tokens = int(step) * model.tokens_per_step
    hardware = run.hardware
    full = model.last_step * model.tokens_per_step
    if hardware is not None and full:
        hardware = dataclasses.replace(hardware, hours=hardware.hours * tokens / full)
    return dataclasses.replace(plan, phases=(*plan.phases[:-1], dataclasses.replace(run, tokens=tokens,
                                                                                    hardware=hardware)))


def checkpoint_result(model: Model, step: int) -> Result:
    """`estimate` of the checkpoint (the model's own result at its run's last step)."""
    if int(step) == model.last_step:
        return model.result
    return estimate(checkpoint_plan(model, step), prefer=model.run.primary)


def _obligations_row(result: Result, as_of: dt.date) -> tuple:
    """The OBLIGATIONS columns of one checkpoint, from the law engine's JSON (law/result.py)."""
    o = of_estimate(result, as_of).to_json()
    eu = o["eu"]
    return (eu["gpai"], eu["systemic_risk"], eu["open_source_exemption"], eu["notify"]["status"], eu["notify"]["by"],
            o["ca_sb53"]["applies"], o["ny_raise"]["applies"])


def _statuses(model: Model, totals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
              as_of: dt.date | None = None) -> dict[str, list]:
    """Each threshold's status and whether the checkpoint is over it, from the verdict
    engine; with `as_of`, the OBLIGATIONS columns from the law engine, assessed once per
    stretch of checkpoints whose key (statuses and the law's compute summary without its
    figures: module docstring) is equal."""
    pr0 = model.run
    n = len(model.steps)
    cache: dict[int, tuple] = {}
    results: dict[int, Result] = {}

    def at(i: int) -> tuple:
        if i not in cache:
            ests = {m: MethodEstimate(m, own[i], own_lo[i], own_hi[i], pr0.estimates[m].per_token,
                                      pr0.estimates[m].formula)
                    for m, (own, own_lo, own_hi) in totals.items()}
            phase = dataclasses.replace(pr0.phase, tokens=int(model.steps[i]) * model.tokens_per_step)
            evs = verdict([*model.prior, PhaseResult(phase, ests, pr0.primary)], model.plan.base, model.plan.modalities,
                          model.plan.placed_on_market)
            key: tuple = tuple((ev.threshold.id, ev.status, ev.met) for ev in evs)
            if as_of is not None:
                results[i] = checkpoint_result(model, int(model.steps[i]))
                key = (key, dataclasses.replace(summarise(results[i]), figures={}))
            cache[i] = key
        return cache[i]

    filled: list[int] = [0] * n   # each row: the checkpoint whose key (and engine result) it shares

    def fill(lo: int, hi: int) -> None:
        a, b = at(lo), at(hi)
        if a == b:
            for i in range(lo, hi + 1):
                filled[i] = lo
            return
        if hi - lo <= 1:
            filled[lo], filled[hi] = lo, hi
            return
        mid = (lo + hi) // 2
        fill(lo, mid)
        fill(mid, hi)

    fill(0, n - 1)
    out: dict[str, list] = {}
    for i in filled:
        row = cache[i][0] if as_of is not None else cache[i]
        for tid, st, met in row:
            out.setdefault(f"status_{tid}", []).append(st)
            out.setdefault(f"over_{tid}", []).append(met)
    if as_of is not None:
        rows: list[tuple] = []
        for j, i in enumerate(filled):   # one assessment per stretch of equal key, at a checkpoint in it
            if j == 0 or cache[i] != cache[filled[j - 1]]:
                segment = _obligations_row(results[i], as_of)
            rows.append(segment)
        for j, name in enumerate(OBLIGATIONS):
            out[name] = [r[j] for r in rows]
    return out


def _non_embedding(model: Model) -> int:
    """Parameters less the embedding tables and an untied output head (Kaplan et al. 2020's
    N, as the Pythia model cards count non-embedding parameters)."""
    from ..model.blocks import Head
    spec = model.plan.model.spec
    if spec is None:
        return 0
    params = count_parameters(spec)
    untied = sum(b.width * b.vocab for _, b in spec.find(Head) if not b.tied)  # type: ignore[attr-defined]
    return params.total - params.embedding - untied


def columns(model: Model, as_of: dt.date | None = None) -> dict[str, np.ndarray | list]:
    """One model's rows, column by column. `tokens` and the FLOP columns count everything
    behind the checkpoint's weights: the run's own steps plus its prior phases (earlier
    stages, soup ingredients); `run_tokens` is the run's own. With `as_of`, the OBLIGATIONS
    columns, judged at that date."""
    pr0 = model.run
    steps = model.steps
    run_tok = steps * np.int64(model.tokens_per_step)
    prior_tokens = sum(pr.phase.tokens or 0 for pr in model.prior)
    tokens = run_tok + np.int64(prior_tokens)
    n = len(steps)
    params = model.result.parameters
    totals: dict[str, tuple] = {}
    cols: dict[str, Any] = {"model": [model.name] * n, "step": steps, "tokens": tokens,
                            "params_total": np.full(n, params.total if params else -1, dtype=np.int64),
                            "params_non_embedding": np.full(n, _non_embedding(model) if params else -1,
                                                            dtype=np.int64)}
    if model.prior:
        cols["run_tokens"] = run_tok
        cols["builds_on"] = [model.builds_on] * n
    run_tokens = model.last_step * model.tokens_per_step
    for method, est in pr0.estimates.items():
        if any(method not in pr.estimates for pr in model.prior):
            continue   # a method that cannot count every phase gives no cumulative figure
        if method in EXACT and est.per_token is not None:
            exact = _exact_totals(est.per_token, run_tok)
            totals[method] = (exact, exact, exact)
            per = est.per_token
            cols[f"flop_per_token_{method}"] = [int(per) if per.denominator == 1 else float(per)] * n
        elif method == "hardware" and run_tokens:
            share = run_tok.astype(np.float64) / float(run_tokens)
            totals[method] = (est.total * share, est.low * share, est.high * share)
    for method, (t, lo, hi) in totals.items():
        before = [pr.estimates[method] for pr in model.prior]
        add = (sum(e.total for e in before), sum(e.low for e in before), sum(e.high for e in before))
        cols[f"flop_{method}"], cols[f"flop_{method}_low"], cols[f"flop_{method}_high"] = \
            (t + add[0], lo + add[1], hi + add[2]) if before else (t, lo, hi)
    cols["primary"] = [pr0.primary] * n
    cols.update(_statuses(model, totals, as_of))
    if as_of is not None:
        cols["as_of"] = [as_of.isoformat()] * n
    return cols


def as_of_date(value: dt.date | str | None) -> dt.date:
    """The date obligations are judged at: a date, YYYY-MM-DD, or None for today."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"must be a date YYYY-MM-DD, got {value!r}", field="as_of") from None


def table(suite: Suite, *, as_of: dt.date | str | None = None) -> "pd.DataFrame":
    """One row per model × checkpoint (see the module docstring for the columns' meaning);
    obligations judged at `as_of` (default: today), the same date for every row."""
    import pandas as pd
    day = as_of_date(as_of)
    parts = [columns(m, day) for m in progress(suite.models, total=len(suite.models), desc="checkpoints",
                                               unit="model")]
    names = list(dict.fromkeys(k for p in parts for k in p))
    data: dict[str, Any] = {}
    for name in names:
        chunks = []
        for part, model in zip(parts, suite.models):
            value = part.get(name)
            if value is None:
                chunks.append(np.full(len(model.steps), None, dtype=object))
            elif isinstance(value, np.ndarray):
                chunks.append(value)
            else:
                chunks.append(np.asarray(value, dtype=bool if name.startswith("over_") or name.endswith("_applies")
                                         else object))
        data[name] = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) if k == "eu_notify_by" else v for k, v in data.items()})
    # eu_notify_by: ISO dates or None, as the law's JSON gives them (pandas would read None as NaN)
    for name in ("model", "primary", "as_of", *(c for c in names if c.startswith("status_")),
                 *(c for c in OBLIGATIONS if c in names and not c.endswith(("_applies", "_by")))):
        frame[name] = frame[name].astype("category")
    return frame


def suite(source: str | Path | Mapping[str, Any], *, as_of: dt.date | str | None = None,
          **options: Any) -> "pd.DataFrame":
    """The table of a suite file, folder, model id list or mapping (options: checkpoints, gpus,
    vocab_size, seq_len, tokens_per_step, steps; see `load_suite`), obligations judged at `as_of` (default: today)."""
    return table(load_suite(source, **options), as_of=as_of)


class _CallableModule(types.ModuleType):
    """Importing this module makes `flopcount.records.suite` name the module, not the function the
    package exports lazily; calling the module calls `suite`, so `flopcount.suite(...)`
    works whichever it names."""

    def __call__(self, source: str | Path | Mapping[str, Any], *, as_of: dt.date | str | None = None,
                 **options: Any) -> "pd.DataFrame":
        return suite(source, as_of=as_of, **options)


sys.modules[__name__].__class__ = _CallableModule
