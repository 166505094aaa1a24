"""A record's phases as counted: from a plan, from a ledger, merged, or read back from a
record's own phase and hardware rows (what `check` assembles again)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..boundary.errors import InputError
from ..law.estimate import estimate
from ..hardware.accelerators import find_accelerator
from ..ledger.phases import (LEDGER_FIELDS, METHOD_TEXT, PRIMARY, CountedPhase, clean,  # noqa: F401 (re-exported)
                             phases_from_ledger)
from ..inputs.plan import Plan


def from_plan(plan: Plan) -> tuple[list[CountedPhase], Any]:
    """The plan's phases with every method's estimate (`estimate`), and its result."""
    result = estimate(plan)
    phases = []
    for pr in result.phases:
        p = pr.phase
        entry = CountedPhase(p.name, p.kind.id, tokens=p.tokens, start=p.start and p.start.isoformat(),
                             end=p.end and p.end.isoformat(), upper_bound=p.upper_bound)
        for method, e in pr.estimates.items():
            entry.estimates[method] = (e.total, e.low, e.high, e.formula)
        if p.hardware is not None:
            hw = p.hardware
            entry.accelerator, entry.devices, entry.precision = hw.accelerator.id, hw.devices, hw.precision
            entry.accelerator_hours, entry.utilization = hw.hours, hw.utilization
            entry.utilization_source = "given" if hw.utilization_given else "default"
            if hw.devices:
                entry.wall_hours = hw.hours / hw.devices
        if entry.wall_hours is None and p.start and p.end:  # calendar days, both dates included
            entry.wall_hours = float(((p.end - p.start).days + 1) * 24)
        phases.append(entry)
    return phases, result




def merge_ledger(phases: list[CountedPhase], measured: list[CountedPhase]) -> list[CountedPhase]:
    """The ledger's phases into the plan's: a phase of the same name takes the ledger's
    measured FLOP and everything its rows determine (`LEDGER_FIELDS`); the ledger's other
    phases follow, as the ledger has them. `build` and `check` both merge through here."""
    by_name = {p.name: p for p in phases}
    out = list(phases)
    for m in measured:
        target = by_name.get(m.name)
        if target is None:
            out.append(m)
            continue
        target.estimates["measured"] = m.estimates["measured"]
        for attr in LEDGER_FIELDS:
            setattr(target, attr, getattr(m, attr))
        target.accelerator = target.accelerator or m.accelerator
    return out


def achieved_utilization(measured: list[CountedPhase]) -> dict[str, float]:
    """Each ledger phase's MFU, FLOP-weighted over the rows that carry one."""
    return {m.name: m.mfu_work[0] / m.mfu_work[1] for m in measured if m.mfu_work[1] > 0}


def with_measured_utilization(plan: Plan, measured: list[CountedPhase]) -> Plan:
    """The plan with each phase's default utilisation band (30–50%) replaced by the run's
    measured MFU where the ledger has it for that phase: FLOP counted ÷ (time × devices ×
    peak), FLOP-weighted over its rows. A band the plan states is kept: it is the
    provider's own figure. The hardware method then cross-checks the plan's accelerator
    time against what the run achieved, not against a generic band."""
    achieved = achieved_utilization(measured)
    phases = []
    for ph in plan.phases:
        hw = ph.hardware
        if hw is not None and not hw.utilization_given and ph.name in achieved:
            u = achieved[ph.name]
            ph = dataclasses.replace(ph, hardware=dataclasses.replace(hw, utilization=(u, u)))
        phases.append(ph)
    return dataclasses.replace(plan, phases=tuple(phases))


def _from_hardware_row(p: CountedPhase, h: dict, where: str) -> None:
    """What a hardware row states of its phase: a table accelerator (it has a utilisation
    band, possibly empty) or a device the monitor detected (a CPU, an unknown GPU)."""
    p.devices = h.get("devices")
    if "utilization" not in h:
        p.hardware = {"device": h["accelerator"], "name": h["name"], "precision": h["precision"]}
        return
    p.accelerator = find_accelerator(h["accelerator"], field=f"{where}.accelerator").id
    p.precision = h["precision"]
    p.utilization = tuple(h["utilization"]) if h["utilization"] else None  # type: ignore[assignment]
    p.utilization_source = h.get("utilization_source")


def from_record(record: dict) -> list[CountedPhase]:
    """The phases a record states: each phase row's inputs (kind, tokens, estimates,
    hours, dates, bound) and its hardware row's (accelerator, devices, precision,
    utilisation). What they derive (counts_in, primary, peak, totals, ...) is not read."""
    hardware = {h["phase"]: (i, h) for i, h in enumerate(record["hardware"])}
    phases = []
    for row in record["phases"]:
        recomputed = row.get("recomputed_flop")
        p = CountedPhase(row["name"], row["kind"], tokens=row.get("tokens"), steps=row.get("steps"),
                         wall_hours=row.get("wall_clock_hours"), accelerator_hours=row.get("accelerator_hours"),
                         start=row.get("start"), end=row.get("end"),
                         recomputed=None if recomputed is None else int(recomputed),
                         upper_bound=row.get("bound") == "upper",
                         estimates={m: (int(e["total"]), int(e["low"]), int(e["high"]), e["description"])
                                    for m, e in row["estimates"].items()})
        if row["name"] in hardware:
            i, h = hardware[row["name"]]
            _from_hardware_row(p, h, f"hardware[{i}]")
        phases.append(p)
    return phases
