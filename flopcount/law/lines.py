"""The law's vocabulary: its inputs (`Context`, `Run`, `Alternative`), a decided row
(`Evaluation`), and the comparisons every consumer makes the same way: a figure against a
line (`status`), the one-third line of a modification (`modification_line`), whether a
modifier is the provider (`becomes_provider`), and when a line was known to be met
(`known_by`). `flopcount.law.thresholds` decides whole verdicts from these; the training
monitor (`flopcount.run.watch`) calls the same functions on its running totals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

from ..boundary.numbers import sig2
from .compute import met
from ..data.thresholds import CHAPTER_V_APPLIES, MODIFICATION_FALLBACK_BASE, MODIFICATION_FRACTION, THRESHOLDS, Threshold

Line = tuple[Threshold, int, str]  # (threshold, line in FLOP, quantity it is measured on)

STATUSES = ("below", "crossed", "straddles", "at most", "presumed", "not applicable")


@dataclass(frozen=True)
class Evaluation:
    threshold: Threshold
    line: Fraction | int       # FLOP value of the line (for the modification rule: base / 3, exact)
    compared: float            # the central compute compared with it
    low: float
    high: float
    status: str                # one of STATUSES
    basis: str = ""            # which compute was compared, or why the row does not apply
    notify_by: dt.date | None = None
    duty: str = ""             # what follows from the status, with the provision
    notes: tuple[str, ...] = ()  # uncertainty around the line; never changes the status
    bound: str | None = None   # "upper": the compared figure is only a maximum (see `bounded`)

    @property
    def margin(self) -> float:
        """Compute as a multiple of the line: 0.5 = half way, 2.0 = twice over."""
        return float(Fraction(self.compared) / Fraction(self.line)) if self.line else float("inf")

    @property
    def applies(self) -> bool:
        return self.status != "not applicable"

    @property
    def met(self) -> bool:
        """Met, presumed, or possibly met (an interval across the line, a maximum over it)."""
        return met(self.status)


@dataclass(frozen=True)
class Run:
    """One phase in time order: when it started and what it adds to each quantity."""

    start: dt.date | None
    adds: dict[str, float]     # quantity -> upper estimate it adds


@dataclass(frozen=True)
class Alternative:
    """Another method's figures for each quantity, beside the primary ones (phases it does
    not cover keep their primary estimate)."""

    method: str
    quantities: dict[str, tuple[float, float, float]]   # quantity -> (central, low, high)
    #: quantity -> utilisation at which the hardware method's central figure equals the
    #: architecture-based one (`analytic`), over the phases that have both
    utilization: dict[str, float] = field(default_factory=dict)
    analytic: str = ""


@dataclass(frozen=True)
class Context:
    is_modification: bool = False
    base_training: int | None = None
    base_systemic: bool = False
    modalities: frozenset[str] | None = None   # output modalities; None: not stated
    placed_on_market: dt.date | None = None
    runs: tuple[Run, ...] = ()
    primary: str = "the primary estimate"       # the method behind `quantities`
    alternatives: tuple[Alternative, ...] = ()
    upper_bound: frozenset[str] = frozenset()   # quantities whose figure is only a maximum (a phase can stop early)
    #: quantity -> its certain part: the low ends of the phases whose figures are not maxima
    floor: dict[str, float] = field(default_factory=dict)
    base_gpai: bool | None = None               # the base is a GPAI model; None: not stated (taken as one)


def line_int(line: Fraction | int) -> int:
    """A line as a whole FLOP count: floor(base/3) for the one-third rule, which an integer
    compute exceeds exactly when it exceeds base/3."""
    return int(line) if isinstance(line, int) else line.numerator // line.denominator


def status(low: float, high: float, line: Fraction | int) -> str:
    """Strictly greater crosses (Art. 51(2): "greater than"), compared exactly (a line of
    base/3 is not rounded); an interval that contains the line straddles it."""
    line = Fraction(line)
    if Fraction(low) > line:
        return "crossed"
    if Fraction(high) <= line:
        return "below"
    return "straddles"


def bounded(st: str, quantity: str, ctx: Context, line: Fraction | int | None = None) -> tuple[str, str | None]:
    """The status and bound of a row whose quantity may be only a maximum: a maximum over
    the line says nothing about crossing it ("at most"), unless the phases with exact
    figures alone are over it (`ctx.floor`): then it is crossed whatever the others add.
    One at or below the line is below."""
    if quantity not in ctx.upper_bound:
        return st, None
    if st == "below":
        return "below", "upper"
    if line is not None and Fraction(ctx.floor.get(quantity, 0)) > Fraction(line):
        return "crossed", None
    return "at most", "upper"


UPPER_NOTE = "an upper bound (the run can stop early): the tokens trained decide (--tokens, or tokens: in the plan)"


def modification_line(base_training: int | None, base_systemic: bool) -> tuple[Fraction, str]:
    """One third of the base model's training compute; when unknown, one third of 1e25 for
    a systemic-risk base, else of 1e23 (Guidelines §3.2, ¶64)."""
    if base_training is not None:
        return Fraction(base_training) * MODIFICATION_FRACTION, "one third of the base model's training compute"
    key = "systemic-risk" if base_systemic else "gpai"
    fallback = MODIFICATION_FALLBACK_BASE[key]
    base = "a base with systemic risk" if base_systemic else "a base without systemic risk"
    return fallback * MODIFICATION_FRACTION, (f"base model's training compute unknown: the Guidelines' fallback line, "
                                              f"one third of {sig2(fallback)} for {base} (§3.2, ¶64: only where it "
                                              "can be neither known nor estimated)")


def known_by(runs: Sequence[Run], quantity: str, line: Fraction | int, offset: float = 0) -> dt.date | None:
    """Start of the run during which the quantity's upper estimate first passes the line:
    the latest date by which it was known that the line would be met (Guidelines §2.3:
    estimate before the large run). Work with no start of its own (merged or initialising
    weights) is known by the start of the next run that builds on it. None when no date
    is given."""
    total = Fraction(offset)
    for i, run in enumerate(runs):
        total += Fraction(run.adds.get(quantity, 0))
        if total > line:
            return next((r.start for r in runs[i:] if r.start), None)
    return None

def binds(t: Threshold, provider: bool) -> bool:
    """Whether a row's duty falls on this party: the EU rows (but the one-third rule itself)
    bind only the provider; a modifier at or below one third is not one (Guidelines §3.2,
    ¶62–63)."""
    return provider or t.jurisdiction != "EU" or t.quantity == "modification"


def notify_by(known: dt.date, days: int) -> dt.date:
    """Art. 52(1): within `days` of when it became known that the line will be met, counted
    from when Chapter V applies for what was known before (Art. 113(b))."""
    return max(known, dt.date.fromisoformat(CHAPTER_V_APPLIES)) + dt.timedelta(days=days)


def becomes_provider(modification: int | float | Fraction, line: Fraction | int) -> bool:
    """A modifier becomes the provider of the modified model when its modification uses
    more than one third of the base model's training compute (Guidelines C(2025) 5045
    §3.2, ¶62–63): strictly greater, compared exactly."""
    return Fraction(modification) > Fraction(line)


def run_lines(base_training: int | None, base_systemic: bool, is_modification: bool,
          overrides: dict[str, int]) -> list[Line]:
    """Every line that applies to the run. A modification of a systemic-risk model is
    presumed to have systemic risk once the modifier becomes its provider (Guidelines
    §3.2.2, ¶70): for such a run the systemic-risk row is the one-third line on the
    modification's compute."""
    out = []
    modification = line_int(modification_line(base_training, base_systemic)[0])
    for t in THRESHOLDS:
        line, quantity = t.flop, t.quantity
        if t.quantity == "modification":
            if not is_modification:
                continue
            line = modification
        elif t.id == "eu-systemic-risk" and is_modification and base_systemic:
            line, quantity = modification, "modification"
        out.append((t, overrides.get(t.id, line), quantity))
    return out


def runs_in_order(runs: Iterable[Run]) -> tuple[Run, ...]:
    """Phases sorted by start date where every one has one; in the given order otherwise."""
    runs = tuple(runs)
    if runs and all(r.start for r in runs):
        return tuple(sorted(runs, key=lambda r: r.start))
    return runs
