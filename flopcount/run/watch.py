"""What a step's check decides, as pure functions of what the run knows.

Art. 52(1): notify within two weeks of the threshold being met *or of it becoming known
that it will be met* — so a check reports three kinds of event:
- "projected": from the planned steps and the per-step rate, the run will cross a line;
- "crossed": the exact totals passed the line (said of the last step whose sum was read);
- "stop": a line in `stop_on` would be crossed by the next step.
Each (threshold, kind) fires once; the caller keeps the set of those fired.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..data.thresholds import Threshold
from ..boundary.numbers import sig2
from ..law.lines import Line, becomes_provider, binds, notify_by, run_lines as lines  # noqa: F401 (lines: the run's rows)
from .events import ThresholdEvent

@dataclass(frozen=True)
class View:
    """One check's inputs, the same on every rank (so every rank decides the same)."""
    values: dict[str, float]    # known quantities: exact to the last sum read + rate × steps in flight
    exact: dict[str, int]       # exact to the last sum read
    rates: dict[str, float]     # per step
    step_index: int             # steps completed
    crossed_step: int           # the last step whose sum has been read (0-based)
    planned_steps: int | None
    seconds_per_step: float | None
    now: float                  # clock time of the check


def provider(view: View, is_modification: bool, one_third: int | None) -> tuple[bool, bool]:
    """(now, by the planned end): EU duties fall on a modifier only once it becomes the
    provider (Guidelines §3.2, ¶62–63); `one_third` is the one-third line, overrides included."""
    if not is_modification or one_third is None:
        return True, True
    now = becomes_provider(view.values["modification"], one_third)
    if view.planned_steps is None:
        return now, now
    remaining = max(view.planned_steps - view.step_index, 0)
    return now, becomes_provider(view.values["modification"] + view.rates["modification"] * remaining, one_third)


def decide(view: View, rows: list[Line], fired: set[tuple[str, str]], stop_on: tuple[str, ...],
           step_ended: bool, is_modification: bool) -> list[ThresholdEvent]:
    """The events this check fires (not yet in `fired`), in order."""
    out: list[ThresholdEvent] = []
    today = dt.date.fromtimestamp(view.now)
    one_third = next((line for t, line, _ in rows if t.quantity == "modification"), None)
    provider_now, provider_later = provider(view, is_modification, one_third)
    for t, line, q in rows:
        if not binds(t, provider_now or provider_later):
            continue
        notify = notify_by(today, t.notify_days) if t.notify_days else None
        if step_ended and view.exact[q] > line and (t.id, "crossed") not in fired and binds(t, provider_now):
            out.append(ThresholdEvent("crossed", t.id, line, q, view.crossed_step, view.exact[q],
                                      dt.datetime.fromtimestamp(view.now), notify,
                                      f"{t.id}: {q} compute {sig2(view.exact[q])} FLOP crossed the line "
                                      f"{sig2(line)} at step {view.crossed_step}"))
        value, rate = view.values[q], view.rates[q]
        if value > line or rate <= 0:
            continue
        ahead = math.floor((line - value) / rate) + 1   # steps until the line is passed
        crossing = view.step_index + ahead - 1
        if view.planned_steps is not None and crossing < view.planned_steps and (t.id, "projected") not in fired:
            out.append(_projected(view, t, line, q, ahead, crossing, notify))
        if t.id in stop_on and ahead == 1 and (t.id, "stop") not in fired:
            out.append(ThresholdEvent("stop", t.id, line, q, view.step_index, value + rate, None, None,
                                      f"{t.id}: stopping before step {view.step_index}, which would cross "
                                      f"the line {sig2(line)} (stop_on)"))
    return out


def _projected(view: View, t: Threshold, line: int, q: str, ahead: int, crossing: int,
               notify: dt.date | None) -> ThresholdEvent:
    final = view.values[q] + view.rates[q] * (view.planned_steps - view.step_index)
    seconds = view.seconds_per_step
    when = dt.datetime.fromtimestamp(view.now + ahead * seconds) if seconds else None
    text = (f"{t.id}: {q} compute is projected to reach {sig2(final)} FLOP by step {view.planned_steps}, "
            f"crossing the line {sig2(line)} at step {crossing}" + (f" (~{when:%Y-%m-%d})" if when else ""))
    if notify:
        text += f"; it is now known it will be met: notify by {notify} ({t.cite})"
    return ThresholdEvent("projected", t.id, line, q, crossing, final, when, notify, text)
