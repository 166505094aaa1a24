"""`flopcount plot KIND ... -o FILE.png|svg`: the charts of `flopcount.records.plot`, one
sub-command (with its own --help) per chart."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.numbers import parse_count, parse_fraction_range

#: Each chart: what it shows (its --help line) and invocations shown under its --help.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "planning": ("parameters × tokens: your plans against the threshold lines and published runs",
                 ("flopcount plot planning examples/plans/ourlab-7b.yaml -o planning.png",
                  "flopcount plot planning examples/plans/ourlab-7b.yaml --no-reference -o mine.png")),
    "run": ("cumulative compute from a ledger: one line per run, projection, crossings",
            ("flopcount plot run compute.db --planned-steps 100000 -o run.png",
             "flopcount plot run compute.db --model my-model -o run.svg")),
    "methods": ("each method's estimate per phase, with intervals",
                ("flopcount plot methods examples/plans/llama-3.1-405b.yaml -o methods.png",)),
    "finetune": ("fine-tuning token budget under the one-third rule (full and LoRA)",
                 ("flopcount plot finetune examples/configs/llama-3.1-8b.json --base-compute 7.2e23 -o ft.png",)),
    "hardware": ("accelerator-days before each threshold",
                 ("flopcount plot hardware -o hw.png", "flopcount plot hardware --precision fp8 -o hw.png")),
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plot", help="write a planning or monitoring chart (PNG/SVG)",
                       description="Write a chart. Each kind has its own options: flopcount plot KIND --help")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, (text, examples) in KINDS.items():
        k = kinds.add_parser(kind, help=text, description=text, formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog="examples:\n" + "\n".join(f"  {line}" for line in examples))
        ADD[kind](k)
        k.add_argument("-o", "--output", required=True, help="output file (.png or .svg)")
        k.set_defaults(func=run)


def _planning(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="*", help="your run plans (or recipes), drawn emphasised")
    p.add_argument("--no-reference", dest="reference", action="store_false",
                   help="leave out the published runs (data.models)")
    from .flags import add_import_flags
    add_import_flags(p)


def _run(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs=1, metavar="LEDGER", help="a flopcount ledger (file or postgresql:// URL)")
    p.add_argument("--model", help="which model in the ledger (default: all rows)")
    p.add_argument("--planned-steps", help="planned steps of the latest run, for the projection")


def _methods(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs=1, metavar="PLAN", help="a run plan (or recipe)")
    from .flags import add_import_flags
    add_import_flags(p)


def _finetune(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs=1, metavar="CONFIG", help="the base model's config.json")
    p.add_argument("--base-compute", help="the base model's training compute (FLOP); required")
    p.add_argument("--lora-rank", default="16", help="LoRA rank for the LoRA curve (0: none; default 16)")


def _hardware(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", default="bf16", help="precision of the peaks (default bf16)")
    p.add_argument("--utilization", default=None, help="LOW:HIGH utilisation")


ADD = {"planning": _planning, "run": _run, "methods": _methods, "finetune": _finetune, "hardware": _hardware}


def _plan(path: str, args: argparse.Namespace):
    """A plan or recipe as `estimate` reads it, completed by the recipe flags only (here
    `kind` names the chart, not the kind of work)."""
    from ..importers.resolve import plan_of
    from .flags import IMPORT_FLAGS
    names = [f[2:].replace("-", "_") for f in IMPORT_FLAGS]
    return plan_of(path, **{n: getattr(args, n) for n in names if getattr(args, n, None) is not None})


def _planning_chart(args: argparse.Namespace, plot: Any):
    from ..law.estimate import estimate
    points = []
    for path in args.path:
        plan = _plan(path, args)
        tokens = sum(p.tokens or 0 for p in plan.phases if p.kind.training)
        points.append((plan.name, estimate(plan).plan.model.active_params, tokens))
    return plot.planning_map(points, reference=args.reference)


def _run_chart(args: argparse.Namespace, plot: Any):
    from ..ledger import Ledger
    with Ledger(args.path[0], create=False) as ledger:
        runs = plot.ledger_runs(ledger.rows(), args.model)
    if not any(r.steps for r in runs):
        raise InputError("no counted rows" + (f" for model {args.model!r}" if args.model else ""),
                         source=args.path[0])
    planned = parse_count(args.planned_steps, "--planned-steps") if args.planned_steps is not None else None
    models = sorted({r.model for r in runs})
    return plot.run_chart(runs=runs, planned_steps=planned, title=f"Cumulative compute: {args.model or ', '.join(models)}")


def _methods_chart(args: argparse.Namespace, plot: Any):
    from ..law.estimate import estimate
    return plot.methods_chart(estimate(_plan(args.path[0], args)))


def _finetune_chart(args: argparse.Namespace, plot: Any):
    from ..inputs.configs import load_spec
    from ..model.formulas import lora_weights
    from ..model.spec import count_parameters
    spec = load_spec(args.path[0])
    if args.base_compute is None:
        raise InputError("required for plot finetune", field="--base-compute")
    base = parse_count(args.base_compute, "--base-compute")
    n = count_parameters(spec).active
    curves = {"full fine-tuning (6·N)": 6.0 * n}
    rank = parse_count(args.lora_rank, "--lora-rank", allow_zero=True)
    if rank:
        adapters = lora_weights(spec, rank, ("q", "k", "v", "o"))
        curves[f"LoRA r={rank} on attention (4·N + 6·A)"] = 4.0 * n + 6.0 * adapters
    return plot.finetune_budget_chart(float(base), float(n), per_token=curves, model=spec.name)


def _hardware_chart(args: argparse.Namespace, plot: Any):
    from ..data.accelerators import ACCELERATORS, PRECISIONS
    if not any(args.precision in a.peak for a in ACCELERATORS):
        raise InputError(f"no accelerator has a {args.precision!r} peak; one of {', '.join(PRECISIONS)}",
                         field="--precision")
    util = parse_fraction_range(args.utilization, "--utilization") if args.utilization is not None else None
    return plot.hardware_budget_chart(precision=args.precision, **({"utilization": util} if util else {}))


CHARTS = {"planning": _planning_chart, "run": _run_chart, "methods": _methods_chart, "finetune": _finetune_chart,
          "hardware": _hardware_chart}


def run(args: argparse.Namespace) -> int:
    try:
        from ..records import plot
    except ImportError:
        raise InputError("charts need matplotlib: pip install 'flopcount[plot]'") from None
    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError("must end in .png or .svg", field="--output")
    fig = CHARTS[args.kind](args, plot)
    try:
        fig.savefig(out, dpi=110, bbox_inches="tight")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", field="--output") from None
    print(f"wrote {out}")
    return 0
