"""`flopcount estimate PATH`: a model's training compute by every method, against the lines.

What PATH may be, and how flags complete it, is the resolver's (`flopcount.importers.resolve`),
shared with `record --plan`, `plot` and `obligations`.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..count.estimate import METHODS
from ..law.estimate import estimate
from ..data import assumptions
from ..data.phases import BY_ID as PHASE_KINDS
from ..importers.resolve import Request, resolve
from ..model.formulas import ATTENTION_CONVENTIONS
from ..boundary.errors import InputError
from ..records.render import to_json, to_text
from .flags import add_base_arguments, add_import_flags, add_verdict_arguments

METHOD_NAMES = {m.lower(): m for m in METHODS if m != "reported"}


def _method_name(text: str) -> str:
    """A method name in any case, as its canonical spelling (6nd → 6ND)."""
    return METHOD_NAMES.get(text.lower(), text)


def add_parser(sub: Any) -> None:
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
    add_import_flags(est, skip=("--seq-len", "--tokens", "--gpus", "--base-config"))
    add_verdict_arguments(est)
    est.add_argument("--json", action="store_true", help="machine-readable output (documented in the README)")
    est.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = resolve(Request.of(args))
    methods = METHODS if args.method is None else (args.method, "reported")
    result = estimate(plan, prefer=methods[0] if args.method else None)
    if args.method and not result.by_method.get(methods[0]):
        raise InputError(f"method {methods[0]} does not apply to these inputs", field="--method")
    if args.json:
        print(json.dumps(to_json(result, methods), indent=2))
    else:
        print(to_text(result, methods), end="")
    return 0
