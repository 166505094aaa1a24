"""One fused attention call (`Call`): query heads, per-sequence lengths, head dims and the
mask, priced by one formula; and the three tensor layouts kernels hand it in (`bhsd`,
`bshd`, `thd`). The formulas and the kernels are described in `measure.attention`."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..model.blocks import FLOP_PER_MAC


@dataclass(frozen=True)
class Call:
    """One fused attention call: query heads (batch folded in) and per-sequence lengths."""
    heads: int                           # B·H_q for dense calls, H_q for varlen ones
    lengths: tuple[tuple[int, int], ...]  # (s_q, s_k) of each sequence
    d_qk: int
    d_v: int
    causal: bool = False
    left: int = -1                       # keys visible left of the diagonal; -1 unbounded
    right: int = -1
    bottom_right: bool = False           # causal diagonal aligned to the last key

    @property
    def pairs(self) -> int:
        return sum(q * k for q, k in self.lengths)

    def forward(self) -> int:
        return FLOP_PER_MAC * self.heads * self.pairs * (self.d_qk + self.d_v)

    def backward(self) -> tuple[int, int]:
        """(training, recomputed) FLOP of the backward kernel."""
        return 2 * self.forward(), FLOP_PER_MAC * self.heads * self.pairs * self.d_qk

    def kept(self, convention: str) -> int:
        """Pairs counted under an attention convention (flopcount's `blocks.pairs`):
        full = every pair; causal = those the kernel's mask keeps; windowed = a dense
        kernel's band (s_q·min(window, s_k) on sliding calls, every pair otherwise)."""
        if convention == "full" or not (self.causal or self.left >= 0 or self.right >= 0):
            return self.pairs
        if convention == "windowed":
            return sum(q * (min(self.left + 1, k) if self.left >= 0 else k) for q, k in self.lengths)
        return sum(_masked(q, k, self.causal, self.left, self.right, self.bottom_right) for q, k in self.lengths)

    def saved(self, convention: str) -> int:
        """Forward FLOP the convention takes off the kernel's full count."""
        return FLOP_PER_MAC * self.heads * (self.pairs - self.kept(convention)) * (self.d_qk + self.d_v)


@lru_cache(maxsize=4096)
def _masked(s_q: int, s_k: int, causal: bool, left: int, right: int, bottom_right: bool) -> int:
    """Pairs a mask keeps: row i sees keys max(0, c−left)..min(s_k−1, c+right) around its
    diagonal c = i (+ s_k − s_q aligned bottom right); causal caps the right side at c.
    −1 leaves a side unbounded."""
    offset, total = (s_k - s_q if bottom_right else 0), 0
    for i in range(s_q):
        c = i + offset
        hi = c if causal else (c + right if right >= 0 else s_k - 1)
        lo = c - left if left >= 0 else 0
        total += max(0, min(hi, s_k - 1) - max(lo, 0) + 1)
    return total


def _lengths(cu_q: Any, cu_k: Any, max_q: int, max_k: int) -> tuple[tuple[int, int], ...]:
    """Per-sequence (s_q, s_k) from cumulative lengths; on meta, each at the maximum."""
    cu_k = cu_q if cu_k is None else cu_k
    n = cu_q.shape[0] - 1
    if cu_q.device.type == "meta" or cu_k.device.type == "meta":
        return ((int(max_q), int(max_k)),) * n
    q, k = cu_q.diff().tolist(), cu_k.diff().tolist()
    return tuple(zip((int(x) for x in q), (int(x) for x in k)))


def _heads(h_q: int, h_kv: int) -> int:
    if h_kv <= 0 or h_q % h_kv:
        raise ValueError(f"query heads ({h_q}) are not a multiple of key/value heads ({h_kv})")
    return h_q


def bhsd(q: Any, k: Any, v: Any, **mask: Any) -> Call:
    """(…, H, S, D): the SDPA kernels' layout (leading dims are batch)."""
    batch = 1
    for d in q.shape[:-3]:
        batch *= int(d)
    heads = _heads(int(q.shape[-3]), int(k.shape[-3]))
    return Call(batch * heads, ((int(q.shape[-2]), int(k.shape[-2])),), int(q.shape[-1]), int(v.shape[-1]), **mask)


def bshd(q: Any, k: Any, v: Any, **mask: Any) -> Call:
    """(B, S, H, D): flash-attention's dense layout."""
    heads = _heads(int(q.shape[2]), int(k.shape[2]))
    return Call(int(q.shape[0]) * heads, ((int(q.shape[1]), int(k.shape[1])),), int(q.shape[3]), int(v.shape[3]),
                **mask)


def thd(q: Any, k: Any, v: Any, cu_q: Any, cu_k: Any, max_q: int, max_k: int, **mask: Any) -> Call:
    """(T, H, D) packed documents with cumulative lengths (a leading 1 is dropped)."""
    q, k, v = (x[0] if x.dim() == 4 else x for x in (q, k, v))
    heads = _heads(int(q.shape[1]), int(k.shape[1]))
    return Call(heads, _lengths(cu_q, cu_k, max_q, max_k), int(q.shape[2]), int(v.shape[2]), **mask)
