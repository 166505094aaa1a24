"""The result of a measured count: FLOP by (phase, module, op), and what was not counted."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

TRAINING_PHASES = ("forward", "backward", "optimizer")  # recompute is not training compute


@dataclass
class Measurement:
    """FLOP of one measured step. Convention: one multiply-add = 2 FLOP.

    `records[(phase, module, op)]` holds exact ints. Phases: forward, backward, optimizer,
    and recompute — activation recomputation (checkpointing, flash-attention score
    recompute) that hardware executes but the Guidelines exclude from training compute
    (Annex A.1); it is kept apart and reported as `hardware_total`.
    """

    backend: str
    attention: str = "full"
    elementwise: bool = False
    derived_backward: bool = False  # backward = 2 × forward, not measured (fvcore)
    shared: bool = False            # some ops counted as this rank's share of a DTensor group
    tokens: int | None = None
    records: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    uncounted: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # op -> calls
    failed: dict[str, str] = field(default_factory=dict)  # op -> why its formula raised
    uncounted_modules: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # custom-op calls
    notes: list[str] = field(default_factory=list)

    def add(self, phase: str, module: str, op: str, flops: int) -> None:
        if flops:
            self.records[(phase, module, op)] += int(flops)

    def phase(self, name: str) -> int:
        return sum(v for (p, _, _), v in self.records.items() if p == name)

    @property
    def forward(self) -> int:
        return self.phase("forward")

    @property
    def backward(self) -> int:
        return self.phase("backward")

    @property
    def optimizer(self) -> int:
        return self.phase("optimizer")

    @property
    def recomputed(self) -> int:
        return self.phase("recompute")

    @property
    def total(self) -> int:
        """Training compute of the step: forward + backward + optimizer."""
        return sum(self.phase(p) for p in TRAINING_PHASES)

    @property
    def hardware_total(self) -> int:
        """What the hardware executed, recomputation included (MFU-style "hardware FLOPs")."""
        return self.total + self.recomputed

    def per_token(self) -> Fraction | None:
        return Fraction(self.total, self.tokens) if self.tokens else None

    def by_op(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (phase, _, op), v in self.records.items():
            if phase in TRAINING_PHASES:
                out[op] += v
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def by_module(self, depth: int | None = None) -> dict[str, dict[str, int]]:
        """{module prefix at `depth` dots: {phase: FLOP}} (hierarchical names)."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (phase, module, _), v in self.records.items():
            key = ".".join(module.split(".")[: depth + 1]) if depth is not None else module
            out[key][phase] += v
        return {k: dict(v) for k, v in sorted(out.items())}

    def to_frame(self) -> Any:
        """A pandas DataFrame: phase, module, op, flops (object dtype: exact ints)."""
        import pandas as pd
        rows = [(p, m, o, v) for (p, m, o), v in self.records.items()]
        frame = pd.DataFrame(rows, columns=["phase", "module", "op", "flops"])
        frame["flops"] = frame["flops"].astype(object)  # never int64: totals reach 1e26
        return frame

    def summary(self) -> dict[str, Any]:
        per_token = self.per_token()
        return {
            "backend": self.backend, "convention": "1 multiply-add = 2 FLOP", "attention": self.attention,
            "elementwise": self.elementwise, "derived_backward": self.derived_backward, "tokens": self.tokens,
            "total": self.total, "forward": self.forward, "backward": self.backward, "optimizer": self.optimizer,
            "recomputed": self.recomputed, "hardware_total": self.hardware_total,
            "per_token": None if per_token is None else float(per_token),
            "by_op": self.by_op(), "not_counted": dict(sorted(self.uncounted.items())),
            "failed": dict(sorted(self.failed.items())), "notes": self.notes,
        }
