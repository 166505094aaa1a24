"""Block kinds: the units a model spec is built from, each with its exact parameter count
and its forward matmul FLOP as a function of the sequence it sees.

Convention: one multiply-add = 2 FLOP. Like `torch.utils.flop_counter`, only matrix
multiplies (and convolutions, which are matmuls over patches) are counted: bias adds,
norms, softmax, activations, rotary, routing top-k and the element-wise parts of a state
space scan are not (they add well under 1% at practical sizes). Each kind is registered
once in `BLOCKS` by `@block`, so a new family needs a config reader plus, at most, one new
kind here. Every formula is checked against the measured count of the same block built by
transformers (tests/test_architectures.py).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

FLOP_PER_MAC = 2  # one multiply-add = one multiply + one add
#: Attention conventions, i.e. which query-key pairs are counted:
#: windowed (default) — what the model's attention computes with a dense kernel per band:
#:   T² on global layers (as masked SDPA and FlopCounterMode count), T·W on sliding-window
#:   layers and Σ C² over chunks on chunked layers (what a windowed kernel computes);
#: full — T² on every layer, windows ignored (what a masked dense kernel executes);
#: causal — only the pairs the mask keeps on every layer: T(T+1)/2 on global causal layers.
ATTENTION_CONVENTIONS = ("windowed", "full", "causal")
NORM_WEIGHTS = {"rms": 1, "layer": 2, "none": 0}  # weight vectors per norm: RMS weight; Layer weight + bias


@dataclass(frozen=True)
class Flops:
    """Forward FLOP of one sequence by kind of work (exact ints)."""

    linear: int = 0     # weight matmuls: projections, MLPs, experts, routers, patch convolutions
    attention: int = 0  # activation x activation: Q·Kᵀ and A·V
    logits: int = 0     # output head (and a head transform before it)
    mixer: int = 0      # state-space models: depthwise convolution and the scan's C·h contraction

    def __add__(self, other: "Flops") -> "Flops":
        return Flops(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, n: int) -> "Flops":
        return Flops(*(getattr(self, f.name) * n for f in fields(self)))

    @property
    def total(self) -> int:
        return self.linear + self.attention + self.logits + self.mixer


@dataclass(frozen=True)
class Seq:
    """What a block sees: `tokens` positions of one sequence (or image), the attention
    convention, and for cross-attention the length of the sequence attended to."""

    tokens: int
    convention: str = "windowed"
    kv_tokens: int | None = None


def pairs(q: int, k: int, *, causal: bool, window: int | None = None, chunk: int | None = None,
          convention: str = "windowed") -> int:
    """Query-key pairs one head computes for q queries over k keys (self-attention: q == k).

    A sliding window W lets position i see keys i-W+1..i (W keys, its own included, as the
    transformers masks do); a chunk C lets it see the keys of its own chunk up to itself
    (Llama 4's chunked attention). Windows and chunks only restrict causal self-attention.

    full: q·k everywhere. windowed: a dense kernel's count restricted to the band — q·k on
    global layers, q·min(W, q) on sliding layers, Σ c² over chunks — so it equals `full`
    whenever the window covers the sequence. causal: the pairs the mask keeps —
    q(q+1)/2 on global layers, Σ min(i+1, W) on sliding ones, Σ c(c+1)/2 over chunks.
    """
    if convention not in ATTENTION_CONVENTIONS:
        raise ValueError(f"attention convention must be one of {ATTENTION_CONVENTIONS}, got {convention!r}")
    if convention == "full" or not causal or q != k:
        return q * k
    sizes = [chunk] * (q // chunk) + ([q % chunk] if q % chunk else []) if chunk else [q]
    if convention == "windowed":
        return q * min(window, q) if window else sum(c * c for c in sizes)
    if window:
        w = min(window, q)
        return w * (w + 1) // 2 + (q - w) * w  # rows 0..w-1 see i+1 keys, the rest see w
    return sum(c * (c + 1) // 2 for c in sizes)


BLOCKS: dict[str, type["Block"]] = {}


def block(cls: type["Block"]) -> type["Block"]:
    """Register a block kind under its `kind` name (refusing duplicates, as torch's
    flop-formula registry does)."""
    if not isinstance(cls.kind, str) or cls.kind in BLOCKS:
        raise ValueError(f"block kind {cls.kind!r} is not a new string key")
    BLOCKS[cls.kind] = cls
    return cls


class Block:
    """One unit of a model. Subclasses are frozen dataclasses of plain ints/bools."""

    kind: ClassVar[str] = ""
    measured: ClassVar[bool] = False  # FLOP come from a measurement, not a formula (fallback)
    #: why the transformers implementation computes more than `flops` (None: it does not)
    implementation_note: ClassVar[str | None] = None

    def params(self) -> int:
        raise NotImplementedError

    def active(self) -> int:
        """Parameters one token touches (MoE: the routed top-k experts only)."""
        return self.params()

    def lookup(self) -> int:
        """Parameters that are table lookups (embeddings): no matmul FLOP."""
        return 0

    def flops(self, seq: Seq) -> Flops:
        return Flops()

    def implementation_flops(self, seq: Seq) -> Flops:
        """What transformers' implementation executes, where it differs from the model."""
        return self.flops(seq)

    def lora(self) -> dict[str, tuple[int, int]]:
        """Matrices a LoRA adapter can target: name -> (in, out) features."""
        return {}

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}  # type: ignore[arg-type]


def _linear(tokens: int, n_in: int, n_out: int) -> int:
    return FLOP_PER_MAC * tokens * n_in * n_out


def _matmuls(tokens: int, matrices: list[tuple[int, int]]) -> int:
    """FLOP of `tokens` rows through each (in, out) weight matrix."""
    return sum(_linear(tokens, i, o) for i, o in matrices)


def _choice(name: str, value: str, options) -> None:
    """Blocks read from a spec file carry strings: refuse an unknown one at construction."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")


@block
@dataclass(frozen=True)
class Embedding(Block):
    """Token (+ learned position, + segment) lookup tables."""

    kind: ClassVar[str] = "embedding"
    vocab: int
    width: int
    positions: int = 0
    token_types: int = 0

    def params(self) -> int:
        return self.width * (self.vocab + self.positions + self.token_types)

    def lookup(self) -> int:
        return self.params()


@block
@dataclass(frozen=True)
class Norm(Block):
    """`count` norms of `width` (RMS: weight; Layer: weight and bias; none: no weights)."""

    kind: ClassVar[str] = "norm"
    width: int
    norm: str = "rms"
    count: int = 1

    def __post_init__(self) -> None:
        _choice("norm", self.norm, NORM_WEIGHTS)

    def params(self) -> int:
        return self.count * NORM_WEIGHTS[self.norm] * self.width


@block
@dataclass(frozen=True)
class Linear(Block):
    """A plain dense layer; `category` says which kind of work it is (BERT's MLM head
    transform counts with the logits, a vision projector with the linear work)."""

    kind: ClassVar[str] = "linear"
    n_in: int
    n_out: int
    bias: bool = False
    category: str = "linear"
    name: str = ""
    once: bool = False  # applied to one position per sample (a classifier on the class token)

    def __post_init__(self) -> None:
        _choice("category", self.category, [f.name for f in fields(Flops)])

    def params(self) -> int:
        return self.n_in * self.n_out + (self.n_out if self.bias else 0)

    def flops(self, seq: Seq) -> Flops:
        return Flops(**{self.category: _linear(1 if self.once else seq.tokens, self.n_in, self.n_out)})


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


@block
@dataclass(frozen=True)
class MLP(Block):
    """Dense feed-forward: gated (SwiGLU/GeGLU: gate, up, down) or plain (up, down)."""

    kind: ClassVar[str] = "mlp"
    width: int
    hidden: int
    gated: bool = True
    bias: bool = False

    def params(self) -> int:
        n = (3 if self.gated else 2) * self.width * self.hidden
        return n + (((2 if self.gated else 1) * self.hidden + self.width) if self.bias else 0)

    def flops(self, seq: Seq) -> Flops:
        return Flops(linear=_linear(seq.tokens, self.width, self.hidden) * (3 if self.gated else 2))

    def lora(self) -> dict[str, tuple[int, int]]:
        up = {"gate": (self.width, self.hidden), "up": (self.width, self.hidden)} if self.gated else \
            {"up": (self.width, self.hidden)}
        return {**up, "down": (self.hidden, self.width)}


@block
@dataclass(frozen=True)
class MoE(Block):
    """Mixture of experts: a router (E x width, optional bias), E routed experts of which
    each token uses top_k — gated (gate, up, down) or plain (up, down: Nemotron-H), with
    optional per-expert biases (gpt-oss) — and always-on shared experts of total width
    `shared_hidden` (DeepSeek, Qwen-MoE, Llama 4, Nemotron-H), optionally behind a sigmoid
    gate (Qwen-MoE). `latent`: the routed experts work in a smaller width, reached through
    a down and an up projection around them (Nemotron-H's `moe_latent_size`).
    `dense_bias`: biases on the shared experts and latent projections.
    `dense_implementation`: transformers runs every expert on every token (Llama 4) — the
    model's FLOP stay top-k, the implementation's are E."""

    kind: ClassVar[str] = "moe"
    width: int
    experts: int
    top_k: int
    hidden: int                   # width of one routed expert
    router_bias: bool = False
    expert_bias: bool = False
    shared_hidden: int = 0
    shared_gate: bool = False
    dense_implementation: bool = False
    gated: bool = True
    latent: int = 0
    dense_bias: bool = False

    @property
    def implementation_note(self) -> str | None:  # type: ignore[override]
        if not self.dense_implementation:
            return None
        return (f"transformers runs all {self.experts} experts on every token and weights them by the router "
                f"(top-{self.top_k} non-zero); the model computes top-{self.top_k}")

    @property
    def _mats(self) -> int:
        return 3 if self.gated else 2

    def _expert(self) -> int:
        d = self.latent or self.width
        bias = ((self._mats - 1) * self.hidden + d) if self.expert_bias else 0
        return self._mats * d * self.hidden + bias

    def _dense_matrices(self) -> list[tuple[int, int]]:
        """Always-on weight matrices besides the router: shared experts, latent projections."""
        shared = [(self.width, self.shared_hidden)] * (self._mats - 1) + [(self.shared_hidden, self.width)]
        latent = [(self.width, self.latent), (self.latent, self.width)] if self.latent else []
        return (shared if self.shared_hidden else []) + latent

    def _always(self) -> int:
        router = self.experts * self.width + (self.experts if self.router_bias else 0)
        dense = sum(i * o + (o if self.dense_bias else 0) for i, o in self._dense_matrices())
        return router + dense + (self.width if self.shared_gate else 0)

    def params(self) -> int:
        return self._always() + self.experts * self._expert()

    def active(self) -> int:
        return self._always() + self.top_k * self._expert()

    def _flops(self, seq: Seq, experts_run: int) -> Flops:
        d = self.latent or self.width
        weights = self.experts * self.width + experts_run * self._mats * d * self.hidden
        weights += sum(i * o for i, o in self._dense_matrices()) + (self.width if self.shared_gate else 0)
        return Flops(linear=FLOP_PER_MAC * seq.tokens * weights)

    def flops(self, seq: Seq) -> Flops:
        return self._flops(seq, self.top_k)

    def implementation_flops(self, seq: Seq) -> Flops:
        return self._flops(seq, self.experts if self.dense_implementation else self.top_k)


@block
@dataclass(frozen=True)
class Mamba(Block):
    """Mamba (selective SSM, Gu & Dao 2023, arXiv:2312.00752) mixer, as transformers' Mamba
    and FalconMamba: in_proj (x, z), depthwise causal conv1d, x_proj (dt, B, C), dt_proj,
    A_log, D, out_proj.

    Scan convention: the recurrence h_t = exp(Δ_t A) h_{t-1} + Δ_t B_t x_t is element-wise
    (≈ 3·D·N multiply/adds per token) and, like norms and softmax, not counted; its output
    contraction y_t = C_t · h_t (D·N multiply-adds per token) is a matmul in every
    implementation and counted: 2·d_inner·d_state FLOP per token. The paper's own cost
    statement is O(B·L·D·N) for the scan (§3.3.2). The convolution is counted over the
    T + d_conv − 1 output positions the reference implementation computes before it
    trims to T.
    """

    kind: ClassVar[str] = "mamba"
    width: int
    inner: int
    state: int
    conv: int
    dt_rank: int
    bias: bool = False
    conv_bias: bool = True

    def _matrices(self) -> list[tuple[int, int]]:
        return [(self.width, 2 * self.inner), (self.inner, self.dt_rank + 2 * self.state),
                (self.dt_rank, self.inner), (self.inner, self.width)]

    def params(self) -> int:
        n = sum(i * o for i, o in self._matrices())
        n += self.inner * self.conv + (self.inner if self.conv_bias else 0)
        n += self.inner  # dt_proj bias
        n += (2 * self.inner + self.width) if self.bias else 0
        return n + self.inner * self.state + self.inner  # A_log, D

    def flops(self, seq: Seq) -> Flops:
        linear = _matmuls(seq.tokens, self._matrices())
        conv = FLOP_PER_MAC * self.inner * self.conv * (seq.tokens + self.conv - 1)
        scan = FLOP_PER_MAC * seq.tokens * self.inner * self.state
        return Flops(linear=linear, mixer=conv + scan)

    def lora(self) -> dict[str, tuple[int, int]]:
        return dict(zip(("in_proj", "x_proj", "dt_proj", "out_proj"), self._matrices()))


@block
@dataclass(frozen=True)
class Mamba2(Block):
    """Mamba-2 (state space duality, Dao & Gu 2024, arXiv:2405.21060) mixer as transformers'
    Mamba2 and Nemotron-H build it: in_proj (z, x, B, C, dt: 2·inner + 2·G·N + H outputs),
    depthwise causal conv1d over x, B, C; dt_bias, A_log and D per head; a gated RMSNorm of
    width inner; out_proj. inner = heads · head_dim; G groups share B and C.

    Scan convention: the SSD algorithm (paper §6, "the chunked algorithm") as implemented
    by mamba_ssm's kernels and transformers' reference: the sequence is padded to chunks of
    Q = `chunk`; per head it computes the diagonal blocks C·Bᵀ (Q×Q per chunk, N deep) and
    their product with x (P deep), each chunk's state Bᵀ·x (Q·P·N), the state passing
    between chunks ((c+1)² · P·N) and the outputs C·state (Q·P·N). All are matmuls and
    counted, like the padded chunk tail; the element-wise decays are not. The count is the
    same under every attention convention. The convolution is counted over the
    T + d_conv − 1 positions it computes before trimming to T.
    """

    kind: ClassVar[str] = "mamba2"
    width: int
    heads: int
    head_dim: int
    state: int
    groups: int
    conv: int
    chunk: int
    bias: bool = False
    conv_bias: bool = True

    @property
    def inner(self) -> int:
        return self.heads * self.head_dim

    @property
    def conv_dim(self) -> int:
        return self.inner + 2 * self.groups * self.state

    def _matrices(self) -> list[tuple[int, int]]:
        return [(self.width, self.inner + self.conv_dim + self.heads), (self.inner, self.width)]

    def params(self) -> int:
        n = sum(i * o + (o if self.bias else 0) for i, o in self._matrices())
        n += self.conv_dim * self.conv + (self.conv_dim if self.conv_bias else 0)
        return n + 3 * self.heads + self.inner  # dt_bias, A_log, D; gated norm weight

    def flops(self, seq: Seq) -> Flops:
        linear = _matmuls(seq.tokens, self._matrices())
        conv = FLOP_PER_MAC * self.conv_dim * self.conv * (seq.tokens + self.conv - 1)
        chunks = -(-seq.tokens // self.chunk)
        padded, h, p, n = chunks * self.chunk, self.heads, self.head_dim, self.state
        ssd = padded * self.chunk * h * (n + p) + 2 * padded * h * p * n + (chunks + 1) ** 2 * h * p * n
        return Flops(linear=linear, mixer=conv + FLOP_PER_MAC * ssd)

    def lora(self) -> dict[str, tuple[int, int]]:
        return dict(zip(("in_proj", "out_proj"), self._matrices()))


@block
@dataclass(frozen=True)
class Head(Block):
    """Output head: width x vocab logits (weights tied to the embedding or not, bias)."""

    kind: ClassVar[str] = "head"
    width: int
    vocab: int
    tied: bool = False
    bias: bool = False

    def params(self) -> int:
        return (0 if self.tied else self.width * self.vocab) + (self.vocab if self.bias else 0)

    def flops(self, seq: Seq) -> Flops:
        return Flops(logits=_linear(seq.tokens, self.width, self.vocab))


@block
@dataclass(frozen=True)
class PatchEmbedding(Block):
    """Patch embedding as a convolution with stride = kernel (ViT, SigLIP, Qwen-VL's 3-D
    patches): one (channels·patch²·temporal) x width matmul per patch, plus a bias, plus
    learned position embeddings and a class token where the model has them."""

    kind: ClassVar[str] = "patch_embedding"
    channels: int
    patch: int
    width: int
    temporal: int = 1
    bias: bool = True
    positions: int = 0
    cls_token: bool = False

    @property
    def patch_inputs(self) -> int:
        return self.channels * self.patch * self.patch * self.temporal

    def params(self) -> int:
        n = self.patch_inputs * self.width + (self.width if self.bias else 0)
        return n + self.positions * self.width + (self.width if self.cls_token else 0)

    def lookup(self) -> int:
        return self.positions * self.width

    def flops(self, seq: Seq) -> Flops:
        patches = seq.tokens - (1 if self.cls_token else 0)
        return Flops(linear=_linear(patches, self.patch_inputs, self.width))
