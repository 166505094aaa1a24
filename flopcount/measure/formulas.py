"""Op FLOP formulas for the measured counter: flopcount's own, then torch's.

Fused attention kernels are priced by `measure.attention` (every torch version, GQA);
`REGISTRY` holds the other ops torch 2.13 misses or miscounts; the rest is torch's
`flop_registry`.

Convention: one multiply-add = 2 FLOP, as `torch.utils.flop_counter`. Each formula returns
(training, recomputed): recomputed FLOP are real hardware work that the Guidelines exclude
from training compute (Annex A.1), e.g. the score matrix a flash-attention backward
recomputes instead of storing.

Our formulas live in our own `REGISTRY` (filled by `@formula`); torch's global
`flop_registry` is read, never modified.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch.utils import flop_counter as tfc

from ..data.ops import ELEMENT_COST, MOVE_OPS
from . import attention

aten = torch.ops.aten
Formula = Callable[..., tuple[int, int]]
REGISTRY: dict[Any, Formula] = {}


def formula(*ops: Any) -> Callable[[Formula], Formula]:
    """Register a formula taking shapes (tensors are replaced by their shapes)."""
    def register(fn: Formula) -> Formula:
        for op in ops:
            packet = op.overloadpacket if isinstance(op, torch._ops.OpOverload) else op
            if packet in REGISTRY:
                raise ValueError(f"formula for {packet} registered twice")
            REGISTRY[packet] = fn
        return fn
    return register


def _shapes(args: Any) -> Any:
    return torch.utils._pytree.tree_map(lambda x: x.shape if isinstance(x, torch.Tensor) else x, args)


@formula(aten._grouped_mm)
def grouped_mm(a, b, offs=None, *args, **kwargs) -> tuple[int, int]:
    """Grouped GEMM (MoE experts; torch 2.13 counts 0). Contraction is a's last dim.

    2D×2D with offsets splits the contraction: out (G, M, N), total 2·M·K_total·N.
    Otherwise every output element contracts the full K: 2·numel(out)·K. The total does
    not depend on how tokens are spread over the groups (experts)."""
    k = a[-1]
    if len(a) == 2 and len(b) == 2:  # weight gradient: out (G, M, N), K split by offs
        return 2 * a[0] * k * b[1], 0
    out_rows = a[0] if len(a) == 2 else (a[0] * a[1] if len(b) == 3 else a[1])
    return 2 * out_rows * b[-1] * k, 0


@formula(aten.convolution_backward)
def conv_backward(grad_out, x, w, bias, stride, padding, dilation, transposed, output_padding, groups,
                  output_mask, *args, **kwargs) -> tuple[int, int]:
    """Convolution backward = the input gradient (a transposed convolution of the output
    gradient with the weights) + the weight gradient (a convolution of the input with the
    output gradient). torch 2.13's `conv_backward_flop` omits `groups` in the weight
    gradient, counting a depthwise convolution's (Mamba's conv1d) `groups` times over;
    this is its formula with the division."""
    t = lambda s: [s[1], s[0], *s[2:]]  # noqa: E731
    flop = tfc.conv_flop_count(grad_out, w, x, not transposed) if output_mask[0] else 0
    if output_mask[1]:
        flop += tfc.conv_flop_count(t(x), t(grad_out), t(w), transposed) // groups
    return flop, 0


def count(func: Any, args: tuple, kwargs: dict, out: Any) -> tuple[int, int] | None:
    """(training, recomputed) FLOP of one op, or None if no formula knows it. A formula
    that raises propagates: the counter turns that into an uncounted op (never a crash)."""
    found = attention.count(func, args, kwargs)
    if found is not None:
        return found
    packet = func.overloadpacket
    if packet in REGISTRY:
        return REGISTRY[packet](*_shapes(args), **_shapes(kwargs))
    if packet in tfc.flop_registry:
        return tfc.flop_registry[packet](*args, **kwargs, out_val=out), 0
    return None


def elementwise(func: Any, out: Any, args: tuple) -> int | None:
    """Opt-in element-wise FLOP: 1 per output element for point-wise ops, the
    ELEMENT_COST table for composite kernels, numel of the list for _foreach_ ops."""
    name = func.overloadpacket.__name__
    if name.startswith("_foreach_"):
        tensors = args[0] if args and isinstance(args[0], (list, tuple)) else []
        return sum(t.numel() for t in tensors if isinstance(t, torch.Tensor))
    first = out[0] if isinstance(out, (tuple, list)) and out else out
    if not isinstance(first, torch.Tensor):
        return None
    if torch.Tag.pointwise in func.tags:
        return first.numel()
    cost = ELEMENT_COST.get(name)
    if cost is not None:
        source = args[0] if args and isinstance(args[0], torch.Tensor) else first
        return cost * max(first.numel(), source.numel())
    return None


def moves_data(func: Any) -> bool:
    """True for ops that only move/view/allocate data: zero FLOP, nothing to report."""
    name = func.overloadpacket.__name__
    return name in MOVE_OPS or name.rstrip("_") in MOVE_OPS
