"""Vision block kinds: the patch embedding of a vision tower."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .block_base import Block, Flops, Seq, _linear, block


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
