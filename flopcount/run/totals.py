"""A run's exact counters (Python ints: FLOP exceed int64), and how they add up."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..data.phases import PhaseKind
from ..ledger.summary import adds


@dataclass
class Totals:
    """Kept apart as the Commission Guidelines (Annex A.1) keep them: training compute,
    cumulative compute, evaluation (counted in neither), recomputation, and `work`, every
    training-loop FLOP that ran whatever total its phase kind feeds (what a ledger row stores)."""
    training: int = 0
    cumulative: int = 0
    eval: int = 0
    recomputed: int = 0
    tokens: int = 0
    eval_tokens: int = 0
    work: int = 0

    SIZE = 7  # fields, in as_list() order (sums across ranks, saved states)

    def as_list(self) -> list[int]:
        return [self.training, self.cumulative, self.eval, self.recomputed, self.tokens, self.eval_tokens, self.work]

    @classmethod
    def of(cls, values: Iterable[int]) -> "Totals":
        return cls(*values)

    def plus(self, other: "Totals") -> "Totals":
        return Totals.of(a + b for a, b in zip(self.as_list(), other.as_list()))


def add_work(into: Totals, kind: PhaseKind, flops: int, tokens: int, recomputed: int, evaluation: bool) -> None:
    """Add a micro-batch's work to `into`: evaluation apart; training work to the totals
    its phase kind feeds (`ledger.summary.adds`), and to `work` whatever it feeds."""
    if evaluation:
        into.eval += int(flops)
        into.eval_tokens += int(tokens)
        return
    more = adds(kind, int(flops))
    into.work += int(flops)   # what ran: the ledger row stores it, whatever total it counts toward
    into.training += more["training"]
    into.cumulative += more["cumulative"]
    into.recomputed += int(recomputed)
    into.tokens += int(tokens)


def quantities(run: Totals, history: Totals, prior_training: int, prior_cumulative: int,
               base_training_compute: int | None) -> dict[str, int]:
    """The quantities thresholds are measured on: this run, other runs of the model in the
    ledger, earlier phases given, and a modified model's base compute."""
    base = base_training_compute or 0
    training = prior_training + history.training + run.training
    return {"training": training, "cumulative": prior_cumulative + history.cumulative + run.cumulative + base,
            "modification": training, "training_lineage": training + base}


def restored(values: list[int], training_kind: bool) -> Totals:
    """Totals from a saved state; one saved before `work` was kept gets it from what its
    rows held (training for a training kind, else cumulative)."""
    values = [int(v) for v in values]
    if len(values) == Totals.SIZE - 1:
        values.append(values[0] if training_kind else values[1])
    return Totals.of(values)
