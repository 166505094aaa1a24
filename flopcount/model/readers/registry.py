"""The readers' registry and the helpers every family's reader shares (head sizes,
KV heads, layer types, run-length groups, the language-model assembly); the families
import it from here, so the package imports them without a cycle."""
from __future__ import annotations

from typing import Callable

from ..blocks import Block, Embedding, Head, Norm
from ...boundary.fields import Fields
from ..spec import Layers, ModelSpec, Tower

Reader = Callable[[Fields, str], ModelSpec]
READERS: dict[str, Reader] = {}
LAYER_TYPES = ("full_attention", "sliding_attention", "chunked_attention")


def reader(*model_types: str) -> Callable[[Reader], Reader]:
    """Register a config.json reader for HuggingFace `model_type` values."""
    def register(fn: Reader) -> Reader:
        for model_type in model_types:
            if not isinstance(model_type, str) or model_type in READERS:
                raise ValueError(f"reader for {model_type!r} is not a new string key")
            READERS[model_type] = fn
        return fn
    return register


def head_dim(f: Fields, d: int, heads: int, default: int | None = None) -> int:
    """`head_dim` if given, else the config class's default, else d / heads."""
    if f.has("head_dim"):
        return f.count("head_dim")
    if default is not None:
        return default
    if d % heads:
        raise f.error("num_attention_heads", f"hidden_size {d} is not divisible by {heads} heads; give head_dim")
    return d // heads


def kv_heads(f: Fields, heads: int, *, required: bool = False, name: str = "num_key_value_heads") -> int:
    kv = f.count(name) if required else f.count(name, heads)
    if heads % kv:
        raise f.error(name, f"{kv} key/value heads do not divide {heads} query heads")
    return kv


def layer_types(f: Fields, n_layers: int, default: Callable[[int], str]) -> list[str]:
    """`layer_types` from the config (checked), else transformers' default pattern."""
    if not f.has("layer_types"):
        return [default(i) for i in range(n_layers)]
    value = f.raw("layer_types")
    if not isinstance(value, list) or len(value) != n_layers:
        raise f.error("layer_types", f"must be a list of {n_layers} entries (one per layer)")
    for i, kind in enumerate(value):
        if kind not in LAYER_TYPES:
            raise f.error(f"layer_types[{i}]", f"unknown layer type {kind!r}; known: {', '.join(LAYER_TYPES)}")
    return value


def top_k(f: Fields, experts: int, name: str = "num_experts_per_tok", default: int | None = None) -> int:
    k = f.count(name) if default is None else f.count(name, default)
    if experts and k > experts:
        raise f.error(name, f"top-k {k} exceeds {experts} experts")
    return k


def runs(items: list) -> list[tuple[int, object]]:
    """Run-length groups of equal consecutive items: [(count, item), ...]."""
    out: list[tuple[int, object]] = []
    for item in items:
        if out and out[-1][1] == item:
            out[-1] = (out[-1][0] + 1, item)
        else:
            out.append((1, item))
    return out


def language_model(f: Fields, name: str, *, vocab: int, width: int, layers: list[tuple[Block, ...]],
                   tied: bool, norm: str = "rms", final_norm: bool = True, head_bias: bool = False,
                   notes: tuple[str, ...] = ()) -> ModelSpec:
    """Embedding, the given per-layer blocks (grouped into runs), final norm, LM head."""
    head: list[Block] = [Norm(width, norm)] if final_norm else []
    head.append(Head(width, vocab, tied, head_bias))
    tower = Tower("language", (Embedding(vocab, width),), tuple(Layers(n, b) for n, b in runs(layers)),  # type: ignore[arg-type]
                  tuple(head))
    return ModelSpec(name, (tower,), source=f.source or "", notes=notes)
