"""Block kinds of plain weights: lookup tables (embeddings), norms and dense layers."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from .block_base import NORM_WEIGHTS, Block, Flops, Seq, _choice, _linear, block


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
