"""`flopcount measure`: measured per-step and per-token FLOP of a config or a factory."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..model.blocks import ATTENTION_CONVENTIONS
from ..data import assumptions
from ..boundary.errors import InputError
from ..boundary.numbers import parse_count, sig2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("measure", help="count the FLOP a real forward/backward executes (meta device)")
    p.add_argument("target", help="HuggingFace config.json, or module:factory returning a model or (model, inputs)")
    p.add_argument("--seq-len", default=str(assumptions.DEFAULT_SEQ_LEN),
                   help=f"tokens per sequence (default {assumptions.DEFAULT_SEQ_LEN})")
    p.add_argument("--batch", default="1", help="sequences per step (default 1)")
    p.add_argument("--backend", choices=("torch", "fvcore"), default="torch")
    p.add_argument("--attention", choices=ATTENTION_CONVENTIONS, default=ATTENTION_CONVENTIONS[0],
                   help="which query-key pairs count: windowed (default: T² on global layers, the window on "
                        "sliding/chunked ones), full (T² everywhere), causal (only unmasked pairs)")
    p.add_argument("--elementwise", action="store_true", help="also count element-wise ops (norms, activations)")
    p.add_argument("--forward-only", action="store_true", help="no backward pass (inference)")
    p.add_argument("--depth", type=int, default=2, help="module depth of the breakdown table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _factory(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # as `python -m` would: factories live in the user's project
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module: any import failure is an input problem
        raise InputError(f"cannot import {module_name!r}: {exc}", field="target") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise InputError(f"{module_name} has no callable {attr!r}", field="target")
    try:
        built = fn()
    except (Exception, SystemExit) as exc:  # the user's code: one line, like any bad input
        detail = f" (exit code {exc.code!r})" if isinstance(exc, SystemExit) else f": {exc}"
        raise InputError(f"{target} raised {type(exc).__name__}{detail}", field="target") from None
    import torch
    model = built[0] if isinstance(built, tuple) and len(built) == 2 else built
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"{target} returned {type(built).__name__}; it must return an nn.Module or "
                         "(nn.Module, inputs)", field="target")
    return built


def run(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError("measuring needs torch: pip install 'flopcount[measure]'") from None
    from ..measure import count_step, hf, measure_config

    seq_len, batch = parse_count(args.seq_len, "--seq-len"), parse_count(args.batch, "--batch")
    if batch * seq_len > assumptions.MAX_MEASURED_TOKENS:
        raise InputError(f"batch × seq-len = {batch * seq_len:.3g} tokens in one step; a measured step holds at most "
                         f"{assumptions.MAX_MEASURED_TOKENS:.3g} (for a whole run use `flopcount estimate --tokens`)",
                         field="--batch")
    analytic = None
    if ":" in args.target and not Path(args.target).exists():
        built = _factory(args.target)
        model, inputs = built if isinstance(built, tuple) else (built, hf.token_inputs(batch, seq_len, "cpu"))
        name, tokens = args.target, batch * seq_len if not isinstance(built, tuple) else None
        result = count_step(model, inputs, backend=args.backend, backward=False if args.forward_only else None,
                            elementwise=args.elementwise, attention=args.attention, tokens=tokens)
    else:
        try:
            import transformers  # noqa: F401
        except ImportError:
            raise InputError("measuring a config needs transformers: pip install 'flopcount[measure]'") from None
        from ..model.formulas import forward_flops, training_flops
        result = measure_config(args.target, seq_len, batch=batch, backend=args.backend, attention=args.attention,
                                elementwise=args.elementwise, backward=not args.forward_only, progress=None)
        from ..measure.hf import build_spec
        spec = build_spec(args.target)
        name = Path(args.target).stem if spec is None else spec.name
        if spec is not None:
            seq_len = spec.fixed_seq_len or seq_len
            per_seq = (forward_flops(spec, seq_len, args.attention).total if args.forward_only
                       else training_flops(spec, seq_len, args.attention).total)
            analytic = Fraction(per_seq, seq_len)
    summary = result.summary()
    if analytic is not None:
        summary["analytic_per_token"] = float(analytic)
        summary["measured_over_analytic"] = float(result.per_token() / analytic) if result.tokens else None
    summary["by_module"] = result.by_module(args.depth)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    _print_text(name, result, analytic, args)
    return 0


def _print_text(name: str, result: Any, analytic: Fraction | None, args: argparse.Namespace) -> None:
    from ..records.render import wrap
    parts: list[str] = []
    out = parts.append
    out(f"flopcount measure — {name} ({result.backend} backend)\n")
    out(f"convention: 1 multiply-add = 2 FLOP; attention {result.attention}; "
        f"element-wise {'counted' if result.elementwise else 'not counted'}\n\n")
    out(f"  forward   {result.forward:>26,}\n  backward  {result.backward:>26,}"
        f"{'  (derived: 2 × forward)' if result.derived_backward else ''}\n")
    if result.optimizer:
        out(f"  optimizer {result.optimizer:>26,}\n")
    out(f"  total     {result.total:>26,}  ({sig2(result.total)} FLOP per step)\n")
    if result.recomputed:
        out(f"  recomputed{result.recomputed:>26,}  (hardware only; not training compute)\n")
    if result.tokens:
        per = result.per_token()
        out(f"\n  per token {float(per):>26,.1f}")
        if analytic is not None:
            out(f"\n  analytic  {float(analytic):>26,.1f}  (full formula; ratio {float(per / analytic):.6f})")
        out("\n")
    rows = [(m, sum(v for p, v in phases.items() if p != "recompute"))
            for m, phases in result.by_module(args.depth).items()]
    rows = [r for r in rows if r[1]]
    if rows:
        width = max(len(m) for m, _ in rows)
        out(f"\nBy module (depth {args.depth}, training FLOP)\n")
        for module, flops in rows:
            out(f"  {module:<{width}}  {flops:>24,}  {flops / result.total:6.1%}\n" if result.total else "")
    if result.uncounted:
        listed = ", ".join(f"{op} ×{n}" for op, n in sorted(result.uncounted.items(), key=lambda kv: -kv[1]))
        hint = "" if result.elementwise else " (mostly element-wise; --elementwise counts them)"
        out(f"\nNot counted{hint}: {listed}\n")
    for note in result.notes:
        out(f"Note: {note}\n")
    sys.stdout.write("\n".join(wrap("".join(parts).rstrip("\n").split("\n"))) + "\n")
