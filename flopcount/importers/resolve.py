"""The one input resolver: any path a user gives, and the flags that complete it, become one
`Plan` — the same way for `estimate`, `record --plan`, `plot`, `obligations` and the library.

A path is recognised once, by `identify` (the one sniffing step): a training recipe or
finished run goes to its importer (flags fill what it lacks), a run plan is read as written
(flags override its defaults), and a model config, snapshot folder, PEFT adapter or a model
id in the local Hugging Face cache becomes a one-phase plan from `--tokens` and/or the
hardware. Without a path, `--params` with `--tokens`, or the hardware alone, do.

Flags are the strings a user typed (`Request`), parsed here with the flag's name in any
message, so a bad value reads the same from every command.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from ..boundary.numbers import parse_count, parse_fraction_range, parse_positive
from ..data import assumptions
from ..data.assumptions import HOURS_PER_DAY
from ..data.phases import BY_ID as PHASE_KINDS, PhaseKind
from ..data.thresholds import MODIFICATION_KINDS
from ..hardware.accelerators import HardwareUse, default_utilization, find_accelerator, peak
from ..inputs.configs import config_file, spec_from_mapping
from ..inputs.plan import (BaseModel, ModelRef, Phase, Plan, Trainable, check_images, is_plan, plan_from_mapping,
                           read_modalities)
from ..model.formulas import ATTENTION_CONVENTIONS, lora_weights
from ..model.peft import base_config, cached_config, is_adapter, read_adapter
from .identify import identify
from .recipe import Flags


@dataclass(frozen=True)
class Request:
    """What completes a path, as typed (None: not given). Field names are the flags'."""

    path: str | None = None
    params: str | None = None
    tokens: str | None = None
    seq_len: str | None = None
    attention: str | None = None
    images_per_sample: str | None = None
    accelerator: str | None = None
    gpu_hours: str | None = None
    gpus: str | None = None
    days: str | None = None
    precision: str | None = None
    utilization: str | None = None
    kind: str | None = None
    base_compute: str | None = None
    base_systemic_risk: bool = False
    base_config: str | None = None
    samples: str | None = None
    dataset_tokens: str | None = None
    vocab_size: str | None = None
    trainer: str | None = None
    modalities: str | None = None
    placed_on_market: str | None = None
    released: str | None = None

    @classmethod
    def of(cls, options: Any, **override: Any) -> "Request":
        """The request an argparse namespace (or any object) holds; attributes it lacks
        are not given."""
        given = {f.name: getattr(options, f.name) for f in fields(cls) if getattr(options, f.name, None) is not None}
        return cls(**{**given, **override})

    def import_flags(self) -> Flags:
        """What an importer may ask for."""
        return Flags(seq_len=self.seq_len, tokens=self.tokens, gpus=self.gpus, samples=self.samples,
                     dataset_tokens=self.dataset_tokens, base_config=self.base_config, vocab_size=self.vocab_size,
                     trainer=self.trainer, kind=self.kind if self.kind in PHASE_KINDS else None)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def resolve(request: Request) -> Plan:
    """The `Plan` a path (or, without one, the flags) stands for."""
    if request.path is None:
        return _flags_only(request)
    path, label = request.path, None
    imported = import_plan(path, request)  # a training recipe or finished run: flags fill what it lacks
    if imported is not None:
        _refuse(request, ("params", "accelerator", "gpu_hours", "days", "base_compute", "images_per_sample"),
                "does not apply to an imported recipe or run (import it to a plan and edit that)", source=path)
        return replace(imported, **verdict_inputs(request))
    if not Path(path).exists():  # a model id in the local Hugging Face cache (never downloaded)
        cached = cached_config(path)
        path, label = (str(cached), path) if cached else (path, None)
    else:
        path = str(config_file(path))  # a folder: its config.json, or an adapter's adapter_config.json
    data = load_mapping(path)
    if request.base_config is not None and not is_adapter(data):
        raise InputError("applies to a PEFT adapter_config.json only", field="--base-config")
    if is_plan(data):
        return _run_plan(request, data)
    if request.params is not None:
        raise InputError("--params conflicts with a config file, which defines the parameters", field="--params")
    if is_adapter(data):
        return _adapter_plan(request, data, path)
    spec = spec_from_mapping(data, path, label)
    return _single_phase_plan(request, ModelRef(spec.name, spec=spec), path)


def plan_of(path: str, options: Any = None, **flags: Any) -> Plan:
    """`resolve` for a path, with the flags an argparse namespace (or keywords) gives:
    `plan_of("recipe.yaml", gpus="64")`."""
    return resolve(Request.of(options, path=path, **flags))


def import_plan(path: str, request: Request = Request()) -> Plan | None:
    """The Plan of an importable recipe or run at `path`; None for what `resolve` reads itself
    (run plan, model config, adapter, model id); the one line for anything else."""
    found = identify(path)  # the one sniffing step: an unknown file is refused here, for every command
    if found.importer is None:
        return None
    imported = found.importer.read(Path(path), request.import_flags())
    plan = plan_from_mapping(imported.plan, path, Path(path).resolve().parent)
    # the importer's caveats (upper bounds, passes not counted) travel into estimates and records
    return dataclasses.replace(plan, notes=plan.notes + tuple(f"{Path(path).name}: {n}" for n in imported.notes))


def _refuse(request: Request, names: tuple[str, ...], why: str, source: str | None = None) -> None:
    extra = [n for n in names if getattr(request, n) is not None]
    if extra:
        raise InputError(f"{flag(extra[0])} {why}", source=source)


def _flags_only(request: Request) -> Plan:
    if request.params is None and request.accelerator is None:
        hardware(request)  # a hardware flag without --accelerator is named first
        raise InputError("give a config.json / run plan PATH, --params N with --tokens D, or the hardware "
                         "(--accelerator with --gpu-hours, or --gpus and --days)", field="--params")
    params = parse_count(request.params, "--params") if request.params is not None else None
    return _single_phase_plan(request, ModelRef("model", params=params), "")


def _run_plan(request: Request, data: dict) -> Plan:
    """A run plan as written; --seq-len and --attention override its defaults."""
    _refuse(request, ("params", "tokens", "accelerator", "gpu_hours", "base_compute", "kind", "images_per_sample"),
            "applies to config files; a run plan sets it per phase", source=request.path)
    for key in ("seq_len", "attention"):
        if getattr(request, key) is not None:
            data[key] = getattr(request, key)
    return replace(plan_from_mapping(data, request.path), **verdict_inputs(request))


def hardware(request: Request) -> HardwareUse | None:
    """--accelerator with --gpu-hours (or --gpus and --days), --precision, --utilization."""
    given = [o for o in ("gpu_hours", "gpus", "days", "precision", "utilization") if getattr(request, o) is not None]
    if request.accelerator is None:
        if given:
            raise InputError("needs --accelerator", field=flag(given[0]))
        return None
    acc = find_accelerator(request.accelerator, "--accelerator")
    hours = _accelerator_hours(request)
    precision = (request.precision or assumptions.DEFAULT_PRECISION).lower()
    peak(acc, precision, "--precision")
    util = (parse_fraction_range(request.utilization, "--utilization") if request.utilization is not None
            else default_utilization())
    return HardwareUse(acc, hours, precision, util, utilization_given=request.utilization is not None)


def _accelerator_hours(request: Request) -> float:
    """--gpu-hours, or --gpus × --days × 24 (the form of the Commission's worked examples)."""
    if request.gpu_hours is not None:
        if request.gpus is not None or request.days is not None:
            raise InputError("give --gpu-hours, or --gpus with --days, not both", field="--gpu-hours")
        return parse_positive(request.gpu_hours, "--gpu-hours")
    if request.gpus is None or request.days is None:
        raise InputError("required with --accelerator: --gpu-hours (devices × wall-clock hours), or --gpus N "
                         "with --days D", field="--gpu-hours" if request.gpus is None else "--days")
    return parse_count(request.gpus, "--gpus") * parse_positive(request.days, "--days") * HOURS_PER_DAY


def _single_phase_plan(request: Request, model: ModelRef, source: str,
                       trainable: Trainable = Trainable(), base_name: str | None = None) -> Plan:
    fixed = model.spec.fixed_seq_len if model.spec is not None else 0
    seq_len = parse_count(request.seq_len, "--seq-len") if request.seq_len is not None else \
        (fixed or assumptions.DEFAULT_SEQ_LEN)
    attention = request.attention or ATTENTION_CONVENTIONS[0]
    tokens = parse_count(request.tokens, "--tokens", allow_zero=True) if request.tokens is not None else None
    hw = hardware(request)
    if tokens is None and hw is None:
        raise InputError("give --tokens D (training tokens) and/or --accelerator with --gpu-hours", field="--tokens")
    modifies = request.base_compute is not None or base_name is not None or not trainable.is_full
    kind = PHASE_KINDS[request.kind or ("fine-tuning" if modifies else "pre-training")]
    base = _base_model(request, kind, base_name)
    images = parse_count(request.images_per_sample, "--images-per-sample", allow_zero=True) \
        if request.images_per_sample is not None else 0
    if images:
        check_images(model.spec, images, seq_len, kind, "--images-per-sample", source)
    phase = Phase(name=kind.id, kind=kind, model=model, seq_len=seq_len, attention=attention, tokens=tokens,
                  hardware=hw, trainable=trainable, seq_len_assumed=request.seq_len is None and not fixed,
                  images=images)
    return Plan(name=model.name, model=model, phases=(phase,), seq_len=seq_len, attention=attention, base=base,
                source=source, attention_assumed=request.attention is None, **verdict_inputs(request))


def _base_model(request: Request, kind: PhaseKind, base_name: str | None) -> BaseModel | None:
    """The model this work modifies: given by --base-compute (FLOP or 'unknown'), named by a
    PEFT adapter, or implied by a kind of work that starts from trained weights. Its compute
    is unknown unless given, and then the one-third rule takes the Guidelines' fallback line."""
    given, systemic = request.base_compute, bool(request.base_systemic_risk)
    if given is None and base_name is None and kind.id not in MODIFICATION_KINDS:
        if systemic:
            raise InputError(f"applies to a modification ({kind.id} is none): give --base-compute or --kind "
                             "fine-tuning", field="--base-systemic-risk")
        return None
    unknown = given is None or given.strip().lower() == "unknown"
    return BaseModel(base_name or "base model", None if unknown else parse_count(given, "--base-compute"), systemic)


def verdict_inputs(request: Request) -> dict:
    """--modalities, --placed-on-market and (record) --released, as the Plan fields they set."""
    out: dict = {}
    if request.modalities is not None:
        out["modalities"] = read_modalities(request.modalities, "--modalities", "command line")
    for name in ("placed_on_market", "released"):
        value = getattr(request, name)
        if value is not None:
            try:
                out[name] = dt.date.fromisoformat(value)
            except ValueError:
                raise InputError(f"must be a date YYYY-MM-DD, got {value!r}", field=flag(name)) from None
    return out


def _adapter_plan(request: Request, data: dict, path: str) -> Plan:
    """A LoRA fine-tune from a PEFT adapter_config.json and its base model's config."""
    adapter = read_adapter(data, path)
    base_path, label = base_config(adapter, request.base_config)
    base_file = config_file(base_path, ("config.json",))
    spec = spec_from_mapping(load_mapping(base_file), str(base_file), label)
    if len(spec.towers) > 1:
        raise InputError(f"LoRA counts are modelled for single-tower language models; {spec.name} has towers "
                         f"{', '.join(t.name for t in spec.towers)}", source=path, field="base_model_name_or_path")
    try:
        weights = lora_weights(spec, adapter.rank, adapter.targets)
    except InputError as exc:
        raise InputError(exc.message, source=path, field="target_modules") from None
    trainable = Trainable(mode="lora", lora_rank=adapter.rank, lora_targets=adapter.targets, adapter_weights=weights)
    plan = _single_phase_plan(request, ModelRef(spec.name, spec=spec), path, trainable,
                              base_name=adapter.base or label or spec.name)
    note = (f"PEFT adapter: LoRA rank {adapter.rank} on {', '.join(adapter.targets)} of {spec.name} "
            f"({base_file}): {weights:,} adapter weights train, the base is frozen; lora_alpha scales the "
            "adapter's output and changes no FLOP")
    return replace(plan, notes=plan.notes + (note,))
