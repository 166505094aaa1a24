"""A run's work summed across ranks, exactly, without a host sync per step.

Each step's sum is started (`add`) at step N, on the device the process group's backend
takes, and read `keep` (the monitor's `sum_lag`) steps later (`settle`): reading it waits
only for the GPU work queued before it, so no step drains the GPU's queue
(`run.collective`). Every rank starts the same sums in the same order and reads them at
the same steps, so every rank holds the same totals at every check: exact to step N−1
plus the per-step rate for step N (`run.check`). A "crossed" event names the exact step,
one step later; notification dates are days, so the lag (one step, seconds) moves none.
The monitor's `training`, `cumulative`, `quantities()`, `metrics()`, `state_dict()`,
`flush()` and `close()` read every sum started, exactly. Rank 0's fresh reading of other runs in the ledger
travels with the next sum, so every rank takes it in at the same step too.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from .collective import PendingSum
from .totals import Totals


class Reduction:
    """This run's totals as written (`flushed`) and summed-but-unwritten (`pending`), other
    runs' totals (`history`), and the sums in flight."""

    def __init__(self) -> None:
        self.flushed = Totals()                    # exact, all ranks, as written to the ledger
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

    def refresh(self, fresh: Totals, world: int) -> None:
        """Rank 0's new reading of other runs: taken at once alone, else shared with every
        rank at the next step's sum."""
        if world == 1:
            self.history = fresh
        else:
            self.fresh = fresh

    def steps_in_flight(self) -> int:
        return sum(1 for _, step in self.inflight if step)

    def take_pending(self) -> Totals:
        """Pending starts again from zero (what it held is returned)."""
        out, self.pending = self.pending, Totals()
        return out

    def restore(self, flushed: Totals) -> None:
        """A checkpoint's totals, as written; what was pending belongs to the steps it replaces."""
        self.flushed, self.pending = flushed, Totals()

    def wrote(self) -> None:
        """A ledger write appended what was pending: it counts as written."""
        self.flushed = self.flushed.plus(self.take_pending())

    def totals(self) -> Totals:
        """This run's totals over all ranks, exact: written plus summed-but-unwritten."""
        return self.flushed.plus(self.pending)
