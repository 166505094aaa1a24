"""Run plans: a model's lineage as phases, read from YAML/JSON (`flopcount_plan: 1`).

A plan names the model (config file, inline spec, or a bare parameter count), a default
sequence length and attention convention, optionally the base model it modifies, and a
list of phases. Each phase has a kind from `data.phases` (which decides whether it counts
as training and/or cumulative compute) and any of: tokens (or steps × batch × seq_len),
accelerator time, or a FLOP figure reported elsewhere. Each given quantity yields one
method's estimate; they are shown side by side.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .configs import load_spec, spec_from_mapping
from ..data import assumptions
from ..data.phases import BY_ID as PHASE_KINDS, PhaseKind
from ..data.thresholds import MODALITIES
from ..boundary.errors import InputError
from ..boundary.fields import Fields, load_mapping
from ..model.formulas import ATTENTION_CONVENTIONS, LORA_GROUPS, LORA_TARGETS, lora_weights
from ..hardware.accelerators import HardwareUse
from .hardware_use import HARDWARE_FIELDS, read_hardware  # noqa: F401 (re-exported)
from .facts import Facts, read_facts
from ..model.spec import ModelSpec, count_parameters

PLAN_KEY = "flopcount_plan"


@dataclass(frozen=True)
class ModelRef:
    """The model a phase runs: a full spec, or only a parameter count (6·N·D only)."""

    name: str
    spec: ModelSpec | None = None
    params: int | None = None  # active parameters, when no spec is known

    @property
    def active_params(self) -> int:
        return count_parameters(self.spec).active if self.spec else self.params  # type: ignore[return-value]


@dataclass(frozen=True)
class Trainable:
    """Which weights a training phase updates."""

    mode: str = "all"            # "all" | "frozen" | "lora"
    weights: int = 0             # frozen mode: base matmul weights still trained
    lora_rank: int = 0
    lora_targets: tuple[str, ...] = ()
    adapter_weights: int = 0     # LoRA A and B matrices over all targeted matrices

    @property
    def is_full(self) -> bool:
        return self.mode == "all"


@dataclass(frozen=True)
class Phase:
    name: str
    kind: PhaseKind
    model: ModelRef
    seq_len: int
    attention: str
    tokens: int | None = None
    hardware: HardwareUse | None = None
    reported: int | None = None      # FLOP stated elsewhere (e.g. a base provider's documentation)
    trainable: Trainable = Trainable()
    start: dt.date | None = None
    end: dt.date | None = None
    note: str = ""
    seq_len_assumed: bool = False
    images: int = 0                  # images per sample (a VLM's vision tower runs once per image)
    work: str = "train"              # one of WORK: what each token goes through
    upper_bound: bool = False        # tokens are a maximum (the run can stop early): verdicts read "at most"


@dataclass(frozen=True)
class BaseModel:
    """The model a modification starts from (Guidelines §3.2)."""

    name: str
    training_compute: int | None     # None: unknown
    systemic_risk: bool = False
    version: str | None = None       # the version modified, when several were placed on the market
    gpai: bool | None = None         # the base is a general-purpose AI model; None: not stated


@dataclass(frozen=True)
class Plan:
    name: str
    model: ModelRef
    phases: tuple[Phase, ...]
    seq_len: int
    attention: str
    base: BaseModel | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    modalities: frozenset[str] | None = None   # output modalities (GPAI criterion); None: not stated
    placed_on_market: dt.date | None = None     # first placed on the EU market (Art. 111(3))
    released: dt.date | None = None             # first released through any channel (documentation)
    attention_assumed: bool = False             # no convention given: the default applies (stated)
    facts: Facts = Facts()                      # provider, release, deploys (flopcount.law)


PHASE_FIELDS = ("name", "kind", "public", "work", "tokens", "steps", "batch_size", "seq_len", "attention", "model",
                "trainable", "hardware", "flops", "start", "end", "note", "images_per_sample", "upper_bound")
#: What the phase's tokens go through: forward and backward (`train`), one forward pass over
#: whole sequences (`forward`: log-probabilities of a reference or old policy), or KV-cached
#: generation (`generate`: synthetic data, RL rollouts). Generating kinds only generate.
WORK = ("train", "forward", "generate")


def read_model(f: Fields, plan_dir: Path) -> ModelRef:
    """`model:` as {config: path} | {spec: {...}} | {params: N} (+ optional name)."""
    f.only(("name", "config", "spec", "params"))
    given = [k for k in ("config", "spec", "params") if f.has(k)]
    if len(given) != 1:
        raise f.error(None, "give exactly one of config (a config.json path), spec (inline) or params (a count)")
    name = f.text("name", "")
    if given[0] == "params":
        return ModelRef(name=name or "model", params=f.count("params"))
    if given[0] == "spec":
        spec = spec_from_mapping(dict(f.raw("spec")), f.source, name or None)
    else:
        spec = load_spec(plan_dir / f.text("config"), name or None)
    return ModelRef(name=name or spec.name, spec=spec)


def read_trainable(f: Fields, name: str, spec: ModelSpec | None) -> Trainable:
    """`trainable: all` | {lora: {rank, targets}} | {weights: N} (frozen base, N trained)."""
    value = f.raw(name, "all")
    if value == "all":
        return Trainable()
    sub = f.sub(name)
    sub.only(("lora", "weights"))
    if sub.has("lora") == sub.has("weights"):
        raise sub.error(None, "give either lora: {rank, targets} or weights: N (trained base weights)")
    if sub.has("weights"):
        return Trainable(mode="frozen", weights=sub.count("weights", allow_zero=True))
    lora = sub.sub("lora")
    lora.only(("rank", "targets"))
    rank = lora.count("rank")
    raw_targets = lora.raw("targets", ["q", "v"])
    if isinstance(raw_targets, str):
        raw_targets = [raw_targets]
    if not isinstance(raw_targets, list) or not raw_targets:
        raise lora.error("targets", f"must be a list of {', '.join(LORA_TARGETS)} or a group "
                         f"({', '.join(LORA_GROUPS)})")
    targets: list[str] = []
    for t in raw_targets:
        targets.extend(LORA_GROUPS.get(t, (t,)) if isinstance(t, str) else (t,))
    if spec is None:
        raise lora.error(None, "LoRA needs the model's architecture: give model.config or model.spec")
    try:
        adapters = lora_weights(spec, rank, tuple(targets))
    except InputError as exc:
        raise lora.error("targets", exc.message) from None
    return Trainable(mode="lora", lora_rank=rank, lora_targets=tuple(targets), adapter_weights=adapters)


def read_phase(f: Fields, plan: dict, plan_dir: Path, index: int) -> Phase:
    f.only(PHASE_FIELDS)
    kind_id = f.choice("kind", PHASE_KINDS.keys() - {"synthetic-data-public"})
    if kind_id == "synthetic-data":
        if not f.has("public"):
            raise f.error("public", "required for synthetic-data: true if the generated data is public "
                          "(then it is excluded from cumulative compute), false otherwise")
        if f.flag("public"):
            kind_id = "synthetic-data-public"
    elif f.has("public"):
        raise f.error("public", "only applies to kind synthetic-data")
    kind = PHASE_KINDS[kind_id]
    work = f.choice("work", WORK, "generate" if kind.generates else "train")
    if kind.generates and work != "generate":
        raise f.error("work", f"{kind_id} phases generate (work: generate)")
    model = read_model(f.sub("model"), plan_dir) if f.has("model") else plan["model"]
    seq_len = f.count("seq_len", plan["seq_len"])
    attention = f.choice("attention", ATTENTION_CONVENTIONS, plan["attention"])

    tokens = f.count("tokens", None, allow_zero=True)
    if f.has("steps") or f.has("batch_size"):
        if tokens is not None:
            raise f.error("tokens", "give tokens, or steps with batch_size, not both")
        steps, batch = f.count("steps", allow_zero=True), f.count("batch_size")
        tokens = steps * batch * seq_len
    hardware = read_hardware(f.sub("hardware")) if f.has("hardware") else None
    reported = f.count("flops", None, allow_zero=True)
    if tokens is None and hardware is None and reported is None:
        raise f.error(None, "give at least one of tokens (or steps + batch_size), hardware, or flops")
    trainable = read_trainable(f, "trainable", model.spec) if f.has("trainable") else Trainable()
    if work != "train" and f.has("trainable"):
        raise f.error("trainable", f"work: {work} updates no weights; trainable applies to work: train")
    images = f.count("images_per_sample", 0, allow_zero=True)
    if images:
        check_images(model.spec, images, seq_len, work, f.path("images_per_sample"), f.source)
    start, end = f.date("start"), f.date("end")
    if start and end and end < start:
        raise f.error("end", f"{end} is before start {start}")
    return Phase(
        name=f.text("name", f"phase {index + 1}"), kind=kind, work=work, model=model, seq_len=seq_len,
        attention=attention, tokens=tokens, hardware=hardware, reported=reported, trainable=trainable,
        start=start, end=end, note=f.text("note", ""), upper_bound=f.flag("upper_bound", False),
        seq_len_assumed=plan["seq_len_assumed"] and not f.has("seq_len"), images=images)


def check_images(spec: ModelSpec | None, images: int, seq_len: int, work: str, field: str, source: str) -> None:
    """Images per sample need a vision tower flopcount counts, room for their tokens in the
    sequence (which includes them), and a training phase (generation counts text only)."""
    def error(message: str) -> InputError:
        return InputError(message, source=source, field=field)
    if spec is None or not spec.has_vision:
        raise error("the model has no vision tower")
    if spec.origin == "transformers-meta":
        raise error("the transformers fallback does not run vision towers (no reader for this model_type)")
    if work == "generate":
        raise error("applies to training and forward phases; generation is counted as text only")
    if images * spec.image_tokens > seq_len:
        raise error(f"{images} images × {spec.image_tokens} tokens do not fit in seq_len {seq_len} "
                    "(the sequence length includes the image tokens)")


def read_modalities(value: object, field: str, source: str) -> frozenset[str]:
    """What the model generates: a list (or comma-separated string) of MODALITIES."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise InputError(f"a list of {', '.join(MODALITIES)}", source=source, field=field)
    names = [i.strip().lower() for i in items]
    unknown = [n for n in names if n not in MODALITIES]
    if unknown:
        raise InputError(f"unknown modality {unknown[0]!r}; one of {', '.join(MODALITIES)}", source=source,
                         field=field)
    return frozenset(names)


def read_base(f: Fields) -> BaseModel:
    f.only(("name", "training_compute", "systemic_risk", "version", "gpai"))
    value = f.raw("training_compute")
    known = not (isinstance(value, str) and value.strip().lower() == "unknown")
    return BaseModel(name=f.text("name", "base model"),
                     training_compute=f.count("training_compute") if known else None,
                     systemic_risk=f.flag("systemic_risk", False),
                     version=f.text("version", None), gpai=f.flag("gpai") if f.has("gpai") else None)


def plan_from_mapping(data: dict, source: str, plan_dir: Path | None = None) -> Plan:
    f = Fields(data, source)
    f.only(("flopcount_plan", "name", "model", "seq_len", "attention", "base_model", "phases", "modalities",
            "placed_on_market", "released", "provider", "release", "deploys"))
    version = f.count(PLAN_KEY)
    if version != 1:
        raise f.error(PLAN_KEY, f"unsupported plan version {version}; this flopcount reads version 1")
    plan_dir = plan_dir if plan_dir is not None else Path(source).parent
    model = read_model(f.sub("model"), plan_dir)
    seq_assumed = not f.has("seq_len")
    defaults = dict(model=model, seq_len=f.count("seq_len", assumptions.DEFAULT_SEQ_LEN),
                    attention=f.choice("attention", ATTENTION_CONVENTIONS, ATTENTION_CONVENTIONS[0]),
                    seq_len_assumed=seq_assumed)
    phases = tuple(read_phase(p, defaults, plan_dir, i) for i, p in enumerate(f.items("phases")))
    names = [p.name for p in phases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise f.error("phases", f"phase names must be unique; repeated: {', '.join(duplicates)}")
    base = read_base(f.sub("base_model")) if f.has("base_model") else None
    modalities = read_modalities(f.raw("modalities"), f.path("modalities"), source) if f.has("modalities") else None
    facts = read_facts(f, base.gpai if base else None)
    return Plan(name=f.text("name", Path(source).stem), model=model, phases=phases, seq_len=defaults["seq_len"],
                modalities=modalities, placed_on_market=facts.release.placed_on_market, released=facts.released,
                attention=defaults["attention"], base=base, source=source, attention_assumed=not f.has("attention"),
                facts=facts)


def load_plan(path: str | Path) -> Plan:
    return plan_from_mapping(load_mapping(path), str(path))


def is_plan(data: dict) -> bool:
    return PLAN_KEY in data or "phases" in data
