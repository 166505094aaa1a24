"""`flopcount plot KIND ... -o FILE.png|svg`: the charts of `flopcount.plot`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .errors import InputError
from .numbers import parse_count, parse_fraction_range

KINDS = ("planning", "run", "methods", "finetune", "hardware")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plot", help="write a planning or monitoring chart (PNG/SVG)")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("path", nargs="*", help="planning: run plans to add as points; run: a ledger; "
                   "methods: a run plan; finetune: a config.json")
    from .import_cli import add_import_flags
    add_import_flags(p)
    p.add_argument("-o", "--output", required=True, help="output file (.png or .svg)")
    p.add_argument("--model", help="run: which model in the ledger (default: all rows)")
    p.add_argument("--planned-steps", help="run: planned steps, for the projection")
    p.add_argument("--base-compute", help="finetune: the base model's training compute (FLOP)")
    p.add_argument("--lora-rank", default="16", help="finetune: LoRA rank for the LoRA curve (0: none)")
    p.add_argument("--precision", default="bf16", help="hardware: precision of the peaks")
    p.add_argument("--utilization", default=None, help="hardware: LOW:HIGH utilisation")
    p.set_defaults(func=run)


def _one(args: argparse.Namespace, what: str) -> str:
    if len(args.path) != 1:
        raise InputError(f"plot {args.kind} takes one {what}", field="path")
    return args.path[0]


def run(args: argparse.Namespace) -> int:
    try:
        from . import plot
    except ImportError:
        raise InputError("charts need matplotlib: pip install 'flopcount[plot]'") from None
    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError("must end in .png or .svg", field="--output")
    if args.kind == "planning":
        from .estimate import estimate
        from .import_cli import load_any_plan
        points = None
        if args.path:
            from .data.models import PUBLISHED_RUNS
            points = [(r.name, r.params, r.tokens) for r in PUBLISHED_RUNS]
            for path in args.path:
                plan = load_any_plan(path, args)
                tokens = sum(p.tokens or 0 for p in plan.phases if p.kind.training)
                points.append((plan.name, estimate(plan).plan.model.active_params, tokens))
        fig = plot.planning_map(points)
    elif args.kind == "run":
        from .ledger import Ledger
        with Ledger(_one(args, "ledger"), create=False) as ledger:
            steps, cum = plot.ledger_series(ledger.rows(), args.model)
        if not steps:
            raise InputError("no training rows" + (f" for model {args.model!r}" if args.model else ""),
                             source=args.path[0])
        planned = parse_count(args.planned_steps, "--planned-steps") if args.planned_steps is not None else None
        fig = plot.run_chart(steps, cum, planned_steps=planned, title=f"Cumulative compute: {args.model or 'all'}")
    elif args.kind == "methods":
        from .estimate import estimate
        from .import_cli import load_any_plan
        fig = plot.methods_chart(estimate(load_any_plan(_one(args, "run plan"), args)))
    elif args.kind == "finetune":
        from .configs import load_spec
        from .formulas import lora_weights
        from .spec import count_parameters
        spec = load_spec(_one(args, "config"))
        if args.base_compute is None:
            raise InputError("required for plot finetune", field="--base-compute")
        base = parse_count(args.base_compute, "--base-compute")
        n = count_parameters(spec).active
        curves = {"full fine-tuning (6·N)": 6.0 * n}
        rank = parse_count(args.lora_rank, "--lora-rank", allow_zero=True)
        if rank:
            adapters = lora_weights(spec, rank, ("q", "k", "v", "o"))
            curves[f"LoRA r={rank} on attention (4·N + 6·A)"] = 4.0 * n + 6.0 * adapters
        fig = plot.finetune_budget_chart(float(base), float(n), per_token=curves,
                                         title=f"Fine-tuning budget on {spec.name} (base {base:.2e} FLOP)")
    else:
        from .data.accelerators import ACCELERATORS, PRECISIONS
        if not any(args.precision in a.peak for a in ACCELERATORS):
            raise InputError(f"no accelerator has a {args.precision!r} peak; one of {', '.join(PRECISIONS)}",
                             field="--precision")
        util = parse_fraction_range(args.utilization, "--utilization") if args.utilization is not None else None
        fig = plot.hardware_budget_chart(precision=args.precision, **({"utilization": util} if util else {}))
    try:
        fig.savefig(out, dpi=110, bbox_inches="tight")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", field="--output") from None
    print(f"wrote {out}")
    return 0
