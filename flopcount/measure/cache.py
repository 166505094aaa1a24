"""Measure once per shape signature, reuse for every step with the same signature.

A step's FLOP depend only on the input shapes/dtypes, the model's train/eval mode and
which parameters train — not on values (routing aside, see `measure.hf`). So a training
loop pays the counting cost once per distinct signature, not every step.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch.utils._pytree import tree_flatten

from .result import Measurement


def signature(model: torch.nn.Module, inputs: Any, extra: tuple = ()) -> tuple:
    """Hashable key: tensor shapes/dtypes/devices in input order, module mode, trainable
    set, and for varlen kernels the documents' lengths."""
    leaves, spec = tree_flatten(inputs)
    shapes = tuple(_leaf(x) for x in leaves)
    trainable = tuple(name for name, p in model.named_parameters() if p.requires_grad)
    return (id(model), model.training, str(spec), shapes, hash(trainable), extra, packing(model, inputs))


def packing(model: torch.nn.Module, inputs: Any) -> tuple:
    """Document lengths where the kernel's work depends on them: varlen attention (HF
    passes `cu_seq_lens_q`; flash-attention models split rows at position-id resets) runs
    Σ Lᵢ², not L², so equal shapes with different documents are different steps. Dense
    kernels (SDPA, eager) compute all L² scores whatever the mask: () for them."""
    if not isinstance(inputs, dict):
        return ()
    config = getattr(model, "config", None)
    flash = str(getattr(config, "_attn_implementation", "") or "").startswith("flash")
    if "cu_seq_lens_q" in inputs or (flash and "position_ids" in inputs):
        return tuple(document_lengths(inputs))
    return ()


def sequence_length(inputs: Any) -> int | None:
    """L of a batch: the last dim of `input_ids` (or `inputs_embeds`' second), else of the
    first integer tensor with a batch and a sequence dim; None when there is none."""
    if isinstance(inputs, dict):
        ids, embeds = inputs.get("input_ids"), inputs.get("inputs_embeds")
        if isinstance(ids, torch.Tensor) and ids.dim() >= 2:
            return int(ids.shape[-1])
        if isinstance(embeds, torch.Tensor) and embeds.dim() == 3:
            return int(embeds.shape[1])
    leaves, _ = tree_flatten(inputs)
    for x in leaves:
        if isinstance(x, torch.Tensor) and x.dim() == 2 and not x.is_floating_point():
            return int(x.shape[1])
    return None


def family(model: torch.nn.Module, inputs: Any) -> tuple[tuple, int] | None:
    """(signature with the sequence length abstracted, L): batches that differ only in L
    share a family (see `measure.lengths`)."""
    length = sequence_length(inputs)
    if length is None or packing(model, inputs):  # varlen work is no polynomial in L
        return None
    leaves, spec = tree_flatten(inputs)
    shapes = tuple((tuple(-1 if d == length else d for d in x.shape), str(x.dtype), x.device.type)
                   if isinstance(x, torch.Tensor) else _leaf(x) for x in leaves)
    trainable = tuple(name for name, p in model.named_parameters() if p.requires_grad)
    return (id(model), model.training, str(spec), shapes, hash(trainable)), length


def _leaf(x: Any) -> tuple:
    """Tensors by shape/dtype/device; flags and strings by value; numbers by type only —
    per-step scalars (e.g. HF's num_items_in_batch) must not defeat the cache."""
    if isinstance(x, torch.Tensor):
        return (tuple(x.shape), str(x.dtype), x.device.type)
    if x is None or isinstance(x, (bool, str)):
        return ("py", repr(x))
    return ("py", type(x).__name__)


class StepCache:
    """`get(key)` / `put(key, m)`, or `measure(key, fn)` running fn only on a miss."""

    def __init__(self, max_entries: int = 256) -> None:
        self.entries: dict[tuple, Measurement] = {}
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Measurement | None:
        found = self.entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: tuple, measurement: Measurement) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.pop(next(iter(self.entries)))  # oldest first: shapes rarely cycle
        self.entries[key] = measurement

    def measure(self, key: tuple, fn: Callable[[], Measurement]) -> Measurement:
        found = self.get(key)
        if found is None:
            found = fn()
            self.put(key, found)
        return found


def document_lengths(inputs: Any) -> list[int]:
    """The lengths attention runs over in a batch, one per document: packed rows
    (`cu_seq_lens_q`, as HF's DataCollatorWithFlattening passes to varlen kernels, or
    `position_ids` restarting at 0) split at their boundaries; other rows count whole
    (padding included: it is computed on)."""
    if not isinstance(inputs, dict):
        return []
    cu = inputs.get("cu_seq_lens_q")
    if isinstance(cu, torch.Tensor):
        bounds = cu.flatten().tolist()
        return [b - a for a, b in zip(bounds, bounds[1:]) if b > a]
    ids, positions = inputs.get("input_ids"), inputs.get("position_ids")
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        return []
    if not isinstance(positions, torch.Tensor) or positions.shape != ids.shape:
        return [ids.shape[1]] * ids.shape[0]
    out = []
    for row in positions.tolist():
        starts = [i for i, p in enumerate(row) if p == 0] or [0]
        if starts[0] != 0:
            starts = [0] + starts
        out += [b - a for a, b in zip(starts, starts[1:] + [len(row)])]
    return out
