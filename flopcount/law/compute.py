"""What the obligations need from the compute: the verdict engine's statuses
(`flopcount.law.thresholds`, the one place a line is compared), two comparisons the texts'
second readings need, and the dates the lines became known. Plain data: the assessment
never sees FLOP counts, so it cannot re-derive a verdict of its own."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Statuses of `flopcount.law.thresholds.STATUSES` that mean a line is or may be met.
MET = ("crossed", "straddles", "at most", "presumed")


def met(status: str | None) -> bool:
    return status in MET


@dataclass(frozen=True)
class ComputeSummary:
    model: str = "model"
    is_modification: bool = False
    base_systemic: bool = False
    modalities: frozenset[str] | None = None    # output modalities; None: not stated
    gpai: str = "below"                         # eu-gpai row status
    systemic: str = "below"                     # eu-systemic-risk row status
    modification: str | None = None             # eu-modification row: modifier's training vs one third
    modification_cumulative: str | None = None  # modifier's cumulative compute vs the same line
    frontier_lineage: str = "below"             # ca-sb53 row: original run + modifications (base included)
    frontier_own: str = "below"                 # this developer's own training compute vs 10^26
    known: dt.date | None = None                # start of the run that meets the systemic-risk line
    frontier_known: dt.date | None = None       # start of the run that meets 10^26
    figures: dict[str, str] = field(default_factory=dict)   # quantity -> "2.3×10^25" for reasons
