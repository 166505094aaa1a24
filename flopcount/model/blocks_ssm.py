"""State-space block kinds: the Mamba and Mamba-2 mixers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .block_base import FLOP_PER_MAC, Block, Flops, Seq, _matmuls, block


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
