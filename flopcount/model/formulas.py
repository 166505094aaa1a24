"""Analytic FLOP formulas over a `ModelSpec`. Convention: one multiply-add = 2 FLOP.

The full count counts what `torch.utils.flop_counter.FlopCounterMode` counts: matrix
multiplies (projections, MLPs, routers, attention scores and values, logits, patch
convolutions, a state-space scan's C·h contraction). Bias adds, norms, softmax,
activations, rotary and embedding lookups are not counted by either; they add well under
1% for models of practical size. Every block's formula lives in `flopcount.model.blocks`; this
module sums them over towers and layers. All functions return exact Python ints per
*sample*: one sequence of `seq_len` tokens (plus `images` images for a vision-language
model, plus a `target_len` decoder sequence for an encoder-decoder); divide by `seq_len`
(as a Fraction) for per token.
"""
from __future__ import annotations

from dataclasses import dataclass

from .blocks import ATTENTION_CONVENTIONS, FLOP_PER_MAC, Flops, PatchEmbedding, Seq, pairs
from ..boundary.errors import InputError
from .lora import LORA_GROUPS, LORA_TARGETS, first_layer_savings, lora_weights  # noqa: F401  (re-exported)
from .spec import ModelSpec

PassFlops = Flops  # v0.1 name: forward FLOP of one pass by kind of work
DEFAULT_ATTENTION = ATTENTION_CONVENTIONS[0]


def kaplan_6nd(n_params: int, tokens: int) -> int:
    """C = 6·N·D (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1;
    the Commission Guidelines' architecture-based approximation, Annex A.2): 2·N per token
    forward, 4·N backward. Exact for N ≫ seq_len/12; ignores attention and logits."""
    return 6 * n_params * tokens


def attention_pairs(seq_len: int, convention: str, causal_model: bool = True) -> int:
    """Query-key pairs per head of a global (unwindowed) self-attention layer.

    full / windowed: T² — what FlopCounterMode and torchtitan count for SDPA and eager.
    causal: T(T+1)/2 — only the pairs a causal mask keeps (Megatron-style halving). For
    an encoder (bidirectional) the mask keeps every pair, so every convention gives T².
    """
    check_convention(convention)
    return pairs(seq_len, seq_len, causal=causal_model, convention=convention)


def check_convention(convention: str) -> str:
    if convention not in ATTENTION_CONVENTIONS:
        raise InputError(f"attention convention must be one of {', '.join(ATTENTION_CONVENTIONS)}, "
                         f"got {convention!r}", field="attention")
    return convention


def _seqs(seq_len: int, convention: str, target_len: int | None) -> dict[str, Seq]:
    """The sequence each non-image tower runs on (a decoder cross-attends to the text)."""
    return {"text": Seq(seq_len, convention), "target": Seq(target_len or seq_len, convention, kv_tokens=seq_len)}


def tower_flops(spec: ModelSpec, seq_len: int, attention: str = DEFAULT_ATTENTION, *, images: int = 0,
                target_len: int | None = None, implementation: bool = False) -> dict[str, Flops]:
    """Forward FLOP of one sample per tower. A vision tower runs once per image on its
    `image_tokens` positions; text towers run on the sequence (whose length includes the
    image tokens a VLM inserts); a decoder runs on `target_len` and cross-attends to the
    encoder's `seq_len`. `implementation=True`: what transformers executes where it
    computes more than the model needs (see `ModelSpec.implementation_notes`)."""
    check_convention(attention)
    seqs = _seqs(seq_len, attention, target_len)
    out = {}
    for tower in spec.towers:
        if tower.input == "image":
            seq, repeat = Seq(tower.image_tokens, attention), images
        else:
            seq, repeat = seqs[tower.input], 1
        total = Flops()
        for n, b in tower.blocks():
            total += (b.implementation_flops(seq) if implementation else b.flops(seq)).times(n)
        out[tower.name] = total.times(repeat)
    return out


def forward_flops(spec: ModelSpec, seq_len: int, attention: str = DEFAULT_ATTENTION, *, images: int = 0,
                  target_len: int | None = None, implementation: bool = False) -> Flops:
    """Forward pass over one sample (Chinchilla, Hoffmann et al. 2022, Appendix F,
    restricted to matmuls; PaLM's 6N + 12·L·H·Q·T counts the same attention at full T):

    linear    = 2 · T · (weights each token is multiplied by: projections, MLP or router +
                top-k experts + shared experts)
    attention = 2 · H · pairs · (d_qk + d_v) per layer   (GQA/MQA change only the k, v
                projections; scores still run over all H query heads)
    logits    = 2 · T · d_model · vocab
    mixer     = state-space convolution and scan contraction (see `blocks.Mamba`)
    """
    total = Flops()
    for f in tower_flops(spec, seq_len, attention, images=images, target_len=target_len,
                         implementation=implementation).values():
        total += f
    return total


@dataclass(frozen=True)
class TrainingFlops:
    """One training step over one sequence: forward and backward, exact ints."""

    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


def training_flops(spec: ModelSpec, seq_len: int, attention: str = DEFAULT_ATTENTION, *,
                   trainable_weights: int | None = None, adapter_weights: int = 0,
                   lora: tuple[int, tuple[str, ...]] | None = None, images: int = 0,
                   target_len: int | None = None) -> TrainingFlops:
    """Forward + backward for one sequence.

    All weights trainable (default): backward = 2 × forward — an activation gradient and a
    weight gradient per matmul (Kaplan et al. 2020 §2.1; attention's two matmuls likewise
    need the gradients of both inputs).

    Frozen weights: a frozen matmul still needs its activation gradient but no weight
    gradient, so its backward is 1 × its forward. `trainable_weights` = base matmul weights
    still trained; `adapter_weights` = extra weights that run forward, activation gradient
    and weight gradient. `lora=(rank, targets)` sets the adapters and is exact: in the
    first layer nothing upstream needs a gradient (frozen embeddings), so autograd skips
    the gradients there that lead nowhere (`first_layer_savings`). With only
    `trainable_weights` that saving is unknown and not taken (an upper bound). A state-space
    mixer's backward is counted 2× in frozen modes too (its scan contracts two activations).
    """
    fwd = forward_flops(spec, seq_len, attention, images=images, target_len=target_len)
    saved = _pixel_gradient(spec, seq_len, attention, images)
    if lora is not None:
        adapter_weights = lora_weights(spec, *lora)
        saved += first_layer_savings(spec, seq_len, attention, *lora)
    if trainable_weights is None and not adapter_weights:
        return TrainingFlops(forward=fwd.total, backward=2 * fwd.total - saved)
    trainable = trainable_weights or 0
    adapter = FLOP_PER_MAC * seq_len * adapter_weights
    forward = fwd.total + adapter
    backward = (fwd.linear + fwd.logits) + 2 * (fwd.attention + fwd.mixer) + adapter  # activation gradients
    backward += FLOP_PER_MAC * seq_len * trainable + adapter             # weight gradients
    return TrainingFlops(forward=forward, backward=backward - saved)


def _pixel_gradient(spec: ModelSpec, seq_len: int, attention: str, images: int) -> int:
    """Backward FLOP not spent: pixels need no gradient, so a patch embedding's backward
    is its weight gradient only (1 x its forward, not 2 x)."""
    saved = 0
    for tower in spec.towers:
        tokens, repeat = (tower.image_tokens, images) if tower.input == "image" else (seq_len, 1)
        for n, b in tower.blocks():
            if isinstance(b, PatchEmbedding):
                saved += n * repeat * b.flops(Seq(tokens, attention)).total
    return saved


def generation_flops(spec: ModelSpec, seq_len: int, images: int = 0) -> int:
    """Inference over one sequence of `seq_len` tokens with a KV cache (synthetic data).

    Token t attends to t cached positions, so attention covers T(T+1)/2 pairs: the
    "causal" count (sliding windows: the pairs inside the window), whatever convention
    training uses. 2·N_active per token plus that attention plus logits; no backward.
    """
    return forward_flops(spec, seq_len, "causal", images=images).total

