"""The block registry and what every block kind shares: `Flops` by kind of work, the `Seq`
a block sees, query-key `pairs` under each attention convention, the `Block` base class,
and `BLOCKS`, filled once per kind by `@block`.

`flopcount.model.blocks` imports every kind module, so the registry is complete whenever
that module is imported; the kinds live by family in `blocks_*.py`.
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

