"""One check's orchestration around `watch`: what a rank knows (`view`: the same on every
rank, so every rank takes the same stop decision) and how an event is announced (rank 0)."""
from __future__ import annotations

import logging
import warnings
from typing import Any, Callable, Iterable

from ..data.phases import PhaseKind
from ..ledger.summary import adds
from . import watch
from .events import ThresholdEvent, ThresholdWarning, user_stacklevel
from .totals import Totals

log = logging.getLogger("flopcount")


def rates(run: Totals, steps: int, kind: PhaseKind, expected_flops_per_step: int | None) -> dict[str, float]:
    """Each quantity's per-step rate: measured over the steps read, else as planned."""
    if steps:
        t = run.training / steps
        return {"training": t, "cumulative": run.cumulative / steps, "modification": t, "training_lineage": t}
    return {q: float(v) for q, v in adds(kind, expected_flops_per_step or 0).items()}


def view(exact: dict[str, int], per_step: dict[str, float], *, step_index: int, settled: int,
         planned_steps: int | None, seconds_per_step: float | None, now: float) -> watch.View:
    """Exact to the last sum read (`settled` steps), plus the per-step rate for each step
    whose sum is in flight."""
    ahead = step_index - settled
    return watch.View({q: v + per_step[q] * ahead for q, v in exact.items()}, exact, per_step, step_index,
                      settled - 1, planned_steps, seconds_per_step, now)


def announce(event: ThresholdEvent, handlers: Iterable[Callable[[ThresholdEvent], Any]]) -> None:
    """One warning, attributed to the user's line that ran the step; then the handlers."""
    warnings.warn(event.message, ThresholdWarning, stacklevel=user_stacklevel())
    log.info(event.message)  # INFO: Python's last-resort handler does not print it twice
    for handler in handlers:
        handler(event)
