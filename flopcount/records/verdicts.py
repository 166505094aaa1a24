"""The record's threshold rows, modification rule and open-source note: the verdict
engine's answer (`estimate.verdict`) for the record's phases and hardware rows as
written, so that `check` gets the same rows from the same record."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..data.phases import BY_ID as PHASE_KINDS
from ..count.estimate import MethodEstimate, PhaseResult
from ..law.counted import verdict
from ..hardware.accelerators import HardwareUse, find_accelerator
from ..ledger.summary import adds
from ..boundary.numbers import flop_text
from ..inputs.plan import BaseModel, ModelRef, Phase
from ..law.thresholds import Evaluation, line_int
from .phases import CountedPhase
from .sections import OPEN_SOURCE_NOTE


def day_of(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso[:10]) if iso else None


def verdict_phases(phases: list[dict], hardware: list[dict]) -> list[PhaseResult]:
    """A record's phases as the verdict engine reads them: each method's interval as
    written (whole FLOP), the primary, the kind, the start date, whether its tokens are only
    a maximum (`bound: "upper"`), and for a phase counted by the hardware method the
    accelerator time and peak it was counted from (hardware rows). A phase read from a
    ledger has no model spec or sequence length; the engine reads only a phase's kind,
    start, bound and hardware."""
    used = {h["phase"]: h for h in hardware if "peak_flops" in h and h.get("utilization")}
    out = []
    for p in phases:
        h = used.get(p["name"]) if "hardware" in p["estimates"] else None
        use = None if h is None else HardwareUse(find_accelerator(h["accelerator"]), h["accelerator_hours"],
                                                 h["precision"], tuple(h["utilization"]), h["devices"])
        phase = Phase(p["name"], PHASE_KINDS[p["kind"]], ModelRef(p["name"]), 0, "", tokens=p["tokens"],
                      hardware=use, start=day_of(p["start"]), upper_bound=p.get("bound") == "upper")
        estimates = {m: MethodEstimate(m, int(e["total"]), int(e["low"]), int(e["high"]), None, e["description"])
                     for m, e in p["estimates"].items()}
        out.append(PhaseResult(phase, estimates, p["primary"]))
    return out


def verdicts(phases: list[dict], hardware: list[dict], base: BaseModel | None,
             modalities: frozenset[str] | None, placed_on_market: dt.date | None) -> list[Evaluation]:
    """The record's threshold rows, notes included, from its phases through the verdict
    engine `estimate` uses (`estimate.verdict`): `build` writes them, `check` re-derives them."""
    return verdict(verdict_phases(phases, hardware), base, modalities, placed_on_market)


def crossings(phases: list[CountedPhase], evaluations: list[Evaluation], base: int) -> dict[str, dict]:
    """For ledger phases: the step and time of the row during which each applying line
    was passed (rows in ledger order, each adding to the quantities its kind counts in)."""
    lines = {e.threshold.id: (e.line, e.threshold.quantity) for e in evaluations if e.applies}
    rows = sorted((r for p in phases for r in p.rows), key=lambda r: r.seq)
    totals = {"training": 0, "cumulative": base, "modification": 0, "training_lineage": base}
    found: dict[str, dict] = {}
    for r in rows:
        for q, add in adds(PHASE_KINDS[r.phase_kind], r.flops).items():
            totals[q] += add
        for tid, (line, quantity) in lines.items():
            if tid not in found and totals[quantity] > line:
                found[tid] = {"phase": r.phase, "steps": [r.step_start, r.step_end],
                              "date": dt.datetime.fromtimestamp(r.created_at, dt.timezone.utc).date().isoformat()}
    return found


def threshold_row(e: Evaluation, crossed_at: dict | None) -> dict[str, Any]:
    """One evaluation as the record writes it."""
    t = e.threshold
    return {"id": t.id, "title": t.title, "provision": f"{t.instrument}, {t.provision}",
            "line": str(line_int(e.line)), "line_exact": str(e.line), "quantity": t.quantity,
            "status": e.status, "margin": e.margin, "compared": flop_text(e.compared),
            "basis": e.basis, "crossed_at": crossed_at,
            "notify_by": e.notify_by.isoformat() if e.notify_by else None, "duty": e.duty or None,
            "notes": list(e.notes), "legal_status": t.status + ("" if t.verified else " (unverified)"),
            **({"bound": e.bound} if e.bound else {})}


def modification_rule(evaluations: list[Evaluation], training: int) -> dict[str, Any]:
    """The one-third rule's row (Guidelines §3.2) as the lineage states it."""
    ev = next(e for e in evaluations if e.threshold.id == "eu-modification")
    return {"line": str(line_int(ev.line)), "line_exact": str(ev.line), "basis": ev.basis,
            "modification_compute": flop_text(training), "status": ev.status,
            "becomes_provider": ev.status in ("crossed", "straddles", "at most"),
            "conservative": ev.status in ("straddles", "at most")}


def open_source(claims: bool, evaluations: list[Evaluation], eu: dict | None = None) -> dict[str, Any]:
    """Art. 53(2). With the obligations block (record version 2): the law engine's answer
    on the record's release facts and its reason, whether or not the exemption is claimed.
    A version 1 record (no facts) keeps its general note, and that the exemption does not
    apply where systemic risk is (or may be) met."""
    if eu is not None:
        return {"claims_exemption": claims, "exemption": eu["open_source_exemption"],
                "note": eu["why"]["open_source_exemption"]}
    systemic = next(e for e in evaluations if e.threshold.id == "eu-systemic-risk").met
    return {"claims_exemption": claims,
            "note": OPEN_SOURCE_NOTE + (" The systemic-risk presumption is met or may be: the exemption does not "
                                        "apply." if claims and systemic else "")}
