"""Every fused attention kernel, counted by flopcount's own formulas.

Why our own: torch's `flop_counter` formulas for these ops assert equal query and key/value
head counts until its 2026 releases, so on torch 2.4–2.11 a grouped-query model (Llama 3,
Qwen 2/3, Mistral, Gemma, OLMo 2: transformers passes `enable_gqa=True` to SDPA on CUDA)
raised inside the training step. The measured path must not depend on what a torch
version's counter can do, so each kernel is parsed here into one `Call` and priced by
one formula. Convention: one multiply-add = 2 FLOP.

A call is B·H_q heads of query-key pairs, P = Σ over sequences of s_q·s_k (varlen kernels:
Σ Lᵢ², one term per packed document). K/V heads broadcast to the query's (GQA, MQA), so
the work is H_q's whatever H_kv is:
    forward   2·H_q·P·(d_qk + d_v)            Q·Kᵀ and A·V
    backward  4·H_q·P·(d_qk + d_v) training    dV, dP, dQ, dK
              2·H_q·P·d_qk recomputed          the score matrix the kernel did not keep
— torch's `sdpa_flop_count` / `sdpa_backward_flop_count` with K/V broadcast. Like
FlopCounterMode, P counts every pair a kernel is handed; the mask a kernel applies
(causal, sliding window) is carried in `Call` for the attention conventions (`kept`).

Kernels and layouts (q, k, v):
- aten SDPA kernels — flash, efficient, cuDNN, CPU flash, overrideable: (B, H, S, D);
- aten::_flash_attention_forward/backward: (B, S, H, D), or (T, H, D) with cum_seq_q/k;
- aten::_efficient_attention_forward/backward: (B, S, H, D); varlen (1, T, H, D) with
  cu_seqlens; custom_mask_type 1 = causal from the top left, 2 = from the bottom right;
- aten::_cudnn_attention_forward/backward: (B, H, S, D), or (T, H, D) with cum_seq;
- torch_attn::_varlen_attn(_out)/_varlen_attn_backward (torch.nn.attention.varlen):
  (T, H, D) with cu_seq_q/k;
- the flash-attn package's custom ops (`attn_implementation="flash_attention_2"`), by
  their registered names and schemas in Dao-AILab/flash-attention
  `flash_attn/flash_attn_interface.py` (commit 0053002, namespace `flashattn::`; releases
  2.6–2.7 register the same schemas as `flash_attn::`): `_flash_attn_forward` /
  `_flash_attn_backward` (B, S, H, D) and `_flash_attn_varlen_forward` /
  `_flash_attn_varlen_backward` (T, H, D) with cu_seqlens_q/k. Their causal mask is
  aligned to the bottom right (flash-attn ≥ 2.1), window_size_left/right -1 = unbounded.

Not done: cumulative lengths on the meta device have no values, so each varlen sequence
is taken at the call's maximum length (an upper bound, as torch's own counter does).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import torch

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


def _window(left: Any, right: Any) -> dict[str, int]:
    return {"left": -1 if left is None else int(left), "right": -1 if right is None else int(right)}


def _bound(schema_args: tuple[str, ...], args: tuple, kwargs: dict) -> dict[str, Any]:
    return dict(zip(schema_args, args)) | kwargs


# -- parsers: op name -> Call ------------------------------------------------------------------
Parser = Callable[[tuple, dict], Call]
_ATEN_CU = ("cum_seq_q", "cum_seq_k", "max_q", "max_k")
FORWARD: dict[str, Parser] = {}
BACKWARD: dict[str, Parser] = {}


def _register(table: dict[str, Parser], *names: str) -> Callable[[Parser], Parser]:
    def register(fn: Parser) -> Parser:
        for name in names:
            if name in FORWARD or name in BACKWARD:
                raise ValueError(f"attention kernel {name} registered twice")
            table[name] = fn
        return fn
    return register


@_register(FORWARD, "aten::_scaled_dot_product_flash_attention", "aten::_scaled_dot_product_flash_attention_for_cpu")
def _sdpa_flash(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(FORWARD, "aten::_scaled_dot_product_efficient_attention", "aten::_scaled_dot_product_cudnn_attention")
def _sdpa_efficient(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "attn_bias", "compute_log_sumexp", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(FORWARD, "aten::_scaled_dot_product_fused_attention_overrideable")
def _sdpa_overrideable(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "attn_bias", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_flash_attention_backward")
def _sdpa_flash_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", *_ATEN_CU, "dropout_p", "is_causal"),
               args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_cudnn_attention_backward")
def _sdpa_cudnn_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", "philox_seed", "philox_offset",
                "attn_bias", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_efficient_attention_backward")
def _sdpa_efficient_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out_", "query", "key", "value", "attn_bias", "out", "logsumexp", "philox_seed",
                "philox_offset", "dropout_p", "grad_input_mask", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_flash_attention_for_cpu_backward")
def _sdpa_cpu_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_fused_attention_overrideable_backward")
def _sdpa_overrideable_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "attn_bias", "grad_input_mask", "out", "logsumexp",
                "cum_seq_q", "cum_seq_k", "max_q", "max_k", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


def _flash(b: dict[str, Any], cu: tuple[str, str, str, str], causal: str, left: str, right: str,
           bottom_right: bool) -> Call:
    """Dense (B, S, H, D) or, with cumulative lengths, packed (T, H, D) flash layouts."""
    mask = dict(causal=bool(b.get(causal, False)), bottom_right=bottom_right, **_window(b.get(left), b.get(right)))
    if b.get(cu[0]) is not None:
        return thd(b["q"], b["k"], b["v"], b[cu[0]], b.get(cu[1]), b[cu[2]], b[cu[3]], **mask)
    return bshd(b["q"], b["k"], b["v"], **mask)



@_register(FORWARD, "aten::_flash_attention_forward")
def _aten_flash(args: tuple, kwargs: dict) -> Call:
    b = _bound(("q", "k", "v", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return _flash(b, _ATEN_CU, "is_causal", "window_size_left", "window_size_right", False)


@_register(BACKWARD, "aten::_flash_attention_backward")
def _aten_flash_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "q", "k", "v", "out", "logsumexp", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return _flash(b, _ATEN_CU, "is_causal", "window_size_left", "window_size_right", False)


def _efficient(b: dict[str, Any]) -> Call:
    kind = int(b.get("custom_mask_type", 0) or 0)
    window = b.get("window_size")
    mask = dict(causal=kind in (1, 2), bottom_right=kind == 2, left=-1 if window is None else int(window))
    if b.get("cu_seqlens_q") is not None:
        return thd(b["q"], b["k"], b["v"], b["cu_seqlens_q"], b.get("cu_seqlens_k"), b["max_seqlen_q"],
                   b["max_seqlen_k"], **mask)
    return bshd(b["q"], b["k"], b["v"], **mask)


@_register(FORWARD, "aten::_efficient_attention_forward")
def _aten_efficient(args: tuple, kwargs: dict) -> Call:
    return _efficient(_bound(("q", "k", "v", "bias", "cu_seqlens_q", "cu_seqlens_k", "max_seqlen_q",
                              "max_seqlen_k", "dropout_p", "custom_mask_type"), args, kwargs))


@_register(BACKWARD, "aten::_efficient_attention_backward")
def _aten_efficient_bw(args: tuple, kwargs: dict) -> Call:
    return _efficient(_bound(("grad_out", "q", "k", "v", "bias", "out", "cu_seqlens_q", "cu_seqlens_k",
                              "max_seqlen_q", "max_seqlen_k", "logsumexp", "dropout_p", "philox_seed",
                              "philox_offset", "custom_mask_type"), args, kwargs))


def _cudnn(b: dict[str, Any]) -> Call:
    causal = bool(b.get("is_causal", False))
    if b.get("cum_seq_q") is not None and b["q"].dim() == 3:
        return thd(b["q"], b["k"], b["v"], b["cum_seq_q"], b.get("cum_seq_k"), b["max_q"], b["max_k"], causal=causal)
    return bhsd(b["q"], b["k"], b["v"], causal=causal)


@_register(FORWARD, "aten::_cudnn_attention_forward")
def _aten_cudnn(args: tuple, kwargs: dict) -> Call:
    return _cudnn(_bound(("q", "k", "v", "attn_bias", *_ATEN_CU, "compute_log_sumexp", "dropout_p", "is_causal"),
                         args, kwargs))


@_register(BACKWARD, "aten::_cudnn_attention_backward")
def _aten_cudnn_bw(args: tuple, kwargs: dict) -> Call:
    return _cudnn(_bound(("grad_out", "q", "k", "v", "out", "logsumexp", "philox_seed", "philox_offset",
                          "attn_bias", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs))


_VARLEN = ("cu_seq_q", "cu_seq_k", "max_q", "max_k", "is_causal")


def _torch_varlen(b: dict[str, Any]) -> Call:
    window = b.get("window_size") or [-1, -1]
    return thd(b["q"], b["k"], b["v"], b["cu_seq_q"], b.get("cu_seq_k"), b["max_q"], b["max_k"],
               causal=bool(b.get("is_causal", False)), left=int(window[0]), right=int(window[1]))


@_register(FORWARD, "torch_attn::_varlen_attn")
def _varlen(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("q", "k", "v", *_VARLEN), args, kwargs))


@_register(FORWARD, "torch_attn::_varlen_attn_out")
def _varlen_out(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("out", "q", "k", "v", *_VARLEN), args, kwargs))


@_register(BACKWARD, "torch_attn::_varlen_attn_backward")
def _varlen_bw(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("grad_out", "q", "k", "v", "out", "lse", *_VARLEN), args, kwargs))


_FA = ("dropout_p", "softmax_scale", "causal", "window_size_left", "window_size_right")
_FA_CU = ("cu_seqlens_q", "cu_seqlens_k", "max_seqlen_q", "max_seqlen_k")
_NAMESPACES = ("flash_attn", "flashattn")


def _fa(b: dict[str, Any]) -> Call:
    return _flash(b, _FA_CU, "causal", "window_size_left", "window_size_right", True)


@_register(FORWARD, *(f"{ns}::_flash_attn_forward" for ns in _NAMESPACES))
def _fa_forward(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("q", "k", "v", *_FA), args, kwargs))


@_register(FORWARD, *(f"{ns}::_flash_attn_varlen_forward" for ns in _NAMESPACES))
def _fa_varlen(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("q", "k", "v", *_FA_CU, *_FA), args, kwargs))


@_register(BACKWARD, *(f"{ns}::_flash_attn_backward" for ns in _NAMESPACES))
def _fa_backward(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("dout", "q", "k", "v", "out", "softmax_lse", "dq", "dk", "dv", *_FA), args, kwargs))


@_register(BACKWARD, *(f"{ns}::_flash_attn_varlen_backward" for ns in _NAMESPACES))
def _fa_varlen_bw(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("dout", "q", "k", "v", "out", "softmax_lse", "dq", "dk", "dv", *_FA_CU, *_FA), args, kwargs))


def name_of(func: Any) -> str:
    """`namespace::name` of an op overload (its schema name, overload dropped)."""
    return func._schema.name if hasattr(func, "_schema") else str(func)


def parse(func: Any, args: tuple, kwargs: dict) -> tuple[str, Call] | None:
    """("forward" | "backward", the call) for a fused attention kernel, else None."""
    name = name_of(func)
    if name in FORWARD:
        return "forward", FORWARD[name](args, kwargs)
    if name in BACKWARD:
        return "backward", BACKWARD[name](args, kwargs)
    return None


def count(func: Any, args: tuple, kwargs: dict) -> tuple[int, int] | None:
    """(training, recomputed) FLOP of an attention kernel at its full count, else None."""
    found = parse(func, args, kwargs)
    if found is None:
        return None
    kind, call = found
    return (call.forward(), 0) if kind == "forward" else call.backward()


def is_attention(func: Any) -> bool:
    name = name_of(func)
    return name in FORWARD or name in BACKWARD


def shapes_call(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> Call:
    """The call F.scaled_dot_product_attention makes for these tensors (GQA broadcast)."""
    return bhsd(query, key, value)
