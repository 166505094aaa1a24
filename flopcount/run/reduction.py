"""A run's work summed across ranks, exactly, without a host sync per step.

Each step's sum is started (`start`) and read `lag` steps later (`settle`): every rank
starts the same sums in the same order and reads them at the same steps, so every rank
holds the same totals at every check. Rank 0's fresh reading of other runs in the ledger
travels with the next sum, so every rank takes it in at the same step too.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from .collective import PendingSum
from .totals import Totals


class Reduction:
    """Summed-but-unwritten totals (`pending`), other runs' totals (`history`), and the
    sums in flight."""

    def __init__(self) -> None:
        self.pending = Totals()
        self.history = Totals()
        self.fresh: Totals | None = None           # rank 0's new reading, sent with the next sum
        self.inflight: deque[tuple[PendingSum, bool]] = deque()  # (sum started, is a step)

    def add(self, work: Totals, device: Any, world: int, *, step: bool, keep: int) -> None:
        """Take this rank's `work` in: at once alone, else as a sum read `keep` sums later."""
        if world == 1:
            self.pending = self.pending.plus(work)
            return
        n = Totals.SIZE
        values = work.as_list() + (self.fresh.as_list() if self.fresh else [0] * n) + [int(self.fresh is not None)]
        self.inflight.append((PendingSum(values, device), step))
        self.fresh = None
        self.settle(keep)

    def settle(self, keep: int = 0) -> None:
        """Read the sums started, oldest first, until `keep` are left in flight."""
        n = Totals.SIZE
        while len(self.inflight) > keep:
            values = self.inflight.popleft()[0].result()
            self.pending = self.pending.plus(Totals.of(values[:n]))
            if values[2 * n]:
                self.history = Totals.of(values[n:2 * n])

    def steps_in_flight(self) -> int:
        return sum(1 for _, step in self.inflight if step)

    def take_pending(self) -> Totals:
        """What a ledger write appends; pending starts again from zero."""
        out, self.pending = self.pending, Totals()
        return out
