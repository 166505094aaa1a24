"""Analytic FLOP formulas. Convention: one multiply-add = 2 FLOP.

The full count counts what `torch.utils.flop_counter.FlopCounterMode` counts: matrix
multiplies (projections, MLPs, routers, attention scores and values, logits). Bias adds,
norms, softmax, activations, rotary and embedding lookups are not counted by either; they
add well under 1% for models of practical size. All functions return exact Python ints
per *sequence* of `seq_len` tokens; divide by `seq_len` (as a Fraction) for per token.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .spec import ModelSpec, count_parameters

FLOP_PER_MAC = 2  # one multiply-add = one multiply + one add
ATTENTION_CONVENTIONS = ("full", "causal")
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")
LORA_GROUPS = {"attention": ("q", "k", "v", "o"), "mlp": ("gate", "up", "down"), "all-linear": LORA_TARGETS}


def kaplan_6nd(n_params: int, tokens: int) -> int:
    """C = 6·N·D (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1;
    the Commission Guidelines' architecture-based approximation, Annex A.2): 2·N per token
    forward, 4·N backward. Exact for N ≫ seq_len/12; ignores attention and logits."""
    return 6 * n_params * tokens


def attention_pairs(seq_len: int, convention: str, causal_model: bool = True) -> int:
    """Query-key pairs per head in one sequence.

    full: T² — what FlopCounterMode and torchtitan count for SDPA and eager attention.
    causal: T(T+1)/2 — only the pairs a causal mask keeps (Megatron-style halving). For
    an encoder (bidirectional) the mask keeps every pair, so both conventions give T².
    """
    if convention not in ATTENTION_CONVENTIONS:
        raise InputError(f"attention convention must be one of {ATTENTION_CONVENTIONS}, got {convention!r}",
                         field="attention")
    if convention == "causal" and causal_model:
        return seq_len * (seq_len + 1) // 2
    return seq_len * seq_len


@dataclass(frozen=True)
class PassFlops:
    """FLOP of one pass over one sequence, by kind of matmul (exact ints)."""

    linear: int     # projections, MLP / experts, routers
    attention: int  # Q·Kᵀ and A·V
    logits: int     # output head (and BERT's head transform)

    @property
    def total(self) -> int:
        return self.linear + self.attention + self.logits


def forward_flops(spec: ModelSpec, seq_len: int, attention: str = "full") -> PassFlops:
    """Forward pass over one sequence (Chinchilla, Hoffmann et al. 2022, Appendix F,
    restricted to matmuls; PaLM's 6N + 12·L·H·Q·T counts the same attention at full T).

    linear    = 2 · T · (active matmul weights: q,k,v,o, MLP or router + top-k experts)
    attention = 2 (QKᵀ and AV) · 2 · L · H · head_dim · pairs   (GQA/MQA change only k,v
                projections; scores still run over all H query heads)
    logits    = 2 · T · d_model · vocab
    """
    params = count_parameters(spec)
    pairs = attention_pairs(seq_len, attention, spec.causal)
    head_transform = spec.d_model * spec.d_model if spec.head_transform else 0
    linear_weights = params.matmul_active - head_transform
    return PassFlops(
        linear=FLOP_PER_MAC * seq_len * linear_weights,
        attention=2 * FLOP_PER_MAC * spec.n_layers * spec.n_heads * spec.head_dim * pairs,
        logits=FLOP_PER_MAC * seq_len * (params.logits + head_transform),
    )


@dataclass(frozen=True)
class TrainingFlops:
    """One training step over one sequence: forward and backward, exact ints."""

    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


def lora_weights(spec: ModelSpec, rank: int, targets: tuple[str, ...]) -> int:
    """Adapter weights A (r × d_in) + B (d_out × r) over every targeted matrix, all layers.

    MLP targets apply to the dense MLP layers (MoE expert adapters are not modelled)."""
    d, q, kv = spec.d_model, spec.n_heads * spec.head_dim, spec.n_kv_heads * spec.head_dim
    shapes = {"q": (d, q), "k": (d, kv), "v": (d, kv), "o": (q, d),
              "gate": (d, spec.d_ff), "up": (d, spec.d_ff), "down": (spec.d_ff, d)}
    dense_layers = spec.n_layers - spec.moe_layers
    total = 0
    for target in targets:
        if target not in shapes:
            raise InputError(f"unknown LoRA target {target!r}; use {', '.join(LORA_TARGETS)} or "
                             f"{', '.join(LORA_GROUPS)}", field="lora.targets")
        if target == "gate" and spec.mlp != "gated":
            raise InputError(f"{spec.name} has no gate projection (plain MLP)", field="lora.targets")
        layers = dense_layers if target in LORA_GROUPS["mlp"] else spec.n_layers
        d_in, d_out = shapes[target]
        total += layers * rank * (d_in + d_out)
    return total


def training_flops(spec: ModelSpec, seq_len: int, attention: str = "full", *,
                   trainable_weights: int | None = None, adapter_weights: int = 0,
                   lora: tuple[int, tuple[str, ...]] | None = None) -> TrainingFlops:
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
    `trainable_weights` that saving is unknown and not taken (an upper bound).
    """
    fwd = forward_flops(spec, seq_len, attention)
    saved = 0
    if lora is not None:
        adapter_weights = lora_weights(spec, *lora)
        saved = first_layer_savings(spec, seq_len, attention, *lora)
    if trainable_weights is None and not adapter_weights:
        return TrainingFlops(forward=fwd.total, backward=2 * fwd.total)
    trainable = trainable_weights or 0
    adapter = FLOP_PER_MAC * seq_len * adapter_weights
    forward = fwd.total + adapter
    backward = (fwd.linear + fwd.logits) + 2 * fwd.attention + adapter  # activation gradients
    backward += FLOP_PER_MAC * seq_len * trainable + adapter             # weight gradients
    return TrainingFlops(forward=forward, backward=backward - saved)


def first_layer_savings(spec: ModelSpec, seq_len: int, attention: str, rank: int, targets: tuple[str, ...]) -> int:
    """Activation-gradient FLOP autograd skips in layer 0 of a LoRA fine-tune.

    The layer's input (frozen embeddings) needs no gradient, so the q/k/v projections and
    their adapters' A matrices get no input gradient; attention's backward runs whole (a
    fused SDPA kernel computes dQ, dK and dV together) if q, k or v is adapted, and not at
    all otherwise; the output projection and the MLP need input gradients only once
    something before them trains. Dense first layers only (MoE expert adapters are not
    modelled). Checked op by op against the measured count for every target set.
    """
    t = set(targets)
    d, f, T = spec.d_model, spec.d_ff, seq_len
    q, kv = spec.n_heads * spec.head_dim, spec.n_kv_heads * spec.head_dim
    mac = FLOP_PER_MAC * T
    one_matmul = FLOP_PER_MAC * spec.n_heads * spec.head_dim * attention_pairs(T, attention, spec.causal)
    saved = mac * d * (q + 2 * kv)                             # q, k, v: input needs no gradient
    saved += mac * d * rank * len(t & {"q", "k", "v"})        # their adapters' A: likewise
    if t & {"q", "k", "v"}:
        return saved
    saved += 4 * one_matmul                                    # no attention backward at all
    saved += mac * q * d + (mac * q * rank if "o" in t else 0)   # o_proj input: no gradient yet
    if "o" in t or spec.moe_layers == spec.n_layers:
        return saved
    ups = ("gate", "up") if spec.mlp == "gated" else ("up",)
    saved += mac * d * f * len(ups) + mac * d * rank * len(t & set(ups))  # MLP input: none yet
    if not t & set(ups):
        saved += mac * f * d + (mac * f * rank if "down" in t else 0)     # down's input: none yet
    return saved


def generation_flops(spec: ModelSpec, seq_len: int) -> int:
    """Inference over one sequence of `seq_len` tokens with a KV cache (synthetic data).

    Token t attends to t cached positions, so attention covers T(T+1)/2 pairs: the
    "causal" count, whatever convention training uses. 2·N_active per token plus that
    attention plus logits; no backward.
    """
    return forward_flops(spec, seq_len, "causal").total

