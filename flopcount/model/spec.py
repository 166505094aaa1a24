"""A model as composed blocks, and its exact parameter count.

A `ModelSpec` is one or more towers (a language model; or a vision tower beside it; or an
encoder and a decoder), each a stem (embeddings, patch embedding), run-length groups of
identical layers made of blocks (`flopcount.model.blocks`), and a head. "Layers 0-2 dense, the
rest MoE", "every sixth layer global", "Mamba here, attention there" are simply different
layer groups. Every config reader produces one; formulas only ever see a `ModelSpec`.

The parameter count must equal `sum(p.numel() for p in model.parameters())` of the
transformers model built from the same config (tests check this per architecture).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .blocks import Attention, Block, Embedding, Flops, Head, LatentAttention, Linear, MLP, MoE, Norm, Seq

TOWER_INPUTS = ("text", "image", "target")  # what sequence a tower runs on


@dataclass(frozen=True)
class Layers:
    """`count` consecutive identical layers."""

    count: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Tower:
    """One stack: `input` says what it runs on — the text sequence, each image (vision
    towers: `image_tokens` positions per image), or the decoder target (encoder-decoder:
    cross-attention reads the `text` sequence)."""

    name: str
    stem: tuple[Block, ...] = ()
    layers: tuple[Layers, ...] = ()
    head: tuple[Block, ...] = ()
    input: str = "text"
    image_tokens: int = 0

    def blocks(self) -> Iterator[tuple[int, Block]]:
        """(times it occurs, block) for every block of the tower."""
        for b in self.stem:
            yield 1, b
        for group in self.layers:
            for b in group.blocks:
                yield group.count, b
        for b in self.head:
            yield 1, b

    @property
    def n_layers(self) -> int:
        return sum(g.count for g in self.layers)


@dataclass(frozen=True)
class ModelSpec:
    """What is needed to count parameters and matmul FLOP of a model.

    `image_tokens`: positions one image takes in the language model's sequence (a VLM's
    text sequence length includes them). `notes`: what the reader decided and why (e.g.
    multi-token-prediction modules not counted)."""

    name: str
    towers: tuple[Tower, ...]
    causal: bool = True
    source: str = field(default="", compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
    image_tokens: int = 0
    fixed_seq_len: int = 0  # positions every sample has (ViT: patches + class token); 0: any
    origin: str = "reader"  # reader | spec-file | transformers-meta (fallback: measured, not analytic)

    def tower(self, name: str) -> Tower | None:
        return next((t for t in self.towers if t.name == name), None)

    @property
    def language(self) -> Tower:
        """The tower that produces the training loss (the last text/target tower)."""
        return [t for t in self.towers if t.input != "image"][-1]

    def blocks(self) -> Iterator[tuple[int, Block]]:
        for t in self.towers:
            yield from t.blocks()

    def find(self, kind: type) -> list[tuple[int, Block]]:
        return [(n, b) for n, b in self.blocks() if isinstance(b, kind)]

    @property
    def is_moe(self) -> bool:
        return bool(self.find(MoE))

    @property
    def n_experts(self) -> int:
        return max((b.experts for _, b in self.find(MoE)), default=0)  # type: ignore[attr-defined]

    @property
    def top_k(self) -> int:
        return max((b.top_k for _, b in self.find(MoE)), default=0)  # type: ignore[attr-defined]

    @property
    def vocab_size(self) -> int:
        return next((b.vocab for _, b in self.find(Embedding)), 0)  # type: ignore[attr-defined]

    @property
    def positions(self) -> int:
        return next((b.positions for _, b in self.find(Embedding)), 0)  # type: ignore[attr-defined]

    @property
    def d_model(self) -> int:
        return next(b.width for _, b in self.language.blocks() if isinstance(b, Embedding))  # type: ignore[attr-defined]

    @property
    def n_layers(self) -> int:
        return self.language.n_layers

    @property
    def has_vision(self) -> bool:
        return any(t.input == "image" for t in self.towers)

    @property
    def windowed(self) -> bool:
        return any(getattr(b, "window", None) or getattr(b, "chunk", None) for _, b in self.blocks())

    def implementation_notes(self) -> tuple[str, ...]:
        seen: list[str] = []
        for _, b in self.blocks():
            note = b.implementation_note
            if note and note not in seen:
                seen.append(note)
        return tuple(seen)

    def to_dict(self) -> dict:
        """The spec in flopcount's own spec-file format (version 2), which reads back."""
        def group(blocks: tuple[Block, ...]) -> list[dict]:
            return [b.to_dict() for b in blocks]
        return {
            "flopcount_spec": 2, "name": self.name, "causal": self.causal, "image_tokens": self.image_tokens,
            "fixed_seq_len": self.fixed_seq_len,
            "towers": [{"name": t.name, "input": t.input, "image_tokens": t.image_tokens, "stem": group(t.stem),
                        "layers": [{"repeat": g.count, "blocks": group(g.blocks)} for g in t.layers],
                        "head": group(t.head)} for t in self.towers],
        }


@dataclass(frozen=True)
class Parameters:
    """Parameter counts. `embedding` are lookup tables (token, position, segment, relative
    position): they cost no matmul FLOP. `active` is what one token touches (MoE: top-k
    experts only). `by_tower` gives (total, active) per tower (vision vs language)."""

    total: int
    active: int
    embedding: int
    matmul_active: int  # weights each text token is multiplied by, the output head excluded
    logits: int         # width x vocab of the output head, tied or not
    by_tower: dict[str, tuple[int, int]] = field(default_factory=dict)


def count_parameters(spec: ModelSpec) -> Parameters:
    """Exact parameter count of the model with its training head."""
    by_tower = {}
    for t in spec.towers:
        by_tower[t.name] = (sum(n * b.params() for n, b in t.blocks()), sum(n * b.active() for n, b in t.blocks()))
    total = sum(v[0] for v in by_tower.values())
    active = sum(v[1] for v in by_tower.values())
    embedding = sum(n * b.lookup() for n, b in spec.blocks())
    logits = sum(b.width * b.vocab for _, b in spec.find(Head))  # type: ignore[attr-defined]
    one, measured = Flops(), 0
    for t in spec.towers:
        if t.input == "image":
            continue
        for n, b in t.blocks():
            if b.measured:  # fallback: no formula to evaluate; its active weights stand in
                measured += n * b.active()
            else:
                one += b.flops(Seq(1, kv_tokens=1)).times(n)
    matmul = (one.linear + one.logits) // 2 - logits + measured
    return Parameters(total=total, active=active, embedding=embedding, matmul_active=matmul, logits=logits,
                      by_tower=by_tower)


# -- building the usual shapes ---------------------------------------------------------------

def decoder(name: str, *, n_layers: int, d_model: int, n_heads: int, n_kv_heads: int, head_dim: int,
            d_ff: int, vocab_size: int, mlp: str = "gated", qkv_bias: bool = False, out_bias: bool = False,
            mlp_bias: bool = False, norm: str = "rms", norms_per_layer: int = 2, qk_norm_dim: int = 0,
            final_norm: bool = True, tied_embeddings: bool = False, lm_head_bias: bool = False,
            positions: int = 0, token_types: int = 0, embedding_norm: bool = False,
            head_transform: bool = False, causal: bool = True, n_experts: int = 0, top_k: int = 0,
            d_ff_expert: int = 0, moe_layers: int = 0, shared_expert_d_ff: int = 0,
            shared_expert_gate: bool = False, source: str = "") -> ModelSpec:
    """A uniform transformer (the flat description flopcount v0.1 used): every layer
    attention + MLP, the last `moe_layers` with an MoE block instead of the dense MLP
    (their order does not change any count)."""
    attn = Attention(d_model, n_heads, n_kv_heads, head_dim, qkv_bias=qkv_bias, out_bias=out_bias,
                     q_norm=qk_norm_dim, k_norm=qk_norm_dim, qk_norm=norm, causal=causal)
    norms = Norm(d_model, norm, norms_per_layer)
    groups = []
    if n_layers - moe_layers:
        groups.append(Layers(n_layers - moe_layers, (attn, MLP(d_model, d_ff, mlp == "gated", mlp_bias), norms)))
    if moe_layers:
        moe = MoE(d_model, n_experts, top_k, d_ff_expert, shared_hidden=shared_expert_d_ff,
                  shared_gate=shared_expert_gate)
        groups.append(Layers(moe_layers, (attn, moe, norms)))
    stem: list[Block] = [Embedding(vocab_size, d_model, positions, token_types)]
    if embedding_norm:
        stem.append(Norm(d_model, norm))
    head: list[Block] = [Norm(d_model, norm)] if final_norm else []
    if head_transform:
        head += [Linear(d_model, d_model, bias=True, category="logits", name="head transform"), Norm(d_model, norm)]
    head.append(Head(d_model, vocab_size, tied_embeddings, lm_head_bias))
    tower = Tower("language", tuple(stem), tuple(groups), tuple(head))
    return ModelSpec(name, (tower,), causal=causal, source=source)


__all__ = ["Attention", "LatentAttention", "Layers", "MLP", "ModelSpec", "MoE", "Parameters", "Tower",
           "count_parameters", "decoder"]
