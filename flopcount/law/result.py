"""The obligations assessment as frozen data, and its JSON form (a stable interface:
flopcount/schema/obligations.schema.json). Statuses are words, dates ISO strings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Values of each field (the JSON Schema lists the same; tests check they agree).
PROVIDER = ("original", "modifier", "not_provider", "review")
GPAI = ("yes", "no", "presumed", "review", "n/a")
SYSTEMIC = ("no", "presumed", "straddles", "at_most", "review", "n/a")
EXEMPTION = ("applies", "lost_systemic", "not_available_licence", "not_available_monetisation",
             "not_available_unpublished", "n/a_not_gpai", "n/a_not_provider", "not_stated")
#: `not_stated`: whether the duty applies turns on a fact the plan does not give (named in why).
#: `conditional`: owed only if an upper-bound figure (a run that can stop early) proves to be over the line.
DUTY = ("due", "due_modification_only", "exempt", "not_applicable", "review", "not_stated", "conditional")
NOTIFY = ("due", "not_applicable", "review", "conditional")
TIERS = ("n/a", "not_frontier", "frontier_developer", "large_frontier_developer", "review", "not_stated")


#: the columns of a duty's row, as `flopcount obligations` and the compute records print it
ROW_HEADER = ("duty", "status", "due", "overdue", "provision")


def duty_row(key: str, duty: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """One duty in its JSON form (`Duty.to_json`; the EU notification's date is `by`) as
    the cells of `ROW_HEADER`: no date is "—", not overdue is empty."""
    due = duty["due"] if "due" in duty else duty.get("by")
    return key, duty["status"], due or "—", "yes" if duty.get("overdue") else "", duty["provision"]


@dataclass(frozen=True)
class Reading:
    """One reading of a text that admits more than one, with the provision it rests on."""

    text: str
    provision: str

    def to_json(self) -> dict[str, str]:
        return {"reading": self.text, "provision": self.provision}


def _date(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass(frozen=True)
class Duty:
    status: str
    provision: str
    why: str
    due: dt.date | None = None
    overdue: bool = False
    readings: tuple[Reading, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {"status": self.status, "due": _date(self.due), "overdue": self.overdue, "provision": self.provision,
               "why": self.why}
        if self.readings:
            out["readings"] = [r.to_json() for r in self.readings]
        return out


@dataclass(frozen=True)
class EU:
    applies: bool
    provider: str
    gpai: str
    systemic_risk: str
    open_source_exemption: str
    notify: Duty
    duties: tuple[tuple[str, Duty], ...]
    why: dict[str, str] = field(default_factory=dict)   # provider/gpai/systemic_risk/open_source_exemption
    readings: tuple[Reading, ...] = ()                   # where the provider role admits two readings
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        notify = self.notify.to_json()
        notify = {"status": notify["status"], "by": notify["due"], "provision": notify["provision"],
                  "why": notify["why"], **({"readings": notify["readings"]} if "readings" in notify else {})}
        out = {"applies": self.applies, "provider": self.provider, "gpai": self.gpai,
               "systemic_risk": self.systemic_risk, "open_source_exemption": self.open_source_exemption,
               "notify": notify, "duties": {k: d.to_json() for k, d in self.duties}, "why": dict(self.why),
               "warnings": list(self.warnings)}
        if self.readings:
            out["readings"] = [r.to_json() for r in self.readings]
        return out


@dataclass(frozen=True)
class State:
    """A US state statute (SB 53, RAISE): whether it applies, the developer's tier, duties."""

    applies: bool
    tier: str
    why: str
    duties: tuple[tuple[str, Duty], ...] = ()
    readings: tuple[Reading, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {"applies": self.applies, "tier": self.tier, "why": self.why,
               "duties": {k: d.to_json() for k, d in self.duties}}
        if self.readings:
            out["readings"] = [r.to_json() for r in self.readings]
        return out


@dataclass(frozen=True)
class Obligations:
    as_of: dt.date
    model: str
    eu: EU
    ca_sb53: State
    ny_raise: State

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "model": self.model, "eu": self.eu.to_json(),
                "ca_sb53": self.ca_sb53.to_json(), "ny_raise": self.ny_raise.to_json()}
