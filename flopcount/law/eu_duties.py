"""Each duty of a GPAI provider with its status, due date and reason (Art. 53(1)(a)-(d),
Art. 54, Art. 55). Due dates: when the model is placed on the market, or by 2 Aug 2027
for a model placed before 2 Aug 2025 (Art. 111(3))."""
from __future__ import annotations

import datetime as dt

from ..data.countries import EU_MEMBERS
from ..data.obligations import CHAPTER_V_DATE, EU_DUTIES, LEGACY_DATE, OPEN_SOURCE_LIFTS, DutyRow
from ..inputs.facts import Facts
from .result import Duty, Reading


def due_date(facts: Facts) -> tuple[dt.date | None, str]:
    placed = facts.release.placed_on_market
    if placed is None:
        return None, "due when placed on the EU market (add release.placed_on_market)"
    if placed < CHAPTER_V_DATE:
        return LEGACY_DATE, f"placed {placed}, before {CHAPTER_V_DATE}: by {LEGACY_DATE} (Art. 111(3))"
    return placed, f"due on placing on the market ({placed})"


def gate(row: DutyRow, provider: str, gpai: str, readings: tuple[Reading, ...], systemic: str = "") -> Duty | None:
    """The duty's status when the role, the GPAI status or (Art. 55) the absence of any
    systemic-risk presumption already decides it."""
    if provider == "not_provider":
        return Duty("not_applicable", row.provision, "not the provider of a GPAI model placed on the EU market")
    if gpai in ("no", "n/a"):
        return Duty("not_applicable", row.provision, "not a GPAI model")
    if row.key == "art55" and systemic == "no":
        return Duty("not_applicable", row.provision, f"{row.title}: no systemic-risk presumption (Art. 51)")
    if "review" in (provider, gpai):
        return Duty("review", row.provision, "the provider role or GPAI status admits two readings", None, False,
                    readings)
    return None


def status_of(row: DutyRow, provider: str, systemic: str, exemption: str, facts: Facts) -> tuple[str, str]:
    """A GPAI provider's duty: exempt, due, or due for the modification only."""
    scope = "due_modification_only" if provider == "modifier" else "due"
    scope_why = "for the modification (Guidelines §3.2; Recital 109)" if provider == "modifier" else "owed"
    lifted = row.key in OPEN_SOURCE_LIFTS
    if row.key == "art55":
        if systemic == "at_most":
            return "conditional", "owed only if the run trains past the line (an upper bound; Art. 51, 55)"
        if systemic not in ("presumed", "straddles"):
            return "not_applicable", "no systemic-risk presumption (Art. 51)"
        return ("review", "a modifier of a systemic-risk model") if provider == "modifier" else \
            ("due", "GPAI model with systemic risk" + (" (the estimate may cross 10^25)" if systemic == "straddles"
                                                       else ""))
    if row.key == "art54":
        est = facts.provider.established
        if est is None:
            return "not_stated", "owed only by providers established outside the EU: add provider.established"
        if est in EU_MEMBERS:
            return "not_applicable", f"established in {est}, an EU member state (Art. 54(1): third countries only)"
        if exemption == "applies":
            return "exempt", f"established in {est}; free and open-source, no systemic risk (Art. 54(6))"
        return "due", f"established in {est}, a third country: appoint one before placing on the market (Art. 54(1))"
    if lifted and exemption == "applies":
        return "exempt", "free and open-source, no systemic risk (Art. 53(2))"
    why = scope_why
    if lifted and exemption == "not_stated":
        why += "; exempt only when the open-source conditions are stated and met (Art. 53(2))"
    elif not lifted and exemption == "applies":
        why += "; not lifted by the open-source exemption (Art. 53(2); Recital 104)"
    return scope, why


def duties(provider: str, gpai: str, systemic: str, exemption: str, facts: Facts, as_of: dt.date,
           readings: tuple[Reading, ...] = ()) -> tuple[tuple[str, Duty], ...]:
    out = []
    due, due_why = due_date(facts)
    for row in EU_DUTIES:
        duty = gate(row, provider, gpai, readings, systemic)
        if duty is None:
            status, why = status_of(row, provider, systemic, exemption, facts)
            duty_readings = readings
            if status == "review" and row.key == "art55":
                duty_readings = (Reading("the modifier's Art. 55 duties cover the modification only",
                                         "Recital 109; Guidelines §3.2"),
                                 Reading("systemic risk is the modified model's as a whole, so the assessment and "
                                         "mitigation cover the whole model", "Art. 55(1)(b); Guidelines §3.2.2"))
            owed = status in ("due", "due_modification_only", "review")
            when = due if owed else None
            duty = Duty(status, row.provision, f"{row.title}: {why}" + (f"; {due_why}" if owed else ""), when,
                        bool(when and as_of > when), duty_readings)
        out.append((row.key, duty))
    return tuple(out)
