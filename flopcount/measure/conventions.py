"""Attention conventions on the measured path, per layer, from the model's spec.

FlopCounterMode counts every query-key pair a kernel is handed (T² for masked SDPA and
eager attention alike). When the spec says which layers are causal, sliding or chunked,
each decoder attention call gets an explicit, exact correction row
"attention convention" = −(pairs counted − pairs under the convention) × 2·H·(d_qk + d_v)
per sequence, forward and, through a gradient hook on the output, backward (2×). It works
for every attention implementation (SDPA, eager, flex) because it hooks the attention
module, not the kernel.
"""
from __future__ import annotations

import re
from typing import Any

import torch

from ..model.blocks import FLOP_PER_MAC, Attention, LatentAttention, pairs

ROW = "attention convention"
#: transformers' names of decoder self-attention modules: `layers.{i}.self_attn` (decoders),
#: `decoder.block.{i}.layer.0.SelfAttention` (T5's decoder; its encoder is bidirectional)
_LAYER = re.compile(r"(?:^|\.)(?:layers\.(\d+)\.self_attn|decoder\.block\.(\d+)\.layer\.0\.SelfAttention)$")
#: vision towers number their encoder layers the same way; their attention is bidirectional
_VISION = re.compile(r"(?:^|\.)(?:vision_tower|vision_model|visual)\.")


def per_layer(spec: Any) -> list[Any]:
    """The attention block of each language-model layer, in order (None where none)."""
    out = []
    for group in spec.language.layers:
        attn = next((b for b in group.blocks if isinstance(b, (Attention, LatentAttention))), None)
        out.extend([attn] * group.count)
    return out


def _dims(block: Any) -> tuple[int, int]:
    if isinstance(block, LatentAttention):
        return block.heads, block.qk_nope_head_dim + block.qk_rope_head_dim + block.v_head_dim
    return block.heads, block.head_dim + block.dv


def install(model: torch.nn.Module, spec: Any, counter: Any) -> list[Any]:
    """Hook every decoder attention module; returns the hook handles (remove when done)."""
    if counter.result.attention == "full":
        return []
    layers = per_layer(spec)
    handles = []
    for name, module in model.named_modules():
        match = None if _VISION.search(name) else _LAYER.search(name)
        index = int(match.group(1) or match.group(2)) if match else len(layers)
        if index >= len(layers) or layers[index] is None:
            continue
        handles.append(module.register_forward_hook(_hook(counter, layers[index], name), with_kwargs=True))
    counter.convention_hooks = bool(handles)
    return handles


def _hook(counter: Any, block: Any, module_name: str) -> Any:
    heads, width = _dims(block)

    def correct(module: Any, args: tuple, kwargs: dict, output: Any) -> None:
        hidden = args[0] if args else kwargs.get("hidden_states")
        if not isinstance(hidden, torch.Tensor) or hidden.dim() != 3:
            return
        batch, tokens = hidden.shape[0], hidden.shape[1]
        target = pairs(tokens, tokens, causal=block.causal, window=getattr(block, "window", None),
                       chunk=getattr(block, "chunk", None), convention=counter.result.attention)
        saved = batch * FLOP_PER_MAC * heads * width * (tokens * tokens - target)
        if not saved:
            return
        phase = counter._phase()
        counter.result.add(phase, module_name, ROW, -saved)
        out = output[0] if isinstance(output, tuple) else output
        if phase != "backward" and isinstance(out, torch.Tensor) and out.requires_grad:
            out.register_hook(lambda g: counter.result.add("backward", module_name, ROW, -2 * saved))
    return correct
