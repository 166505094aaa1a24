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

from typing import Any

import torch

# The call and its layouts (attention_call), the kernels' parsers and their tables (attention_kernels).
from .attention_call import Call, _heads, _lengths, _masked, bhsd, bshd, thd  # noqa: F401
from .attention_kernels import BACKWARD, FORWARD, Parser, _bound, _register, _window  # noqa: F401


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
