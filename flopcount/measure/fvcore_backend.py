"""fvcore's FlopCountAnalysis, converted to flopcount's convention.

fvcore traces the forward pass with torch.jit and counts one multiply-add as one "flop";
its matmul/conv counts are doubled here (1 MAC = 2 FLOP). It does not run a backward
pass, so the backward is *derived* as 2 × forward — right when every weight trains and
every input needs a gradient, an over-count otherwise (e.g. the first layer's input
gradient, frozen weights); results carry `derived_backward=True`. fvcore's per-element
handlers (norms, pooling) are kept as they are, only under the element-wise opt-in.
Operators fvcore skips are listed in `uncounted`, never dropped silently.
"""
from __future__ import annotations

import logging
from typing import Any

import torch

from ..data.ops import FVCORE_MAC_OPS
from .result import Measurement


class _Positional(torch.nn.Module):
    """Adapts keyword inputs (HF models) to fvcore's positional tracing; returns a tensor."""

    def __init__(self, model: torch.nn.Module, keys: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.keys = model, keys

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        out = self.model(**dict(zip(self.keys, args)))
        return getattr(out, "logits", out if isinstance(out, torch.Tensor) else out[0])


def count_fvcore(model: torch.nn.Module, inputs: Any, *, backward: bool | None = None, elementwise: bool = False,
                 tokens: int | None = None) -> Measurement:
    from fvcore.nn import FlopCountAnalysis

    if isinstance(inputs, dict):
        traced, args = _Positional(model, tuple(inputs)), tuple(inputs.values())
        prefix = "model."
    else:
        traced, args = model, inputs if isinstance(inputs, tuple) else (inputs,)
        prefix = ""
    analysis = FlopCountAnalysis(traced, args).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    logging.getLogger("fvcore").setLevel(logging.ERROR)
    result = Measurement("fvcore", elementwise=elementwise, derived_backward=True, tokens=tokens)
    root = type(model).__name__
    for module, ops in _own_counts(analysis.by_module_and_operator()).items():
        path = module.removeprefix(prefix.rstrip(".")).lstrip(".") if prefix else module
        for op, count in ops.items():
            name = op.removeprefix("aten::")
            if name in FVCORE_MAC_OPS:
                result.add("forward", f"{root}.{path}" if path else root, name, 2 * count)
            elif elementwise:
                result.add("forward", f"{root}.{path}" if path else root, name, count)
            else:  # fvcore counted it per element: not dropped silently, listed
                result.uncounted[name] += 1
    trains = any(p.requires_grad for p in model.parameters())
    if backward if backward is not None else trains:
        for (phase, module, op), flops in list(result.records.items()):
            result.add("backward", module, op, 2 * flops)
        result.notes.append("backward derived as 2 × forward (fvcore runs no backward)")
    for op, calls in analysis.unsupported_ops().items():
        result.uncounted[op.removeprefix("aten::")] += calls
    return result


def _own_counts(cumulative: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """fvcore's per-module counts include submodules; keep each module's own share
    (its count minus its direct children's), so the shares add up to the total."""
    own: dict[str, dict[str, int]] = {}
    for module, ops in cumulative.items():
        depth = module.count(".") + 1 if module else 0
        children = [c for c in cumulative if c != module and (not module or c.startswith(module + "."))
                    and (c.count(".") + 1 if c else 0) == depth + 1]
        mine = {op: n - sum(cumulative[c].get(op, 0) for c in children) for op, n in ops.items()}
        own[module] = {op: n for op, n in mine.items() if n}
    return own
