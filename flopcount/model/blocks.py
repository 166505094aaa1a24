"""Block kinds: the units a model spec is built from, each with its exact parameter count
and its forward matmul FLOP as a function of the sequence it sees.

Convention: one multiply-add = 2 FLOP. Like `torch.utils.flop_counter`, only matrix
multiplies (and convolutions, which are matmuls over patches) are counted: bias adds,
norms, softmax, activations, rotary, routing top-k and the element-wise parts of a state
space scan are not (they add well under 1% at practical sizes). Each kind is registered
once in `BLOCKS` by `@block`, so a new family needs a config reader plus, at most, one new
kind (in its family's `blocks_*.py`). Every formula is checked against the measured count of the same block built by
transformers (tests/test_architectures.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

# The registry, its decorator and the shared types (block_base); the kinds by family, imported
# here in the order they register (which is the order `kind` errors list them in).
from .block_base import (ATTENTION_CONVENTIONS, BLOCKS, FLOP_PER_MAC, NORM_WEIGHTS, Block, Flops, Seq,  # noqa: F401
                         _choice, _linear, _matmuls, block, pairs)
from .blocks_basic import Embedding, Linear, Norm  # noqa: F401
from .blocks_attention import Attention, LatentAttention  # noqa: F401
from .blocks_mlp import MLP, MoE  # noqa: F401
from .blocks_ssm import Mamba, Mamba2  # noqa: F401


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


from .blocks_vision import PatchEmbedding  # noqa: E402,F401  (registered after Head, as it always was)
