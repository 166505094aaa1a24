"""Feed-forward block kinds: the dense MLP and the mixture of experts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .block_base import FLOP_PER_MAC, Block, Flops, Seq, _linear, block


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
