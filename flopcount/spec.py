"""An architecture-neutral description of a transformer, and its exact parameter count.

Every supported config format (HuggingFace `config.json` per `model_type`, or the project's
own spec file) is turned into one `ModelSpec`; formulas only ever see a `ModelSpec`. The
parameter count here must equal `sum(p.numel() for p in model.parameters())` of the
transformers model built from the same config (tests check this per architecture).
"""
from __future__ import annotations

from dataclasses import dataclass, asdict, field

MLP_KINDS = ("gated", "plain")  # gated: SwiGLU/GeGLU, 3 matrices; plain: up + down
NORM_KINDS = ("rms", "layer")   # rms: a weight vector; layer: weight and bias


@dataclass(frozen=True)
class ModelSpec:
    """What is needed to count parameters and matmul FLOP of a (MoE) transformer."""

    name: str
    n_layers: int                # transformer blocks
    d_model: int                 # residual stream width
    n_heads: int                 # query heads
    n_kv_heads: int              # key/value heads: = n_heads (MHA), 1 (MQA), else GQA
    head_dim: int                # per-head width; not always d_model / n_heads (Gemma)
    d_ff: int                    # hidden width of the dense MLP
    vocab_size: int
    mlp: str = "gated"           # one of MLP_KINDS
    qkv_bias: bool = False       # biases on the q, k, v projections
    out_bias: bool = False       # bias on the attention output projection
    mlp_bias: bool = False       # biases on the dense MLP matrices
    norm: str = "rms"            # one of NORM_KINDS
    norms_per_layer: int = 2     # pre-attention + pre-MLP; 1 for parallel blocks sharing a norm
    qk_norm_dim: int = 0         # width of per-head q/k LayerNorms (Phi qk_layernorm), 0 = none
    final_norm: bool = True
    tied_embeddings: bool = False  # output head reuses the token embedding matrix
    lm_head_bias: bool = False
    positions: int = 0           # rows of learned absolute position embeddings (GPT-2, BERT)
    token_types: int = 0         # rows of segment embeddings (BERT)
    embedding_norm: bool = False  # norm right after the embeddings (BERT)
    head_transform: bool = False  # dense d->d + norm before the output head (BERT MLM)
    causal: bool = True          # decoder (causal) or encoder (bidirectional) attention
    n_experts: int = 0           # routed experts per MoE layer (0 = dense model)
    top_k: int = 0               # experts each token is routed to
    d_ff_expert: int = 0         # hidden width of one routed expert (gated)
    moe_layers: int = 0          # how many of the n_layers use the MoE block
    shared_expert_d_ff: int = 0  # always-on shared expert width (Qwen2-MoE), 0 = none
    shared_expert_gate: bool = False  # scalar sigmoid gate on the shared expert
    source: str = field(default="", compare=False)  # file the spec was read from

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0 and self.moe_layers > 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Parameters:
    """Parameter counts. `embedding` are lookup tables (token, position, segment): they
    cost no matmul FLOP. `active` is what one token touches (MoE: top-k experts only)."""

    total: int
    active: int
    embedding: int
    matmul_active: int  # weights of matrices each token is multiplied by, logits excluded
    logits: int         # d_model x vocab: the output head, tied or not


def _norm(spec: ModelSpec, width: int | None = None) -> int:
    width = spec.d_model if width is None else width
    return width * (2 if spec.norm == "layer" else 1)


def attention_weights(spec: ModelSpec) -> int:
    q = spec.n_heads * spec.head_dim
    kv = spec.n_kv_heads * spec.head_dim
    return spec.d_model * (q + 2 * kv) + q * spec.d_model


def dense_mlp_weights(spec: ModelSpec) -> int:
    return (3 if spec.mlp == "gated" else 2) * spec.d_model * spec.d_ff


def expert_weights(spec: ModelSpec) -> int:
    """One routed expert (always a gated MLP in the supported MoE families)."""
    return 3 * spec.d_model * spec.d_ff_expert


def moe_active_matmul(spec: ModelSpec) -> int:
    """Matmul weights one token touches in an MoE block: router, top-k experts, shared."""
    shared = 3 * spec.d_model * spec.shared_expert_d_ff + (spec.d_model if spec.shared_expert_gate else 0)
    return spec.d_model * spec.n_experts + spec.top_k * expert_weights(spec) + shared


def count_parameters(spec: ModelSpec) -> Parameters:
    """Exact parameter count of the model with its pre-training head."""
    d, h = spec.d_model, spec.head_dim
    q, kv = spec.n_heads * h, spec.n_kv_heads * h
    attn = attention_weights(spec)
    attn += (q + 2 * kv) * spec.qkv_bias + d * spec.out_bias
    attn += 2 * _norm(spec, spec.qk_norm_dim) if spec.qk_norm_dim else 0
    dense_mlp = dense_mlp_weights(spec)
    dense_mlp += spec.mlp_bias * ((2 if spec.mlp == "gated" else 1) * spec.d_ff + d)
    shared = 3 * d * spec.shared_expert_d_ff + (d if spec.shared_expert_gate else 0)
    moe = d * spec.n_experts + spec.n_experts * expert_weights(spec) + shared
    n_dense = spec.n_layers - spec.moe_layers
    layer_common = attn + spec.norms_per_layer * _norm(spec)
    blocks = spec.n_layers * layer_common + n_dense * dense_mlp + spec.moe_layers * moe

    embedding = d * (spec.vocab_size + spec.positions + spec.token_types)
    other = (_norm(spec) if spec.embedding_norm else 0) + (_norm(spec) if spec.final_norm else 0)
    other += (d * d + d + _norm(spec)) if spec.head_transform else 0
    head = (0 if spec.tied_embeddings else d * spec.vocab_size) + (spec.vocab_size if spec.lm_head_bias else 0)
    total = blocks + embedding + other + head

    inactive = spec.moe_layers * (spec.n_experts - spec.top_k) * expert_weights(spec)
    matmul = spec.n_layers * attention_weights(spec) + n_dense * dense_mlp_weights(spec)
    matmul += spec.moe_layers * moe_active_matmul(spec) + (d * d if spec.head_transform else 0)
    return Parameters(total=total, active=total - inactive, embedding=embedding,
                      matmul_active=matmul, logits=d * spec.vocab_size)
