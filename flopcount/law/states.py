"""California SB 53 (Bus. & Prof. Code §22757.10 ff.) and New York's RAISE Act (GBL
art. 44-B as replaced in 2026): a frontier model (> 10^26 operations, counting the original
run and later fine-tuning, RL and other modifications), the developer's tier by revenue
in the preceding calendar year, and each tier's duties with their deadlines."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..data.obligations import (CA_DUTIES, CA_EFFECTIVE, LARGE_REVENUE_USD, NY_DUTIES, NY_EFFECTIVE,
                                NY_LARGE_REVENUE_USD, StateDuty)
from .compute import ComputeSummary, met
from ..inputs.facts import Facts
from .result import Duty, Reading, State


@dataclass(frozen=True)
class Statute:
    region: str
    name: str
    definition: str        # where "frontier model" and the tiers are defined
    effective: dt.date
    revenue_line: int
    duties: tuple[StateDuty, ...]


SB53 = Statute("CA", "California SB 53", "§22757.11", CA_EFFECTIVE, LARGE_REVENUE_USD, CA_DUTIES)
RAISE = Statute("NY", "New York RAISE Act", "GBL §1420", NY_EFFECTIVE, NY_LARGE_REVENUE_USD, NY_DUTIES)


def frontier(c: ComputeSummary, law: Statute) -> tuple[str, str, tuple[Reading, ...]]:
    """Whether the developer trained a frontier model: 'yes', 'no' or 'review'. A modifier's
    count admits two readings where the base's compute decides."""
    lineage = c.figures.get("lineage", "the lineage's compute")
    if not c.is_modification or met(c.frontier_lineage) == met(c.frontier_own):
        word = "is" if met(c.frontier_lineage) else "is not"
        what = "base + modification and the modification alone agree: " if c.is_modification else ""
        return ("yes" if met(c.frontier_lineage) else "no"), \
            f"{what}{lineage} {word} over 10^26 operations ({law.definition})", ()
    own = c.figures.get("training", "the modification's compute")
    return "review", "the count for a fine-tuner admits two readings", (
        Reading(f"the original run plus the developer's modifications, base included: {lineage}, "
                f"{'over' if met(c.frontier_lineage) else 'not over'} 10^26", law.definition),
        Reading(f"only the compute this developer used (it did not train the base): {own}, "
                f"{'over' if met(c.frontier_own) else 'not over'} 10^26", f"{law.definition} (\"the developer applies\")"))


def tier(revenue: int | None, law: Statute) -> str:
    if revenue is None:
        return "not_stated"
    return "large_frontier_developer" if revenue > law.revenue_line else "frontier_developer"


def duty(d: StateDuty, level: str, law: Statute, c: ComputeSummary, facts: Facts, as_of: dt.date) -> Duty:
    if level == "review":
        return Duty("review", d.provision, f"{d.title}: if a frontier developer (two readings)")
    if d.large_only and level == "frontier_developer":
        return Duty("not_applicable", d.provision, f"{d.title}: large frontier developers only (revenue not over "
                    f"${law.revenue_line:,})")
    if d.large_only and level == "not_stated":
        return Duty("not_stated", d.provision, f"{d.title}: owed if revenue in the preceding calendar year was over "
                    f"${law.revenue_line:,}: add provider.annual_revenue_usd")
    due = None
    if d.key == "transparency_report":
        deployed = facts.released or facts.release.placed_on_market
        due = max(deployed, law.effective) if deployed else None
    elif d.key in ("framework", "disclosure_statement") and c.frontier_known:
        due = max(c.frontier_known, law.effective)
    when = f"; due {due}" if due else ""
    return Duty("due", d.provision, f"{d.title}: {d.when}{when}", due, bool(due and as_of > due))


def assess_state(c: ComputeSummary, facts: Facts, law: Statute, as_of: dt.date) -> State:
    if law.region not in facts.deploys:
        return State(False, "n/a", f"not made available in {law.region} (deploys)")
    is_frontier, why, readings = frontier(c, law)
    if is_frontier == "no":
        return State(False, "not_frontier", why)
    level = "review" if is_frontier == "review" else tier(facts.provider.annual_revenue_usd, law)
    if level != "review":
        revenue = facts.provider.annual_revenue_usd
        why += (f"; revenue ${revenue:,} {'over' if revenue > law.revenue_line else 'not over'} "
                f"${law.revenue_line:,} ({law.definition})" if revenue is not None else
                "; revenue not stated (add provider.annual_revenue_usd)")
    if as_of < law.effective:
        why += f"; in force from {law.effective}"
    return State(True, level, why, tuple((d.key, duty(d, level, law, c, facts, as_of)) for d in law.duties), readings)
