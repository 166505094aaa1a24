"""Threshold events as values every training logger accepts (shared by the adapters)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flopcount.run import ThresholdEvent


def event_metrics(events: list[ThresholdEvent], today: dt.date | None = None) -> dict[str, Any]:
    """The (projected) crossing step of each event, the days left to the Art. 52(1)
    notification where there is one, and all messages as one text
    (`flopcount/events`) for loggers that take text."""
    today = today or dt.date.today()
    out: dict[str, Any] = {}
    for e in events:
        out[f"flopcount/{e.threshold}/{e.kind}_step"] = float(e.step if e.step is not None else -1)
        if e.notify_by is not None:
            out[f"flopcount/{e.threshold}/notify_by_days"] = float((e.notify_by - today).days)
    if events:
        out["flopcount/events"] = "\n".join(e.message for e in events)
    return out
