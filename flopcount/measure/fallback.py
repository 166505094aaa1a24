"""Any other architecture: count the model transformers builds from the config.

When no reader knows a `model_type` and torch + transformers are installed, the model is
built on the meta device (class from `architectures`), its exact parameter count read off
it, and its per-sample FLOP *measured* on meta at the sequence length asked for (cached per
length and convention). Everything it produces is labelled `origin = "transformers-meta"`:
it is a measurement of transformers' implementation, not an analytic formula, so it counts
what that implementation executes (dense expert fallbacks included) and only text inputs
(a vision tower's parameters are reported, its FLOP are not: no images are fed on meta).
Limits: the split into kinds of work is by op name (fused attention kernels as attention,
the output head as logits, everything else — eager attention's bmm included — as linear),
which matters only for frozen/LoRA modes; the `causal` convention treats the model as a
causal decoder (transformers configs do not say reliably whether a model is one).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from ..model.blocks import Block, Flops, Seq
from ..boundary.errors import InputError
from ..model.spec import ModelSpec, Tower

ORIGIN = "transformers-meta"
VISION_MARKERS = ("vision", "visual", "image", "patch_embed", "multi_modal_projector", "mm_projector")
EXPERT_COUNT_FIELDS = ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts")
TOP_K_FIELDS = ("num_experts_per_tok", "moe_topk", "experts_per_token", "top_k")


@dataclass(frozen=True)
class MeasuredModel(Block):
    """A whole model whose forward FLOP are measured on meta (see the module docstring)."""

    kind: ClassVar[str] = "measured_model"
    measured: ClassVar[bool] = True
    config: str            # the config.json text it was built from (canonical JSON)
    source: str
    total: int
    active_total: int

    def params(self) -> int:
        return self.total

    def active(self) -> int:
        return self.active_total

    def flops(self, seq: Seq) -> Flops:
        return _measure(self.config, self.source, seq.tokens, seq.convention)


@dataclass(frozen=True)
class ParametersOnly(Block):
    """Parameters the fallback reports but does not run (a VLM's vision tower)."""

    kind: ClassVar[str] = "parameters_only"
    total: int

    def params(self) -> int:
        return self.total


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise InputError("no flopcount reader for this model_type; install flopcount[measure] (torch, "
                         "transformers) to count it from the model transformers builds on the meta device",
                         field="model_type") from None
    return torch, transformers


@lru_cache(maxsize=2)
def _model(config: str, source: str) -> Any:
    from .hf import build_from_mapping
    return build_from_mapping(json.loads(config), source)


def _active(model: Any, data: dict, total: int) -> int:
    """MoE: parameters under `.experts.` are E equal slices of which a token uses top-k."""
    experts = next((data[k] for k in EXPERT_COUNT_FIELDS if isinstance(data.get(k), int) and data[k] > 0), 0)
    k = next((data[n] for n in TOP_K_FIELDS if isinstance(data.get(n), int) and data[n] > 0), 0)
    if not experts or not k:
        return total
    routed = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    return total - routed + routed * k // experts


@lru_cache(maxsize=64)
def _measure(config: str, source: str, tokens: int, convention: str) -> Flops:
    """Forward FLOP of one sequence, measured on meta: attention kernels as attention,
    the output head as logits, the rest as linear work."""
    from . import count_step, hf
    model = _model(config, source)
    result = count_step(model, hf.sample_inputs(model, 1, tokens), backward=False, attention=convention,
                        causal_model=True, tokens=tokens)
    attention = logits = 0
    for (phase, module, op), value in result.records.items():
        if phase != "forward":
            continue
        if "attention" in op:
            attention += value
        elif module.split(".")[-1] in ("lm_head", "head", "classifier"):
            logits += value
    return Flops(linear=result.forward - attention - logits, attention=attention, logits=logits)


def spec_from_transformers(data: dict, source: str | None, name: str) -> ModelSpec:
    """A `ModelSpec` for a config no reader knows, from transformers' own model."""
    _imports()
    config = json.dumps(data, sort_keys=True)
    model = _model(config, source or "config.json")
    vision = sum(p.numel() for n, p in model.named_parameters() if any(m in n for m in VISION_MARKERS))
    total = sum(p.numel() for p in model.parameters())
    active = _active(model, data, total)
    towers = [Tower("language", layers=(), head=(MeasuredModel(config, source or "", total - vision,
                                                               active - vision),))]
    if vision:
        towers.insert(0, Tower("vision", head=(ParametersOnly(vision),), input="image"))
    arch = (data.get("architectures") or [type(model).__name__])[0]
    note = (f"no flopcount reader for model_type {data.get('model_type')!r}: parameters from {arch} as "
            f"transformers builds it on the meta device; FLOP per sample measured on meta (forward, x3 for "
            f"training), counting what transformers' implementation executes")
    if vision:
        note += "; text inputs only (vision tower parameters reported, not run)"
    return ModelSpec(name, tuple(towers), source=source or "", notes=(note,), origin=ORIGIN)
