"""The obligations of one model: a pure function of the compute summary, the plan's facts
and an as-of date. This is where the duties are decided; every consumer (CLI, estimate's
summary line, records) calls `assess` rather than deriving its own copy."""
from __future__ import annotations

import datetime as dt

from ..data.obligations import ENFORCEMENT_DATE
from . import eu, states
from .compute import ComputeSummary
from .eu_duties import duties
from ..inputs.facts import Facts
from .open_source import exemption, licence_check
from .result import EU, Obligations


def warnings(c: ComputeSummary, facts: Facts, systemic: str, as_of: dt.date) -> tuple[str, ...]:
    out = []
    release = facts.release
    open_plan = licence_check(release)[0] != "fail" and (release.licence is not None or bool(release.weights_public))
    unreleased = release.placed_on_market is None or release.placed_on_market > as_of
    if systemic in ("presumed", "straddles", "at_most") and open_plan and unreleased:
        out.append("Recital 112: an open release whose compute reaches or may reach 10^25: engage the AI Office "
                   "before release (measures are harder after an open release); the open-source exemption does "
                   "not apply to systemic-risk models (Art. 53(2), 54(6))")
    if c.is_modification and c.base_systemic:
        out.append("one third of a systemic-risk base: the Guidelines compare training compute; a reading on "
                   "cumulative compute is also possible (Guidelines §3.2.2; Annex A.1)")
    if as_of < ENFORCEMENT_DATE:
        out.append(f"the Commission can fine GPAI providers from {ENFORCEMENT_DATE} (Art. 101; Art. 113)")
    return tuple(out)


def assess_eu(c: ComputeSummary, facts: Facts, as_of: dt.date) -> EU:
    provider, provider_why, readings = eu.role(c, facts)
    gpai, gpai_why = eu.gpai(c, facts, provider)
    systemic, systemic_why = eu.systemic(c, provider, gpai)
    exempt, exempt_why = exemption(provider, gpai, systemic, facts.release, as_of)
    return EU(applies="EU" in facts.deploys, provider=provider, gpai=gpai, systemic_risk=systemic,
              open_source_exemption=exempt, notify=eu.notify(c, facts, systemic, as_of),
              duties=duties(provider, gpai, systemic, exempt, facts, as_of, readings),
              why={"provider": provider_why, "gpai": gpai_why, "systemic_risk": systemic_why,
                   "open_source_exemption": exempt_why},
              readings=readings, warnings=warnings(c, facts, systemic, as_of) if "EU" in facts.deploys else ())


def assess(c: ComputeSummary, facts: Facts, as_of: dt.date) -> Obligations:
    """Every regime in `facts.deploys` (the others say they do not apply)."""
    return Obligations(as_of=as_of, model=c.model, eu=assess_eu(c, facts, as_of),
                       ca_sb53=states.assess_state(c, facts, states.SB53, as_of),
                       ny_raise=states.assess_state(c, facts, states.RAISE, as_of))
