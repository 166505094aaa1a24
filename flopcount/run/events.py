"""What a threshold check reports: a warning category, an event record, the stop exception."""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass


class ThresholdWarning(UserWarning):
    """A compute threshold will be, or has been, crossed."""


class ThresholdStop(RuntimeError):
    """Raised when a threshold in `stop_on` is about to be crossed."""


@dataclass(frozen=True)
class ThresholdEvent:
    kind: str                   # "projected" | "crossed" | "stop"
    threshold: str
    line: int
    quantity: str
    step: int | None            # the (projected) crossing step, 0-based
    total: float                # projected final total, or the total after the step
    when: dt.datetime | None    # (projected) crossing time, when known
    notify_by: dt.date | None   # Art. 52(1) deadline, where the threshold has one
    message: str


#: Packages whose frames a threshold warning skips to reach the user's training code.
LIBRARY_PACKAGES = ("flopcount", "torch", "transformers", "accelerate", "lightning", "pytorch_lightning")


def user_stacklevel() -> int:
    """The warnings stacklevel of the first frame outside flopcount and the training
    frameworks (the user's loop or `trainer.train()` line), for a warn() in the caller."""
    frame, level = sys._getframe(2), 2  # the warning function's caller
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in LIBRARY_PACKAGES:
            return level
        frame, level = frame.f_back, level + 1
    return 2
