"""Command line: `flopcount estimate | accelerators | thresholds`.

Bad input of any kind prints one line naming the file and field and exits with status 2;
no traceback reaches the user for an input problem.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .inputs.configs import config_file, spec_from_mapping
from .data import assumptions
from .data.assumptions import HOURS_PER_DAY
from .data.accelerators import ACCELERATORS
from .data.phases import BY_ID as PHASE_KINDS, PhaseKind
from .data.thresholds import MODALITIES, MODIFICATION_KINDS, THRESHOLDS
from .boundary.errors import InputError
from .count.estimate import METHODS, estimate
from .boundary.fields import load_mapping
from .model.formulas import ATTENTION_CONVENTIONS, lora_weights
from .hardware.accelerators import HardwareUse, default_utilization, find_accelerator, peak
from .boundary.numbers import parse_count, parse_fraction_range, parse_positive, sig2
from .model.peft import base_config, cached_config, is_adapter, read_adapter
from .inputs.plan import (BaseModel, ModelRef, Phase, Plan, Trainable, check_images, is_plan, plan_from_mapping,
                   read_modalities)
from .records.render import table, to_json, to_text, wrap

EXIT_INPUT = 2
METHOD_NAMES = {m.lower(): m for m in METHODS if m != "reported"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit status is also 2
        self.exit(EXIT_INPUT, f"flopcount: error: {message}\n")


def _hardware(args: argparse.Namespace) -> HardwareUse | None:
    given = [o for o in ("gpu_hours", "gpus", "days", "precision", "utilization") if getattr(args, o) is not None]
    if args.accelerator is None:
        if given:
            raise InputError("needs --accelerator", field="--" + given[0].replace("_", "-"))
        return None
    acc = find_accelerator(args.accelerator, "--accelerator")
    hours = _accelerator_hours(args)
    precision = (args.precision or assumptions.DEFAULT_PRECISION).lower()
    peak(acc, precision, "--precision")
    util = (parse_fraction_range(args.utilization, "--utilization") if args.utilization is not None
            else default_utilization())
    return HardwareUse(acc, hours, precision, util, utilization_given=args.utilization is not None)


def _accelerator_hours(args: argparse.Namespace) -> float:
    """--gpu-hours, or --gpus × --days × 24 (the form of the Commission's worked examples)."""
    if args.gpu_hours is not None:
        if args.gpus is not None or args.days is not None:
            raise InputError("give --gpu-hours, or --gpus with --days, not both", field="--gpu-hours")
        return parse_positive(args.gpu_hours, "--gpu-hours")
    if args.gpus is None or args.days is None:
        raise InputError("required with --accelerator: --gpu-hours (devices × wall-clock hours), or --gpus N "
                         "with --days D", field="--gpu-hours" if args.gpus is None else "--days")
    return parse_count(args.gpus, "--gpus") * parse_positive(args.days, "--days") * HOURS_PER_DAY


def _single_phase_plan(args: argparse.Namespace, model: ModelRef, source: str,
                       trainable: Trainable = Trainable(), base_name: str | None = None) -> Plan:
    fixed = model.spec.fixed_seq_len if model.spec is not None else 0
    seq_len = parse_count(args.seq_len, "--seq-len") if args.seq_len is not None else \
        (fixed or assumptions.DEFAULT_SEQ_LEN)
    attention = args.attention or ATTENTION_CONVENTIONS[0]
    tokens = parse_count(args.tokens, "--tokens", allow_zero=True) if args.tokens is not None else None
    hardware = _hardware(args)
    if tokens is None and hardware is None:
        raise InputError("give --tokens D (training tokens) and/or --accelerator with --gpu-hours", field="--tokens")
    modifies = args.base_compute is not None or base_name is not None or not trainable.is_full
    kind = PHASE_KINDS[args.kind or ("fine-tuning" if modifies else "pre-training")]
    base = _base_model(args, kind, base_name)
    images = parse_count(args.images_per_sample, "--images-per-sample", allow_zero=True) \
        if args.images_per_sample is not None else 0
    if images:
        check_images(model.spec, images, seq_len, kind, "--images-per-sample", source)
    phase = Phase(name=kind.id, kind=kind, model=model, seq_len=seq_len, attention=attention, tokens=tokens,
                  hardware=hardware, trainable=trainable, seq_len_assumed=args.seq_len is None and not fixed,
                  images=images)
    return Plan(name=model.name, model=model, phases=(phase,), seq_len=seq_len, attention=attention, base=base,
                source=source, attention_assumed=args.attention is None, **verdict_inputs(args))


def _base_model(args: argparse.Namespace, kind: PhaseKind, base_name: str | None) -> BaseModel | None:
    """The model this work modifies: given by --base-compute (FLOP or 'unknown'), named by a
    PEFT adapter, or implied by a kind of work that starts from trained weights. Its compute
    is unknown unless given, and then the one-third rule takes the Guidelines' fallback line."""
    given, systemic = args.base_compute, bool(getattr(args, "base_systemic_risk", False))
    if given is None and base_name is None and kind.id not in MODIFICATION_KINDS:
        if systemic:
            raise InputError(f"applies to a modification ({kind.id} is none): give --base-compute or --kind "
                             "fine-tuning", field="--base-systemic-risk")
        return None
    unknown = given is None or given.strip().lower() == "unknown"
    return BaseModel(base_name or "base model", None if unknown else parse_count(given, "--base-compute"), systemic)


def verdict_inputs(args: argparse.Namespace) -> dict:
    """--modalities, --placed-on-market and (record) --released, as the Plan fields they set."""
    out: dict = {}
    if getattr(args, "modalities", None) is not None:
        out["modalities"] = read_modalities(args.modalities, "--modalities", "command line")
    for name in ("placed_on_market", "released"):
        value = getattr(args, name, None)
        if value is not None:
            try:
                out[name] = dt.date.fromisoformat(value)
            except ValueError:
                raise InputError(f"must be a date YYYY-MM-DD, got {value!r}",
                                 field="--" + name.replace("_", "-")) from None
    return out


def _plan(args: argparse.Namespace) -> Plan:
    if args.path is None:
        if args.params is None and args.accelerator is None:
            _hardware(args)  # a hardware flag without --accelerator is named first
            raise InputError("give a config.json / run plan PATH, --params N with --tokens D, or the hardware "
                             "(--accelerator with --gpu-hours, or --gpus and --days)", field="--params")
        params = parse_count(args.params, "--params") if args.params is not None else None
        return _single_phase_plan(args, ModelRef("model", params=params), "")
    path, label = args.path, None
    from .import_cli import import_plan
    imported = import_plan(path, args)  # a training recipe or finished run: flags fill what it lacks
    if imported is not None:
        extra = [o for o in ("params", "accelerator", "gpu_hours", "days", "base_compute", "images_per_sample")
                 if getattr(args, o) is not None]
        if extra:
            raise InputError(f"--{extra[0].replace('_', '-')} does not apply to an imported recipe or run "
                             "(import it to a plan and edit that)", source=path)
        return replace(imported, **verdict_inputs(args))
    if not Path(path).exists():  # a model id in the local Hugging Face cache (never downloaded)
        cached = cached_config(path)
        path, label = (str(cached), path) if cached else (path, None)
    else:
        path = str(config_file(path))  # a folder: its config.json, or an adapter's adapter_config.json
    data = load_mapping(path)
    if args.base_config is not None and not is_adapter(data):
        raise InputError("applies to a PEFT adapter_config.json only", field="--base-config")
    if is_plan(data):
        extra = [o for o in ("params", "tokens", "accelerator", "gpu_hours", "base_compute", "kind", "images_per_sample")
                 if getattr(args, o) is not None]
        if extra:
            raise InputError(f"--{extra[0].replace('_', '-')} applies to config files; a run plan sets it per phase",
                             source=args.path)
        for key in ("seq_len", "attention"):  # command-line values override the plan's defaults
            if getattr(args, key) is not None:
                data[key] = getattr(args, key)
        return replace(plan_from_mapping(data, args.path), **verdict_inputs(args))
    if args.params is not None:
        raise InputError("--params conflicts with a config file, which defines the parameters", field="--params")
    if is_adapter(data):
        return _adapter_plan(args, data, path)
    spec = spec_from_mapping(data, path, label)
    return _single_phase_plan(args, ModelRef(spec.name, spec=spec), path)


def _adapter_plan(args: argparse.Namespace, data: dict, path: str) -> Plan:
    """A LoRA fine-tune from a PEFT adapter_config.json and its base model's config."""
    adapter = read_adapter(data, path)
    base_path, label = base_config(adapter, args.base_config)
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
    plan = _single_phase_plan(args, ModelRef(spec.name, spec=spec), path, trainable,
                              base_name=adapter.base or label or spec.name)
    note = (f"PEFT adapter: LoRA rank {adapter.rank} on {', '.join(adapter.targets)} of {spec.name} "
            f"({base_file}): {weights:,} adapter weights train, the base is frozen; lora_alpha scales the "
            "adapter's output and changes no FLOP")
    return replace(plan, notes=plan.notes + (note,))


def resolve_plan(path: str, args: argparse.Namespace) -> Plan:
    """What `estimate PATH` makes of a path — run plan, recipe or run, model config or
    folder, PEFT adapter — for any command that takes one (record --plan); flags the
    command lacks take estimate's defaults."""
    defaults = vars(build_parser().parse_args(["estimate"]))
    return _plan(argparse.Namespace(**{**defaults, **vars(args), "path": path}))


def _method_name(text: str) -> str:
    """A method name in any case, as its canonical spelling (6nd → 6ND)."""
    return METHOD_NAMES.get(text.lower(), text)


def cmd_estimate(args: argparse.Namespace) -> int:
    plan = _plan(args)
    methods = METHODS if args.method is None else (args.method, "reported")
    result = estimate(plan, prefer=methods[0] if args.method else None)
    if args.method and not result.by_method.get(methods[0]):
        raise InputError(f"method {methods[0]} does not apply to these inputs", field="--method")
    if args.json:
        print(json.dumps(to_json(result, methods), indent=2))
    else:
        print(to_text(result, methods), end="")
    return 0


def cmd_accelerators(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([{"id": a.id, "name": a.name, "aliases": list(a.aliases), "peak_flops": dict(a.peak),
                           "power_w": a.power_w, "source": a.source, "verified": a.verified, "note": a.note}
                          for a in ACCELERATORS], indent=2))
        return 0
    lines = ["Dense peak FLOP/s per precision (no sparsity)", ""]
    for a in ACCELERATORS:
        peaks = ", ".join(f"{p} {v / 1e12:g}T" for p, v in a.peak.items())
        flag = "" if a.verified else "  [unverified]"
        lines += [f"{a.id:<10} {a.name}{flag}", f"           {peaks}",
                  f"           aliases: {', '.join(a.aliases) or '—'}", f"           source: {a.source}"]
    print("\n".join(wrap(lines)))
    return 0


def cmd_thresholds(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([t.__dict__ for t in THRESHOLDS], indent=2))
        return 0
    rows = [[t.id, f"> {sig2(t.flop)}" if t.flop else "> 1/3 of base", t.quantity.replace("_", " "),
             t.status + ("" if t.verified else " [unverified]")] for t in THRESHOLDS]
    lines = []
    for t, row in zip(THRESHOLDS, table(rows)):
        lines += [row, *wrap([f"    {t.instrument}, {t.provision}"]), f"    {t.source}"]  # a URL stays whole
    print("\n".join(lines))
    return 0


def add_base_arguments(parser: argparse.ArgumentParser) -> None:
    """The base model a modification starts from (estimate, record)."""
    parser.add_argument("--base-compute", help="base model's training compute in FLOP, or 'unknown' (a modification; "
                        "a PEFT adapter or --kind fine-tuning, continued-pre-training or rl without it: unknown, "
                        "judged by the Guidelines' fallback line)")
    parser.add_argument("--base-systemic-risk", action="store_true", help="the base model has systemic risk")


def add_verdict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--modalities", help="what the model generates, comma-separated: "
                        f"{', '.join(MODALITIES)} (the GPAI criterion is about text, audio, images, video)")
    parser.add_argument("--placed-on-market", help="date first placed on the EU market, YYYY-MM-DD "
                        "(before 2025-08-02: Art. 111(3))")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flopcount", description="Training compute against the legal thresholds "
                     "(convention: 1 multiply-add = 2 FLOP).")
    parser.add_argument("--version", action="version", version=f"flopcount {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    est = sub.add_parser("estimate", help="estimate training compute from a config or run plan")
    est.add_argument("path", nargs="?", help="HuggingFace config.json or snapshot folder, a model id in the local HF "
                                             "cache, a PEFT adapter_config.json, flopcount spec, run plan (YAML/JSON), "
                                             "or a training recipe or finished run (see `flopcount import`)")
    est.add_argument("--params", help="parameter count N (e.g. 7B) when no config is given")
    est.add_argument("--tokens", help="training tokens D (e.g. 2T, 300B, 1.5e12)")
    est.add_argument("--seq-len", help=f"sequence length T (default {assumptions.DEFAULT_SEQ_LEN}, stated in output)")
    est.add_argument("--attention", choices=ATTENTION_CONVENTIONS,
                     help=f"windowed (default: {assumptions.DEFAULT_ATTENTION_REASON}); full: T² on every layer, "
                          "windows ignored; causal: T(T+1)/2 on global layers")
    est.add_argument("--images-per-sample", help="images in each training sample of a vision-language model "
                                                 "(its vision tower runs per image; T includes their tokens)")
    est.add_argument("--accelerator", help="accelerator id or alias (see `flopcount accelerators`)")
    est.add_argument("--gpu-hours", help="accelerator-hours (devices × wall-clock hours)")
    est.add_argument("--gpus", help="number of accelerators (with --days, instead of --gpu-hours; for a recipe: "
                                    "the devices it ran on)")
    est.add_argument("--days", help="wall-clock days of training (with --gpus)")
    est.add_argument("--precision", help=f"precision of the peak used (default {assumptions.DEFAULT_PRECISION})")
    est.add_argument("--utilization", help="utilisation U or LOW:HIGH (default "
                     f"{assumptions.UTILIZATION_LOW}:{assumptions.UTILIZATION_HIGH})")
    est.add_argument("--method", choices=sorted(set(METHOD_NAMES.values())), type=_method_name,
                     help="use and show only this method (any case)")
    est.add_argument("--kind", choices=sorted(PHASE_KINDS), metavar="KIND",
                     help="kind of work (default pre-training; fine-tuning for an adapter or with --base-compute): "
                          + ", ".join(sorted(PHASE_KINDS)))
    add_base_arguments(est)
    est.add_argument("--base-config", help="base model config.json (or snapshot folder) for a PEFT adapter_config.json; "
                                           "default: the adapter's base model in the local Hugging Face cache")
    from .import_cli import add_import_flags
    add_import_flags(est, skip=("--seq-len", "--tokens", "--gpus", "--base-config"))
    add_verdict_arguments(est)
    est.add_argument("--json", action="store_true", help="machine-readable output (documented in the README)")
    est.set_defaults(func=cmd_estimate)
    acc = sub.add_parser("accelerators", help="list the accelerator table")
    acc.add_argument("--json", action="store_true")
    acc.set_defaults(func=cmd_accelerators)
    from .measure_cli import add_parser as add_measure  # imports torch only when run
    add_measure(sub)
    from .records.status import add_parsers as add_status
    add_status(sub)
    from .plot_cli import add_parser as add_plot
    add_plot(sub)
    from .record_cli import add_parser as add_record
    add_record(sub)
    from .import_cli import add_parser as add_import
    add_import(sub)
    from .obligations_cli import add_parser as add_obligations
    add_obligations(sub)
    from .suite_cli import add_parser as add_suite
    add_suite(sub)
    thr = sub.add_parser("thresholds", help="list the threshold table")
    thr.add_argument("--json", action="store_true")
    thr.set_defaults(func=cmd_thresholds)
    for name, command in sub.choices.items():  # examples under every subcommand's --help
        command.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES.get(name, ()))
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "run `flopcount COMMAND --help` for a command's options and examples"
    return parser


#: Invocations shown under each subcommand's --help. Those naming examples/ run as written
#: from the repository root (tested); ledgers, keys and factories stand for the reader's own.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "estimate": ("flopcount estimate examples/plans/llama-3.1-405b.yaml",
                 "flopcount estimate examples/configs/llama-3.1-8b.json --tokens 15T",
                 "flopcount estimate --params 70B --tokens 2T --json",
                 "flopcount estimate --accelerator h100 --gpus 25000 --days 90 --utilization 0.4"),
    "accelerators": ("flopcount accelerators", "flopcount accelerators --json"),
    "obligations": ("flopcount obligations examples/obligations/open-70b.yaml --as-of 2026-12-02",
                    "flopcount obligations examples/obligations/open-70b.yaml --json"),
    "thresholds": ("flopcount thresholds",),
    "measure": ("flopcount measure examples/configs/llama-3.1-8b.json --seq-len 8192",
                "flopcount measure my_models:build --batch 8 --seq-len 2048"),
    "status": ("flopcount status compute.db", "flopcount status postgresql://user@host/ledger --json"),
    "verify": ("flopcount verify compute.db",
               "flopcount verify copy.db --key provider.key.pub --expect head.json"),
    "checkpoint": ("flopcount checkpoint compute.db --key provider.key -o heads/day1.json",),
    "keygen": ("flopcount keygen provider.key",),
    "import": ("flopcount import out/ --seq-len 2048 > plan.yaml",
               "flopcount import tests/recipes/torchtitan/llama3_8b.toml --gpus 64"),
    "suite": ("flopcount suite tests/recipes/neox/pythia-suite.yaml",
              "flopcount suite tests/recipes/neox/pythia-suite.yaml -o out/pythia --format json",
              "flopcount suite recipes/ --checkpoints 0,every:1000 --vocab-size 50277 --gpus 64"),
    "plot": ("flopcount plot planning -o planning.png",
             "flopcount plot run compute.db --planned-steps 100000 -o run.png"),
    "record": ("flopcount record --plan examples/plans/gpt3-175b.yaml -o out/gpt3",
               "flopcount record --ledger compute.db --model my-model -o out/my-model",
               "flopcount record --check out/my-model.json --key provider.key.pub"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # bare `flopcount`: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as exc:
        print(f"flopcount: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
