"""Attention block kinds: dot-product attention (MHA, GQA, MQA, windows, chunks, cross,
segments) and multi-head latent attention."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .block_base import FLOP_PER_MAC, NORM_WEIGHTS, Block, Flops, Seq, _choice, _linear, _matmuls, block, pairs
from .blocks_basic import Norm


@block
@dataclass(frozen=True)
class Attention(Block):
    """Dot-product attention: MHA (kv_heads = heads), GQA, MQA (kv_heads = 1).

    q/k/v/o projections (fused or not: same weights), optional biases, q/k norms of any
    width (per head: Qwen3, Gemma 3; over all heads: OLMo 2), attention sinks (one learned
    logit per head, gpt-oss), T5's relative-position bias table, a sliding window or a
    chunk, cross-attention (keys/values from another sequence of `kv_tokens`), and
    `segment`: bidirectional attention restricted to independent windows of that many
    tokens, which every implementation runs as separate sequences (Qwen2.5-VL's vision
    window attention), so Σ s² pairs under every convention.
    """

    kind: ClassVar[str] = "attention"
    width: int
    heads: int
    kv_heads: int
    head_dim: int
    v_head_dim: int = 0          # 0: = head_dim
    qkv_bias: bool = False
    out_bias: bool = False
    q_norm: int = 0              # width of the q norm (0: none)
    k_norm: int = 0
    qk_norm: str = "rms"
    sinks: bool = False
    relative_buckets: int = 0    # T5: relative-position bias embedding rows (first layer only)
    causal: bool = True
    cross: bool = False
    window: int | None = None    # sliding window (keys per query)
    chunk: int | None = None     # chunked attention (Llama 4)
    kv_width: int = 0            # cross-attention: width of the attended states (0: = width)
    segment: int | None = None   # bidirectional attention within independent segments (Qwen2.5-VL windows)

    def __post_init__(self) -> None:
        _choice("qk_norm", self.qk_norm, NORM_WEIGHTS)

    @property
    def dv(self) -> int:
        return self.v_head_dim or self.head_dim

    def _dims(self) -> tuple[int, int, int, int]:
        q = self.heads * self.head_dim
        return q, self.kv_heads * self.head_dim, self.kv_heads * self.dv, self.heads * self.dv

    def params(self) -> int:
        q, k, v, o = self._dims()
        src = self.kv_width or self.width
        n = self.width * q + src * (k + v) + o * self.width
        n += (q + k + v) if self.qkv_bias else 0
        n += self.width if self.out_bias else 0
        n += Norm(self.q_norm, self.qk_norm).params() + Norm(self.k_norm, self.qk_norm).params()
        n += self.heads if self.sinks else 0
        return n + self.relative_buckets * self.heads

    def lookup(self) -> int:
        return self.relative_buckets * self.heads

    def flops(self, seq: Seq) -> Flops:
        q, k, v, o = self._dims()
        kv_tokens = seq.kv_tokens if self.cross else seq.tokens
        linear = _linear(seq.tokens, self.width, q) + _linear(kv_tokens, self.kv_width or self.width, k + v)
        linear += _linear(seq.tokens, o, self.width)
        if self.segment:  # run as separate sequences by every implementation: Σ s² under every convention
            whole, rest = divmod(seq.tokens, self.segment)
            n_pairs = whole * self.segment ** 2 + rest ** 2
        else:
            n_pairs = pairs(seq.tokens, kv_tokens, causal=self.causal and not self.cross, window=self.window,
                            chunk=self.chunk, convention=seq.convention)
        return Flops(linear=linear, attention=FLOP_PER_MAC * self.heads * n_pairs * (self.head_dim + self.dv))

    def lora(self) -> dict[str, tuple[int, int]]:
        q, k, v, o = self._dims()
        return {"q": (self.width, q), "k": (self.kv_width or self.width, k),
                "v": (self.kv_width or self.width, v), "o": (o, self.width)}


@block
@dataclass(frozen=True)
class LatentAttention(Block):
    """Multi-head latent attention (DeepSeek-V2/V3, arXiv:2405.04434 §2.1): queries through
    a low-rank q_a (norm) q_b pair (or one q_proj when q_lora_rank is 0); keys and values
    from one compressed latent (kv_a, with a shared rope key part) expanded per head by
    kv_b; separate no-rope / rope query-key dims and a value head dim."""

    kind: ClassVar[str] = "latent_attention"
    width: int
    heads: int
    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    bias: bool = False           # on q_a, kv_a and o (transformers' attention_bias)
    causal: bool = True
    window: int | None = None

    def _matrices(self) -> list[tuple[int, int]]:
        h, qk = self.heads, self.qk_nope_head_dim + self.qk_rope_head_dim
        q = [(self.width, self.q_lora_rank), (self.q_lora_rank, h * qk)] if self.q_lora_rank else [(self.width, h * qk)]
        kv = [(self.width, self.kv_lora_rank + self.qk_rope_head_dim),
              (self.kv_lora_rank, h * (self.qk_nope_head_dim + self.v_head_dim))]
        return q + kv + [(h * self.v_head_dim, self.width)]

    def params(self) -> int:
        n = sum(i * o for i, o in self._matrices()) + self.kv_lora_rank + (self.q_lora_rank or 0)  # + the two norms
        if self.bias:
            n += (self.q_lora_rank or 0) + self.kv_lora_rank + self.qk_rope_head_dim + self.width
        return n

    def flops(self, seq: Seq) -> Flops:
        linear = _matmuls(seq.tokens, self._matrices())
        n_pairs = pairs(seq.tokens, seq.tokens, causal=self.causal, window=self.window, convention=seq.convention)
        qk = self.qk_nope_head_dim + self.qk_rope_head_dim
        return Flops(linear=linear, attention=FLOP_PER_MAC * self.heads * n_pairs * (qk + self.v_head_dim))

    def lora(self) -> dict[str, tuple[int, int]]:
        names = (["q_a", "q_b"] if self.q_lora_rank else ["q"]) + ["kv_a", "kv_b", "o"]
        return dict(zip(names, self._matrices()))
