"""From an estimate to what the law engine reads: the verdict engine's statuses (the lines
are compared there, once), the second readings' comparisons made with the same
`thresholds.status`, and the dates the lines became known (`thresholds.known_by`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..data.obligations import FRONTIER_LINE, SYSTEMIC_LINE
from ..count.estimate import PhaseResult, Result
from .counted import phases_context, threshold_quantities
from ..boundary.numbers import sig2
from ..inputs.plan import BaseModel
from .thresholds import bounded, known_by, modification_line, status
from .compute import ComputeSummary
from ..inputs.facts import Facts


def facts_of(result: Result) -> Facts:
    """The plan's facts, with a placing date given on the command line (which the plan's
    `placed_on_market` carries) taking effect."""
    plan = result.plan
    release = replace(plan.facts.release, placed_on_market=plan.placed_on_market)
    return replace(plan.facts, release=release, released=plan.released or plan.facts.released)


def summarise(result: Result) -> ComputeSummary:
    plan = result.plan
    return summary_of(plan.model.name, list(result.phases), result.evaluations, plan.base, plan.modalities,
                      plan.placed_on_market)


def summary_of(model: str, phases: list[PhaseResult], evaluations, base: BaseModel | None,
               modalities: frozenset[str] | None, placed_on_market: dt.date | None) -> ComputeSummary:
    """The summary of phases (each with its estimates and primary) and their evaluations:
    what `summarise` reads from an estimate, and a compute record from its own phase rows
    (`flopcount.records.verdicts.obligations`), so both are judged by one path."""
    rows = {ev.threshold.id: ev for ev in evaluations}
    ctx = phases_context(phases, base, modalities, placed_on_market)
    base_compute = base.training_compute if base and base.training_compute else 0
    own = threshold_quantities(phases, 0)  # (central, low, high); this plan's own compute
    training, cumulative = own["training"], own["cumulative"]
    figures = {"training": sig2(training[0]), "cumulative": sig2(cumulative[0] + base_compute),
               "lineage": sig2(training[0] + base_compute)}
    modification = cumulative_reading = None
    known = known_by(ctx.runs, "cumulative", SYSTEMIC_LINE, base_compute)
    if base is not None:
        line, _ = modification_line(base.training_compute, base.systemic_risk)
        figures["modification_line"] = f"one third of the base ({sig2(line)})"
        modification = rows["eu-modification"].status
        cumulative_reading = bounded(status(cumulative[1], cumulative[2], line), "cumulative", ctx, line)[0]
        if base.systemic_risk:
            known = known_by(ctx.runs, "modification", line)
    own_status = bounded(status(training[1], training[2], FRONTIER_LINE), "training", ctx, FRONTIER_LINE)[0]
    return ComputeSummary(
        model=model, is_modification=base is not None, base_systemic=bool(base and base.systemic_risk),
        modalities=modalities, gpai=rows["eu-gpai"].status, systemic=rows["eu-systemic-risk"].status,
        modification=modification, modification_cumulative=cumulative_reading,
        frontier_lineage=rows["ca-sb53"].status, frontier_own=own_status, known=known,
        frontier_known=known_by(ctx.runs, "training_lineage", FRONTIER_LINE, base_compute), figures=figures)


def of_estimate(result: Result, as_of: dt.date | None = None) -> "Obligations":
    """What each regime asks of the estimated model (`assess` on the estimate's summary and
    the plan's facts), judged at `as_of` (default: today) — the object `flopcount
    obligations` prints and `estimate` summarises in one line."""
    import datetime as dt

    from .assess import assess
    return assess(summarise(result), facts_of(result), as_of or dt.date.today())


def one_line(obligations: "Obligations") -> str:
    """The EU assessment in one line, for `estimate`: role, GPAI, systemic risk, exemption,
    notification (no "overdue": that depends on the day it is printed)."""
    eu = obligations.to_json()["eu"]
    notify = eu["notify"]
    by = f" by {notify['by']}" if notify.get("by") else ""
    return (f"EU AI Act: provider {eu['provider']}, GPAI {eu['gpai']}, systemic risk {eu['systemic_risk']}, "
            f"open-source exemption {eu['open_source_exemption']}, notify {notify['status']}{by} (each duty: "
            "flopcount obligations)")
