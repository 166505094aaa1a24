"""What the ledger already holds for this model: other runs (counted with this one) and,
on resume, this run's rows past the checkpoint (superseded by a "resume" row)."""
from __future__ import annotations

from typing import Any

from ..ledger import Ledger, Row, process_tag
from ..ledger.summary import summarise
from .collective import all_reduce_ints
from .totals import Totals


def other_runs(ledger: Ledger, model: str, run: str) -> Totals:
    """Other runs of this model in the ledger (not `run`: it may be resuming) — earlier
    runs, and runs on other clusters writing to it right now."""
    history = Totals()
    earlier = summarise(ledger.rows(model=model), exclude_run=run).get(model)
    if earlier is not None:
        history.training, history.cumulative = earlier.training, earlier.cumulative
    return history


def shared(history: Totals, world: int, device: Any) -> Totals:
    """Rank 0's reading, the same on every rank (collective under torch.distributed):
    every rank must take the same decisions."""
    if world > 1:
        history = Totals.of(all_reduce_ints(history.as_list(), device))
    return history


def mark_resumed(ledger: Ledger, *, run: str, model: str, phase: str, phase_kind: str, step: int) -> int | None:
    """Append a "resume" row over the steps this run wrote past `step` (they will run
    again); returns the last of them, or None where there are none."""
    ahead = [r.step_end for r in ledger.rows(run=run) if r.row_kind != "resume"]
    last = max(ahead, default=step)
    if last <= step:
        return None
    ledger.append(Row(run=run, model=model, phase=phase, phase_kind=phase_kind, row_kind="resume",
                      step_start=step, step_end=last, extra={"writer": process_tag()}))
    return last
