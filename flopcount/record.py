"""Annex XI compute records: build from a run plan and/or a ledger, validate, check.

A record is versioned JSON validated against `schema/compute-record-v1.json` on write
and on read. FLOP values are decimal-integer strings (exact beyond 2^53; interval ends
of the hardware method are rounded to whole FLOP). The record alone is enough to
regenerate its Markdown and HTML reports (`flopcount.report`) and to re-check its
arithmetic; with its ledger, also its provenance (`check(..., ledger=...)`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__, documentation
from .data import assumptions
from .data.phases import BY_ID as PHASE_KINDS
from .data.thresholds import BY_ID as THRESHOLD_BY_ID
from .energy import JOULES_PER_KWH, estimate_kwh
from .errors import InputError
from .estimate import MethodEstimate, PhaseResult, estimate, phases_context, verdict
from .formulas import forward_flops, generation_flops
from .hardware import HardwareUse, find_accelerator
from .ledger import Ledger, Row, counted_rows, load_key
from .ledger.summary import COUNTS_IN, adds
from .ledger import checkpoint as cp
from .numbers import flop_text, sig2
from .plan import BaseModel, ModelRef, Phase, Plan
from .ledger.summary import run_steps
from .thresholds import Context, Evaluation, bounded, line_int, status

CONVENTION = "1 multiply-add = 2 FLOP"
PRIMARY = ("measured", "full", "6ND", "hardware", "reported")
METHOD_TEXT = {
    "measured": "Op-level count of the forward and backward passes that ran (torch dispatch, "
                "FlopCounterMode formulas plus CPU attention and grouped GEMM), once per input shape, "
                "summed per step in the ledger; activation recomputation excluded.",
    "full": "Analytic count of every matmul per token (projections, MLP/experts, attention at the sequence "
            "length, logits) × tokens; backward = 2× forward for trained weights.",
    "6ND": "6 × parameters × tokens (Guidelines Annex A.2: C ≈ 6·P·D for large dense transformers). For "
           "mixture-of-experts models P is the parameters active per token: flopcount's convention, since each "
           "token's matmuls use only its routed experts; the Guidelines give no rule for MoE.",
    "hardware": "Accelerator-hours × dense peak FLOP/s at the precision used × utilisation interval "
                "(Guidelines Annex A.2, C = N·L·H·U).",
    "reported": "A figure stated in other documentation (e.g. the base model provider's).",
}
OPEN_SOURCE_NOTE = (
    "Art. 53(2): providers of models released under a free and open-source licence with public weights, "
    "architecture and usage information are exempt from Art. 53(1)(a) (technical documentation, Annex XI) "
    "and (b) (information for downstream providers, Annex XII), but still owe (c) a copyright policy and "
    "(d) a public summary of the training content. The exemption does not apply to models with systemic risk.")


def schema() -> dict:
    return json.loads(resources.files("flopcount").joinpath("schema/compute-record-v1.json").read_text("utf-8"))


def _interval(total: float, low: float, high: float) -> dict[str, str]:
    return {"total": flop_text(total), "low": flop_text(low), "high": flop_text(high), "notified_form": sig2(total)}


@dataclass
class _Phase:
    name: str
    kind: str
    estimates: dict[str, tuple[float, float, float, str]] = field(default_factory=dict)
    tokens: int | None = None
    steps: int | None = None
    wall_hours: float | None = None
    accelerator_hours: float | None = None
    accelerator: str | None = None
    devices: int | None = None
    precision: str | None = None
    peak: float | None = None
    utilization: tuple[float, float] | None = None
    start: str | None = None
    end: str | None = None
    recomputed: int | None = None
    energy_joules: float | None = None
    hardware: dict | None = None          # detected by the monitor (device, name, precision)
    energy_note: str | None = None        # how the ledger's energy was read (NVML, codecarbon)
    emissions_kg: float | None = None
    rows: list = field(default_factory=list)
    upper_bound: bool = False             # the plan's tokens are a maximum (the run can stop early)
    utilization_source: str | None = None  # "given", "default" or "measured" (the run's MFU, ledger)
    mfu_work: tuple[int, float] = (0, 0.0)  # ledger: FLOP of rows with an MFU, and their peak capacity

    @property
    def primary(self) -> str:
        return next(m for m in PRIMARY if m in self.estimates)


def _from_plan(plan: Plan) -> tuple[list[_Phase], Any]:
    result = estimate(plan)
    phases = []
    for pr in result.phases:
        p = pr.phase
        entry = _Phase(p.name, p.kind.id, tokens=p.tokens, start=p.start and p.start.isoformat(),
                       end=p.end and p.end.isoformat(), upper_bound=p.upper_bound)
        for method, e in pr.estimates.items():
            entry.estimates[method] = (e.total, e.low, e.high, e.formula)
        if p.hardware is not None:
            hw = p.hardware
            entry.accelerator, entry.devices, entry.precision = hw.accelerator.id, hw.devices, hw.precision
            entry.accelerator_hours, entry.peak, entry.utilization = hw.hours, hw.peak, hw.utilization
            entry.utilization_source = "given" if hw.utilization_given else "default"
            if hw.devices:
                entry.wall_hours = hw.hours / hw.devices
        if entry.wall_hours is None and p.start and p.end:  # calendar days, both dates included
            entry.wall_hours = float(((p.end - p.start).days + 1) * 24)
        phases.append(entry)
    return phases, result


def phases_from_ledger(rows: list[Row], source: str, model: str | None, preferred: str | None = None
                       ) -> tuple[list[_Phase], dict[str, Any]]:
    """One model's counted rows summed per phase (resumed steps once), and what its rows
    say of it (parameters, base model); shared by records and the ledger importer."""
    models = sorted({r.model for r in rows if r.row_kind != "resume"})
    if model is None and preferred in models:
        model = preferred
    if model is None:
        if len(models) != 1:
            raise InputError(f"the ledger holds {len(models)} models ({', '.join(models)}); choose one with --model",
                             source=source)
        model = models[0]
    if model not in models:
        raise InputError(f"no rows for model {model!r} (models: {', '.join(models)})", source=source)
    phases: dict[str, _Phase] = {}
    info: dict[str, Any] = {"model": model, "base": None, "base_systemic_risk": False, "parameters": None}
    for r in counted_rows([r for r in rows if r.model == model]):
        if r.row_kind == "eval":
            continue
        p = phases.setdefault(r.phase, _Phase(r.phase, r.phase_kind, tokens=0, steps=0, wall_hours=0.0,
                                              accelerator_hours=0.0, recomputed=0))
        p.rows.append(r)
        total = p.estimates.get("measured", (0, 0, 0, ""))[0] + r.flops
        p.estimates["measured"] = (total, total, total, METHOD_TEXT["measured"])
        p.tokens += r.tokens
        p.wall_hours += r.wall_seconds / 3600
        p.accelerator_hours += r.accelerator_seconds / 3600
        p.recomputed += r.flops_recomputed
        p.accelerator = r.accelerator or p.accelerator
        p.devices = max(p.devices or 0, r.devices)
        when = dt.datetime.fromtimestamp(r.created_at, dt.timezone.utc).isoformat(timespec="seconds")
        p.end = when
        p.start = p.start or when
        if isinstance(r.extra.get("hardware"), dict):
            p.hardware = r.extra["hardware"]
            p.precision = p.precision or p.hardware.get("precision")
        if isinstance(r.extra.get("parameters"), dict):
            info["parameters"] = r.extra["parameters"]
        if "emissions_kg" in r.extra:
            p.emissions_kg = (p.emissions_kg or 0.0) + r.extra["emissions_kg"]
        if "energy_note" in r.extra:
            p.energy_note = r.extra["energy_note"]
        if "energy_joules" in r.extra:
            p.energy_joules = (p.energy_joules or 0.0) + r.extra["energy_joules"]
        if r.flops and isinstance(r.extra.get("mfu"), (int, float)) and r.extra["mfu"] > 0:
            p.mfu_work = (p.mfu_work[0] + r.flops, p.mfu_work[1] + r.flops / r.extra["mfu"])
        info["base"] = r.extra.get("base_training_compute", info["base"])
        info["base_systemic_risk"] = r.extra.get("base_systemic_risk", info["base_systemic_risk"])
    for p in phases.values():
        p.steps = sum(run_steps(p.rows).values())
    return list(phases.values()), info


def _parameters(params: Any, counted: dict | None) -> dict | None:
    """The record's parameter counts: from the model spec (plan), else as the monitor
    counted them from the model's tensors (ledger: total only; the per-token active count
    of an MoE is not known there)."""
    if params is not None:
        return {"total": params.total, "active": params.active, "embedding": params.embedding,
                "notified_form": sig2(params.total), "source": "model spec"}
    if counted and isinstance(counted.get("total"), int):
        return {"total": counted["total"], "active": None, "embedding": None,
                "notified_form": sig2(counted["total"]), "source": "counted from the model's tensors (ledger)"}
    return None


def no_peak(hardware: dict) -> str:
    """Why the hardware method has no figure for a record's hardware row (a CPU, a GPU
    missing from the accelerator table, or a precision the table has no peak for)."""
    name = hardware.get("name")
    named = f" ({name})" if name and name not in ("unknown", hardware["accelerator"]) else ""
    return (f"not available: no peak for {hardware['accelerator']}{named} at {hardware['precision']} "
            "in the accelerator table")


def _methods(phases: list[_Phase], hardware: list[dict]) -> list[dict[str, str]]:
    """The methods the phases were counted by; the hardware method also where a device ran
    without a peak in the table, saying that it has no figure and why."""
    used = [{"id": m, "description": METHOD_TEXT[m]} for m in PRIMARY if any(m in p.estimates for p in phases)]
    missing = [no_peak(h) for h in hardware if "peak_flops" not in h]
    if missing and not any(m["id"] == "hardware" for m in used):
        used.append({"id": "hardware", "description": "; ".join(dict.fromkeys(missing)) + ". "
                     + METHOD_TEXT["hardware"]})
    return used


def _clean(value: float | None) -> float | None:
    """Twelve significant figures: sums of many float rows carry binary artefacts
    (1320.7040000000002 kWh), far below what any hour or energy figure can claim."""
    return None if value is None else float(f"{value:.12g}")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _day(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso[:10]) if iso else None


def _crossings(phases: list[_Phase], lines: dict[str, tuple[int, str]], base: int) -> dict[str, dict]:
    """For ledger phases: the step and time of the row during which each line was passed."""
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
                      hardware=use, start=_day(p["start"]), upper_bound=p.get("bound") == "upper")
        estimates = {m: MethodEstimate(m, int(e["total"]), int(e["low"]), int(e["high"]), None, e["description"])
                     for m, e in p["estimates"].items()}
        out.append(PhaseResult(phase, estimates, p["primary"]))
    return out


def verdicts(phases: list[dict], hardware: list[dict], base: BaseModel | None,
             modalities: frozenset[str] | None, placed_on_market: dt.date | None) -> list[Evaluation]:
    """The record's threshold rows, notes included, from its phases through the verdict
    engine `estimate` uses (`estimate.verdict`): `build` writes them, `check` re-derives them."""
    return verdict(verdict_phases(phases, hardware), base, modalities, placed_on_market)


def _read_ledger(ledger_path: str | Path, key_file: str | Path | None, model: str | None,
                 plan: Plan | None) -> tuple[list[_Phase], dict[str, Any], dict[str, Any]]:
    """The ledger's phases for the record's model, what its rows say of the model, and the
    ledger's identity (verified first: a ledger failing verification is refused)."""
    with Ledger(ledger_path, create=False, key=load_key(key_file)) as ledger:
        check = ledger.verify(ledger.key)
        if not check.ok:
            raise InputError("ledger failed verification: " + "; ".join(check.problems), source=ledger.display)
        measured, info = phases_from_ledger(list(ledger.rows()), ledger.display, model,
                                            plan.model.name if plan else None)
        point = cp.make(check.rows, check.head, ledger.key)
    return measured, info, {"path": str(ledger_path), "rows": check.rows, "head": check.head,
                            "verified": check.ok, "model": info["model"], "checkpoint": point.to_json()}


def achieved_utilization(measured: list[_Phase]) -> dict[str, float]:
    """Each ledger phase's MFU, FLOP-weighted over the rows that carry one."""
    return {m.name: m.mfu_work[0] / m.mfu_work[1] for m in measured if m.mfu_work[1] > 0}


def with_measured_utilization(plan: Plan, measured: list[_Phase]) -> Plan:
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


def build(*, plan: Plan | None = None, ledger_path: str | Path | None = None, model: str | None = None,
          provider: str = "unknown provider", contact: str | None = None, open_source: bool = False,
          modalities: frozenset[str] | None = None, placed_on_market: dt.date | None = None,
          released: dt.date | None = None, key_file: str | Path | None = None) -> dict[str, Any]:
    """A compute record from a plan, a ledger, or both (ledger phases add "measured"
    estimates to plan phases of the same name, and are preferred as primary)."""
    if plan is None and ledger_path is None:
        raise InputError("give a run plan, a ledger, or both")
    phases: list[_Phase] = []
    spec, params, base, base_systemic, base_name = None, None, None, False, None
    notes: list[str] = []
    ledger_read = _read_ledger(ledger_path, key_file, model, plan) if ledger_path is not None else None
    if plan is not None:
        if ledger_read is not None:
            plan = with_measured_utilization(plan, ledger_read[0])
        phases, result = _from_plan(plan)
        achieved = achieved_utilization(ledger_read[0]) if ledger_read is not None else {}
        for entry in phases:
            if entry.utilization_source == "default" and entry.name in achieved:
                entry.utilization_source = "measured"
        spec, params = plan.model.spec, result.parameters
        if plan.base is not None:
            base, base_systemic, base_name = plan.base.training_compute, plan.base.systemic_risk, plan.base.name
        notes += list(result.notes)
    ledger_info, ledger_parameters = None, None
    if ledger_read is not None:
        measured, info, ledger_info = ledger_read
        by_name = {p.name: p for p in phases}
        for m in measured:
            if m.name in by_name:
                target = by_name[m.name]
                target.estimates["measured"] = m.estimates["measured"]
                for attr in ("steps", "wall_hours", "accelerator_hours", "recomputed", "energy_joules", "rows",
                             "start", "end", "devices", "hardware", "energy_note", "emissions_kg"):
                    setattr(target, attr, getattr(m, attr))
                target.accelerator = target.accelerator or m.accelerator
            else:
                phases.append(m)
        if plan is None and info["base"] is not None:
            base, base_systemic = info["base"], info["base_systemic_risk"]
        ledger_parameters = info["parameters"]
        model_name = info["model"] if plan is None else plan.model.name
    else:
        model_name = plan.model.name
    is_mod = base is not None or (plan is not None and plan.base is not None)

    sums = {q: [0, 0, 0] for q in ("training", "cumulative")}  # exact ints, as written per phase
    for p in phases:
        kind = PHASE_KINDS[p.kind]
        values = [int(flop_text(v)) for v in p.estimates[p.primary][:3]]
        for q in sums:
            if COUNTS_IN[q](kind):
                sums[q] = [a + b for a, b in zip(sums[q], values)]
    lineage = [v + (base or 0) for v in sums["cumulative"]]
    if plan is not None:
        modalities, placed_on_market = plan.modalities, plan.placed_on_market
    lineage_base = BaseModel(base_name or "base model", base, base_systemic) if is_mod else None

    hardware, energy_total, energy_method, energy_notes = [], [0.0, 0.0, 0.0], set(), []
    uncounted = [p for p in phases if not (PHASE_KINDS[p.kind].training or PHASE_KINDS[p.kind].cumulative)]
    if uncounted:
        energy_notes.append("not included (their compute counts in no total, Guidelines Annex A.1): " +
                            ", ".join(f"{p.name} ({p.kind})" for p in uncounted))
    for p in phases:
        if p in uncounted:
            continue
        if not p.accelerator and p.hardware:  # detected, not in the accelerator table (a CPU run)
            hardware.append({"phase": p.name, "accelerator": p.hardware.get("device", "unknown"),
                             "name": p.hardware.get("name", "unknown"), "devices": p.devices,
                             "precision": p.hardware.get("precision") or "unknown",
                             "accelerator_hours": _clean(p.accelerator_hours)})
        if p.accelerator:
            acc = find_accelerator(p.accelerator)
            precision = p.precision or assumptions.DEFAULT_PRECISION
            peak_flops = p.peak or acc.peak.get(precision)
            hardware.append({"phase": p.name, "accelerator": acc.id, "name": acc.name, "devices": p.devices,
                             "precision": precision, **({"peak_flops": peak_flops} if peak_flops else {}),
                             "utilization": list(p.utilization) if p.utilization else [],
                             **({"utilization_source": p.utilization_source} if p.utilization_source else {}),
                             "accelerator_hours": _clean(p.accelerator_hours)})
        if p.energy_joules is not None:
            kwh = p.energy_joules / JOULES_PER_KWH
            energy_total = [a + kwh for a in energy_total]
            nvml = (p.energy_note or "NVML").startswith("NVML")
            energy_method.add("measured" if nvml else "estimated")
            emitted = f", {p.emissions_kg:.3g} kg CO2eq" if p.emissions_kg is not None else ""
            energy_notes.append(f"{p.name}: measured with NVML energy counters ({kwh:,.1f} kWh, GPU boards only)"
                                if nvml else f"{p.name}: {p.energy_note}: {kwh:,.4g} kWh{emitted}")
        elif p.accelerator and p.accelerator_hours:
            est = estimate_kwh(find_accelerator(p.accelerator), p.accelerator_hours)
            if est is None:
                energy_method.add("unknown")
                energy_notes.append(f"{p.name}: board power of {p.accelerator} unknown; not estimated")
            else:
                energy_total = [a + b for a, b in zip(energy_total, est)]
                energy_method.add("estimated")
                energy_notes.append(f"{p.name}: {p.accelerator_hours:,.0f} accelerator-hours × board power "
                                    f"{find_accelerator(p.accelerator).power_w:g} W × PUE {assumptions.PUE_SOURCE}")
        elif PHASE_KINDS[p.kind].cumulative:
            energy_method.add("unknown")
            if p.hardware and not p.accelerator:
                energy_notes.append(f"{p.name}: ran on {p.hardware.get('device', 'an unknown device')} "
                                    f"({p.hardware.get('name', 'unknown')}), which the accelerator table has no "
                                    "board power for, and no energy counter was read; energy not estimated")
            else:
                energy_notes.append(f"{p.name}: no accelerator time recorded; energy not estimated")
    method = "measured" if energy_method == {"measured"} else ("unknown" if not energy_method - {"unknown"}
                                                               else "estimated")
    kwh = None if energy_total == [0.0, 0.0, 0.0] else {k: _clean(v) for k, v in zip(("total", "low", "high"),
                                                                                   energy_total)}
    if "unknown" in energy_method and kwh is not None:
        energy_notes.append("partial: phases marked unknown are not included")

    phase_rows = [{
        "name": p.name, "kind": p.kind,
        "counts_in": {"training": PHASE_KINDS[p.kind].training, "cumulative": PHASE_KINDS[p.kind].cumulative},
        "tokens": p.tokens, "primary": p.primary, "steps": p.steps,
        "estimates": {m: {"total": flop_text(t), "low": flop_text(lo), "high": flop_text(hi), "description": d}
                      for m, (t, lo, hi, d) in p.estimates.items()},
        "wall_clock_hours": _clean(p.wall_hours), "accelerator_hours": _clean(p.accelerator_hours),
        "start": p.start,
        "end": p.end, "recomputed_flop": None if p.recomputed is None else flop_text(p.recomputed),
        **({"bound": "upper"} if p.upper_bound else {})} for p in phases]
    # the verdicts from what the record states (phases as written, hardware rows), as --check re-derives them
    evaluations = verdicts(phase_rows, hardware, lineage_base, modalities, placed_on_market)
    lines = {e.threshold.id: (e.line, e.threshold.quantity) for e in evaluations if e.applies}
    crossings = _crossings(phases, lines, base or 0) if ledger_path is not None else {}
    thresholds = []
    for e in evaluations:
        t = e.threshold
        thresholds.append({"id": t.id, "title": t.title, "provision": f"{t.instrument}, {t.provision}",
                           "line": str(line_int(e.line)), "line_exact": str(e.line), "quantity": t.quantity,
                           "status": e.status, "margin": e.margin, "compared": flop_text(e.compared),
                           "basis": e.basis, "crossed_at": crossings.get(t.id),
                           "notify_by": e.notify_by.isoformat() if e.notify_by else None, "duty": e.duty or None,
                           "notes": list(e.notes), "legal_status": t.status + ("" if t.verified else " (unverified)"),
                           **({"bound": e.bound} if e.bound else {})})
    mod_rule = None
    if is_mod:
        ev = next(e for e in evaluations if e.threshold.id == "eu-modification")
        mod_rule = {"line": str(line_int(ev.line)), "line_exact": str(ev.line), "basis": ev.basis,
                    "modification_compute": flop_text(sums["training"][0]), "status": ev.status,
                    "becomes_provider": ev.status != "below", "conservative": ev.status in ("straddles", "at most")}

    counted = [p for p in phases if p not in uncounted]
    wall = [p.wall_hours for p in counted if p.wall_hours is not None]
    accel = [p.accelerator_hours for p in counted if p.accelerator_hours is not None]
    systemic = next(e for e in evaluations if e.threshold.id == "eu-systemic-risk").met
    note = OPEN_SOURCE_NOTE + (" The systemic-risk presumption is met or may be: the exemption does not apply."
                               if open_source and systemic else "")
    record = {
        "record_version": 1, "flopcount_version": __version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "convention": CONVENTION,
        "provider": {"name": provider, "contact": contact},
        "model": {"name": model_name, "architecture": spec.to_dict() if spec else None,
                  "parameters": _parameters(params, ledger_parameters)},
        "lineage": {"is_modification": is_mod, "base_model": None if not is_mod else {
            "name": base_name or "base model", "training_compute": None if base is None else flop_text(base),
            "systemic_risk": base_systemic}, "modification_rule": mod_rule},
        "phases": phase_rows,
        "totals": {"training": _interval(*sums["training"]), "cumulative": _interval(*sums["cumulative"]),
                   "lineage_cumulative": _interval(*lineage)},
        "training_time": {"wall_clock_hours": _clean(sum(wall)) if wall else None,
                          "accelerator_hours": _clean(sum(accel)) if accel else None,
                          "start": min((p.start for p in counted if p.start), default=None),
                          "end": max((p.end for p in counted if p.end), default=None)},
        "hardware": hardware,
        "energy": {"kwh": kwh, "method": method, "assumptions": energy_notes},
        "thresholds": thresholds,
        "open_source": {"claims_exemption": open_source, "note": note},
        "methods": _methods(phases, hardware),
        "ledger": ledger_info, "notes": notes,
    }
    dependencies = [] if not is_mod else [
        (base_name or "base model") + (f" (version {plan.base.version})" if plan and plan.base and plan.base.version
                                       else "")]
    inference = None
    if spec is not None:
        tokens = spec.fixed_seq_len or plan.seq_len
        flop = generation_flops(spec, tokens) if spec.causal else forward_flops(spec, tokens, plan.attention).total
        inference = documentation.inference(flop, tokens, spec.causal)
    record["documentation_form"] = documentation.form(
        record, released=_iso(plan.released if plan else released),
        placed_on_market=_iso(placed_on_market),
        modalities=sorted(modalities) if modalities else None,
        dependencies=dependencies, inference_answer=inference)
    validate(record, "record")
    return record


def validate(record: Any, source: str) -> None:
    """Raise InputError naming the first schema violation's field."""
    import jsonschema
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:100] + " … " + error.message[-60:]
        raise InputError(f"does not match the compute-record schema: {message}", source=source, field=where)


def check(record: dict, source: str, ledger_path: str | Path | None = None,
          key_file: str | Path | None = None) -> list[str]:
    """Schema, arithmetic and provenance checks; returns the problems (empty: all good)."""
    validate(record, source)
    problems: list[str] = []
    sums = {"training": [0, 0, 0], "cumulative": [0, 0, 0]}
    for i, p in enumerate(record["phases"]):
        for method, e in p["estimates"].items():
            low, total, high = int(e["low"]), int(e["total"]), int(e["high"])
            if not low <= total <= high:
                problems.append(f"phases[{i}].estimates.{method}: interval not ordered (low ≤ total ≤ high)")
        if p["primary"] not in p["estimates"]:
            problems.append(f"phases[{i}].primary: {p['primary']!r} is not one of its estimates")
            continue
        kind = PHASE_KINDS.get(p["kind"])
        if kind is None:
            problems.append(f"phases[{i}].kind: unknown phase kind {p['kind']!r}")
            continue
        if (kind.training, kind.cumulative) != (p["counts_in"]["training"], p["counts_in"]["cumulative"]):
            problems.append(f"phases[{i}].counts_in: does not match the classification of {p['kind']}")
        e = p["estimates"][p["primary"]]
        for q in ("training", "cumulative"):
            if p["counts_in"][q]:
                sums[q] = [a + int(e[k]) for a, k in zip(sums[q], ("total", "low", "high"))]
    totals = record["totals"]
    base = record["lineage"]["base_model"]
    base_compute = int(base["training_compute"]) if base and base["training_compute"] else 0
    expected = {"training": sums["training"], "cumulative": sums["cumulative"],
                "lineage_cumulative": [v + base_compute for v in sums["cumulative"]]}
    for q, values in expected.items():
        for k, v in zip(("total", "low", "high"), values):
            if int(totals[q][k]) != v:
                problems.append(f"totals.{q}.{k}: {totals[q][k]} is not the sum of the phases ({v})")
        if not int(totals[q]["low"]) <= int(totals[q]["total"]) <= int(totals[q]["high"]):
            problems.append(f"totals.{q}: interval not ordered")
    lineage_training = {k: str(int(totals["training"][k]) + base_compute) for k in ("total", "low", "high")}
    quantity_total = {"training": totals["training"], "cumulative": totals["lineage_cumulative"],
                      "modification": totals["training"], "training_lineage": lineage_training}
    rule = record["lineage"].get("modification_rule") or {}
    provider = not record["lineage"]["is_modification"] or rule.get("becomes_provider", True)
    statuses = {t["id"]: t["status"] for t in record["thresholds"]}
    over = ("crossed", "straddles", "at most")  # a line decided met (or possibly met), as Evaluation.met
    met = (*over, "presumed")
    try:  # the quantities the record's phases make only a maximum, as the engine reads them
        phases = verdict_phases(record["phases"], record["hardware"])
        ctx = Context(upper_bound=phases_context(phases, None).upper_bound)
    except (InputError, KeyError, ValueError, TypeError):  # the notes check says what is wrong
        ctx = Context()
    for i, t in enumerate(record["thresholds"]):
        q = quantity_total.get(t["quantity"])
        known = THRESHOLD_BY_ID.get(t["id"])
        if q is None or known is None:
            problems.append(f"thresholds[{i}]: unknown threshold or quantity")
            continue
        if known.flop is not None and int(t["line"]) != known.flop:
            problems.append(f"thresholds[{i}].line: {t['line']} differs from {t['id']}'s {known.flop}")
        if t["status"] == "not applicable":
            if known.jurisdiction != "EU" or provider:
                problems.append(f"thresholds[{i}].status: 'not applicable' but the modifier is the provider "
                                "(or the row is not an EU one)")
            continue
        if known.jurisdiction == "EU" and not provider and known.quantity != "modification":
            problems.append(f"thresholds[{i}].status: {t['status']!r} but the modifier is not the provider (§3.2)")
        if t["status"] == "presumed":
            base_model = record["lineage"]["base_model"] or {}
            ok = (t["id"] == "eu-systemic-risk" and base_model.get("systemic_risk") and provider) or \
                 (t["id"] == "eu-gpai" and (record["lineage"]["is_modification"] or
                                            statuses.get("eu-systemic-risk") in over))
            if not ok:
                problems.append(f"thresholds[{i}].status: 'presumed' has no basis in the record")
            continue
        # the engine's rule (thresholds.status, then `bounded` for a maximum), on the record's totals
        want, _ = bounded(status(int(q["low"]), int(q["high"]), int(t["line"])), t["quantity"], ctx)
        if want != t["status"] and not (t["id"] == "eu-gpai" and t["status"] == "below" and want != "below"):
            problems.append(f"thresholds[{i}].status: {t['status']!r} but the totals say {want!r}"
                            + (" (an upper bound: the phases marked bound 'upper' can stop early)"
                               if t["quantity"] in ctx.upper_bound else ""))
    if statuses.get("eu-systemic-risk") in met and statuses.get("eu-gpai") not in (*met, None):
        problems.append("thresholds: systemic risk is met but the GPAI row is not (a systemic-risk model is a "
                        "general-purpose AI model)")
    problems += _check_notes(record)
    problems += _check_ledger(record, ledger_path, key_file)
    return problems + documentation.check(record)


def _check_notes(record: dict) -> list[str]:
    """Each threshold row's notes and bound as the verdict engine gives them from the
    record's own phases, hardware rows and lineage (`verdicts`, as `build` wrote them). A
    row without notes (a record written before them) is accepted only where the engine
    gives none; a row without a bound is not one (records before bounds had none)."""
    lineage, general = record["lineage"], record["documentation_form"]["general"]
    b = lineage["base_model"] or {}
    base = BaseModel(b.get("name") or "base model", int(b["training_compute"]) if b.get("training_compute") else None,
                     bool(b.get("systemic_risk"))) if lineage["is_modification"] else None
    try:
        evaluations = verdicts(record["phases"], record["hardware"], base,
                               frozenset(general["modalities"]) if general.get("modalities") else None,
                               _day(general.get("placed_on_eu_market")))
    except (InputError, KeyError, ValueError, TypeError) as exc:  # the phase checks above say what is wrong
        return [f"thresholds: notes not re-derived from the phases ({type(exc).__name__}: {exc})"]
    expected = {e.threshold.id: list(e.notes) for e in evaluations}
    bounds = {e.threshold.id: e.bound for e in evaluations}
    problems = []
    for i, t in enumerate(record["thresholds"]):
        want, have = expected.get(t["id"], []), t.get("notes")
        if have is None and want:
            problems.append(f"thresholds[{i}].notes: missing; the record's phases give {len(want)} "
                            f"({'; '.join(want)}) — a record written before notes: write it again")
        elif have is not None and have != want:
            problems.append(f"thresholds[{i}].notes: {have} but the record's phases give {want}")
        if t.get("bound") != bounds.get(t["id"]):
            problems.append(f"thresholds[{i}].bound: {t.get('bound')!r} but the record's phases give "
                            f"{bounds.get(t['id'])!r}")
    return problems


def _check_ledger(record: dict, ledger_path: str | Path | None, key_file: str | Path | None) -> list[str]:
    """Provenance: the record's head is in the ledger at its row count (truncation and
    rewrites show), and every figure the ledger determines (FLOP, tokens, steps, hours,
    dates, crossing points) equals what those rows give. A record whose figures came
    from a ledger cannot drop it by writing `"ledger": null`."""
    led = record.get("ledger")
    from_ledger = [i for i, p in enumerate(record["phases"]) if "measured" in p["estimates"]]
    if led is None:
        if from_ledger or ledger_path is not None:
            return ["ledger: the record names no ledger, but " + (
                f"phases {from_ledger} carry ledger-measured FLOP" if from_ledger else "one was given to check against")]
        return []
    location = ledger_path or led["path"]
    key = load_key(key_file)  # a bad key file is bad input (exit 2), not a failed check
    try:
        with Ledger(location, create=False) as ledger:
            expect = cp.Checkpoint(led["rows"], led["head"])
            verification = ledger.verify(key, expect)
            rows = list(ledger.rows())[:led["rows"]]
            display = ledger.display
    except InputError as exc:
        return [f"ledger: {exc}"]
    problems = [f"ledger: {p}" for p in verification.problems]
    point = led.get("checkpoint")
    if point is not None:
        try:
            signed = cp.from_json(point, "ledger.checkpoint")
        except InputError as exc:
            return problems + [str(exc)]
        if (signed.rows, signed.head) != (led["rows"], led["head"]):
            problems.append("ledger.checkpoint: rows/head differ from the record's ledger rows/head")
        problem = cp.signature_problem(signed, key)
        if problem:
            problems.append(f"ledger.checkpoint: {problem}")
    if problems:
        return problems
    try:
        phases, _ = phases_from_ledger(rows, display, led.get("model") or record["model"]["name"])
    except InputError as exc:
        return [f"ledger: {exc}"]
    derived = {p.name: p for p in phases}
    for i, p in enumerate(record["phases"]):
        mine = derived.pop(p["name"], None)
        if mine is None:
            if "measured" in p["estimates"]:
                problems.append(f"phases[{i}]: {p['name']!r} has ledger-measured FLOP but no rows in the ledger")
            continue
        if "measured" not in p["estimates"]:
            problems.append(f"phases[{i}]: the ledger has rows for {p['name']!r}; the record has no measured FLOP")
            continue
        total = flop_text(mine.estimates["measured"][0])
        for k in ("total", "low", "high"):
            if p["estimates"]["measured"][k] != total:
                problems.append(f"phases[{i}].estimates.measured.{k}: {p['estimates']['measured'][k]} but the "
                                f"ledger's rows sum to {total}")
        expected = {"steps": mine.steps, "wall_clock_hours": _clean(mine.wall_hours),
                    "accelerator_hours": _clean(mine.accelerator_hours), "start": mine.start, "end": mine.end,
                    "recomputed_flop": None if mine.recomputed is None else flop_text(mine.recomputed)}
        if set(p["estimates"]) == {"measured"}:  # a ledger-only phase: its tokens are the ledger's too
            expected["tokens"] = mine.tokens
        for name, value in expected.items():
            if p.get(name) != value:
                problems.append(f"phases[{i}].{name}: {p.get(name)!r} but the ledger gives {value!r}")
    for name in derived:
        problems.append(f"phases: the ledger's phase {name!r} is missing from the record (compute dropped)")
    base = record["lineage"]["base_model"]
    lines = {t["id"]: (int(t["line"]), t["quantity"]) for t in record["thresholds"] if t.get("crossed_at") is not None
             or t["status"] in ("crossed", "straddles")}
    crossings = _crossings(phases, lines, int(base["training_compute"]) if base and base["training_compute"] else 0)
    for i, t in enumerate(record["thresholds"]):
        if t["id"] in lines and t.get("crossed_at") != crossings.get(t["id"]):
            problems.append(f"thresholds[{i}].crossed_at: {t.get('crossed_at')} but the ledger gives "
                            f"{crossings.get(t['id'])}")
    return problems


def write(record: dict, out: str | Path) -> list[Path]:
    """record.json, record.md and record.html at `out` (a path stem)."""
    from .report import to_html, to_markdown
    stem = Path(out)
    paths = [stem.parent / f"{stem.name}{ext}" for ext in (".json", ".md", ".html")]  # names may contain dots
    texts = [json.dumps(record, indent=2, ensure_ascii=False) + "\n", to_markdown(record), to_html(record)]
    try:  # everything rendered first: a failure writes nothing half-way
        stem.parent.mkdir(parents=True, exist_ok=True)
        for path, text in zip(paths, texts):
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or stem}: {exc.strerror or exc}", field="--output") from None
    return paths


def load(path: str | Path) -> dict:
    from .fields import load_mapping
    if Path(path).suffix.lower() != ".json":
        raise InputError("a compute record is a .json file", source=str(path))
    return load_mapping(path)

