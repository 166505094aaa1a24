"""One pure builder per derived section of a compute record.

Each is a function of a record's inputs, or of sections built from them as written
(whole FLOP, hours to twelve figures), so that `build` and `check` give the same value
from the same record: `check` reads the inputs back and calls these same functions. The
rules themselves are the verdict engine's (`estimate.verdict` over `thresholds`), the
ledger summary's (`counts_toward`, `adds`) and the accelerator table's.
"""
from __future__ import annotations

from typing import Any

from . import form as documentation
from ..data import assumptions
from ..data.phases import BY_ID as PHASE_KINDS
from ..hardware.energy import JOULES_PER_KWH, estimate_kwh
from ..model.formulas import forward_flops, generation_flops
from ..hardware.accelerators import find_accelerator
from ..ledger.summary import COUNTS_IN, counts_toward
from ..boundary.numbers import flop_text, sig2
from ..model.spec import ModelSpec, count_parameters
from .phases import METHOD_TEXT, PRIMARY, CountedPhase, clean

OPEN_SOURCE_NOTE = (
    "Art. 53(2): providers of models released under a free and open-source licence with public weights, "
    "architecture and usage information are exempt from Art. 53(1)(a) (technical documentation, Annex XI) "
    "and (b) (information for downstream providers, Annex XII), but still owe (c) a copyright policy and "
    "(d) a public summary of the training content. The exemption does not apply to models with systemic risk.")
QUANTITIES = ("total", "low", "high")


def counted(kind: str) -> bool:
    """The phase's compute counts in a total (training or cumulative; Guidelines Annex A.1)."""
    return counts_toward(kind) != "neither"


def phase_row(p: CountedPhase) -> dict[str, Any]:
    """A phase as written: its inputs, whole FLOP, hours to twelve figures; derived: what
    it counts in (its kind) and its primary (the first of `PRIMARY` it has)."""
    kind = PHASE_KINDS[p.kind]
    return {
        "name": p.name, "kind": p.kind, "counts_in": {"training": kind.training, "cumulative": kind.cumulative},
        "tokens": p.tokens, "primary": p.primary, "steps": p.steps,
        "estimates": {m: {"total": flop_text(t), "low": flop_text(lo), "high": flop_text(hi), "description": d}
                      for m, (t, lo, hi, d) in p.estimates.items()},
        "wall_clock_hours": clean(p.wall_hours), "accelerator_hours": clean(p.accelerator_hours),
        "start": p.start, "end": p.end, "recomputed_flop": None if p.recomputed is None else flop_text(p.recomputed),
        **({"bound": "upper"} if p.upper_bound else {})}


def hardware_row(p: CountedPhase) -> dict[str, Any] | None:
    """A counted phase's hardware: the table's name and dense peak at the precision used
    for a table accelerator, or the device the monitor detected (no peak, no band)."""
    if not counted(p.kind):
        return None
    if p.accelerator:
        acc = find_accelerator(p.accelerator)
        precision = p.precision or assumptions.DEFAULT_PRECISION
        peak_flops = acc.peak.get(precision)
        return {"phase": p.name, "accelerator": acc.id, "name": acc.name, "devices": p.devices,
                "precision": precision, **({"peak_flops": peak_flops} if peak_flops else {}),
                "utilization": list(p.utilization) if p.utilization else [],
                **({"utilization_source": p.utilization_source} if p.utilization_source else {}),
                "accelerator_hours": clean(p.accelerator_hours)}
    if p.hardware:  # detected, not in the accelerator table (a CPU run)
        return {"phase": p.name, "accelerator": p.hardware.get("device", "unknown"),
                "name": p.hardware.get("name", "unknown"), "devices": p.devices,
                "precision": p.hardware.get("precision") or "unknown", "accelerator_hours": clean(p.accelerator_hours)}
    return None


def sums(phase_rows: list[dict]) -> dict[str, list[int]]:
    """(total, low, high) of the primary estimates counted in training and in cumulative."""
    out = {q: [0, 0, 0] for q in ("training", "cumulative")}
    for p in phase_rows:
        e = p["estimates"][p["primary"]]
        for q in out:
            if COUNTS_IN[q](PHASE_KINDS[p["kind"]]):
                out[q] = [a + int(e[k]) for a, k in zip(out[q], QUANTITIES)]
    return out


def _interval(values: list[int]) -> dict[str, str]:
    return {**{k: flop_text(v) for k, v in zip(QUANTITIES, values)}, "notified_form": sig2(values[0])}


def totals(phase_rows: list[dict], base_compute: int) -> dict[str, dict]:
    """Training, cumulative and lineage-cumulative compute (the base model's known compute
    added: its weights initialise this one, Guidelines Annex A.1), with notified forms."""
    s = sums(phase_rows)
    return {"training": _interval(s["training"]), "cumulative": _interval(s["cumulative"]),
            "lineage_cumulative": _interval([v + base_compute for v in s["cumulative"]])}


def training_time(phase_rows: list[dict]) -> dict[str, Any]:
    """Hours and dates over the phases that count in a total."""
    rows = [p for p in phase_rows if counted(p["kind"])]
    wall = [p["wall_clock_hours"] for p in rows if p.get("wall_clock_hours") is not None]
    accel = [p["accelerator_hours"] for p in rows if p.get("accelerator_hours") is not None]
    return {"wall_clock_hours": clean(sum(wall)) if wall else None,
            "accelerator_hours": clean(sum(accel)) if accel else None,
            "start": min((p["start"] for p in rows if p.get("start")), default=None),
            "end": max((p["end"] for p in rows if p.get("end")), default=None)}


def no_peak(hardware: dict) -> str:
    """Why the hardware method has no figure for a record's hardware row (a CPU, a GPU
    missing from the accelerator table, or a precision the table has no peak for)."""
    name = hardware.get("name")
    named = f" ({name})" if name and name not in ("unknown", hardware["accelerator"]) else ""
    return (f"not available: no peak for {hardware['accelerator']}{named} at {hardware['precision']} "
            "in the accelerator table")


def methods(phase_rows: list[dict], hardware: list[dict]) -> list[dict[str, str]]:
    """The methods the phases were counted by; the hardware method also where a device ran
    without a peak in the table, saying that it has no figure and why."""
    used = [{"id": m, "description": METHOD_TEXT[m]} for m in PRIMARY if any(m in p["estimates"] for p in phase_rows)]
    missing = [no_peak(h) for h in hardware if "peak_flops" not in h]
    if missing and not any(m["id"] == "hardware" for m in used):
        used.append({"id": "hardware", "description": "; ".join(dict.fromkeys(missing)) + ". "
                     + METHOD_TEXT["hardware"]})
    return used


Meter = tuple[float, "str | None", "float | None"]  # a ledger phase's energy: joules, how read, kg CO2eq


def _phase_energy(p: dict, h: dict | None, meter: Meter | None) -> tuple[str, list[float] | None, str] | None:
    """One counted phase's energy: (method, kWh triple or None, note), or None to say nothing."""
    if meter is not None:
        joules, how, emissions = meter
        kwh = joules / JOULES_PER_KWH
        if (how or "NVML").startswith("NVML"):
            return "measured", [kwh] * 3, f"{p['name']}: measured with NVML energy counters ({kwh:,.1f} kWh, GPU boards only)"
        emitted = f", {emissions:.3g} kg CO2eq" if emissions is not None else ""
        return "estimated", [kwh] * 3, f"{p['name']}: {how}: {kwh:,.4g} kWh{emitted}"
    table = h is not None and "utilization" in h
    if table and h["accelerator_hours"]:
        acc = find_accelerator(h["accelerator"])
        est = estimate_kwh(acc, h["accelerator_hours"])
        if est is None:
            return "unknown", None, f"{p['name']}: board power of {acc.id} unknown; not estimated"
        return "estimated", list(est), (f"{p['name']}: {h['accelerator_hours']:,.0f} accelerator-hours × board power "
                                        f"{acc.power_w:g} W × PUE {assumptions.PUE_SOURCE}")
    if not PHASE_KINDS[p["kind"]].cumulative:
        return None
    if h is not None and not table:
        return "unknown", None, (f"{p['name']}: ran on {h['accelerator']} ({h['name']}), which the accelerator table "
                                 "has no board power for, and no energy counter was read; energy not estimated")
    return "unknown", None, f"{p['name']}: no accelerator time recorded; energy not estimated"


def energy(phase_rows: list[dict], hardware: list[dict], meters: dict[str, Meter]) -> dict[str, Any]:
    """kWh (total, low, high) over the counted phases: a ledger's energy counter where it
    read one, else accelerator-hours × board power × PUE, else unknown (said per phase)."""
    rows = {h["phase"]: h for h in hardware}
    total, kinds, notes = [0.0, 0.0, 0.0], set(), []
    uncounted = [p for p in phase_rows if not counted(p["kind"])]
    if uncounted:
        notes.append("not included (their compute counts in no total, Guidelines Annex A.1): " +
                     ", ".join(f"{p['name']} ({p['kind']})" for p in uncounted))
    for p in phase_rows:
        found = _phase_energy(p, rows.get(p["name"]), meters.get(p["name"])) if counted(p["kind"]) else None
        if found is None:
            continue
        method, kwh, note = found
        kinds.add(method)
        notes.append(note)
        if kwh is not None:
            total = [a + b for a, b in zip(total, kwh)]
    method = "measured" if kinds == {"measured"} else ("unknown" if not kinds - {"unknown"} else "estimated")
    kwh = None if total == [0.0, 0.0, 0.0] else {k: clean(v) for k, v in zip(QUANTITIES, total)}
    if "unknown" in kinds and kwh is not None:
        notes.append("partial: phases marked unknown are not included")
    return {"kwh": kwh, "method": method, "assumptions": notes}


def parameters(spec: ModelSpec | None, counted: dict | None) -> dict | None:
    """The record's parameter counts: from the model spec (plan), else as the monitor
    counted them from the model's tensors (ledger: total only; the per-token active count
    of an MoE is not known there)."""
    if spec is not None:
        params = count_parameters(spec)
        return {"total": params.total, "active": params.active, "embedding": params.embedding,
                "notified_form": sig2(params.total), "source": "model spec"}
    if counted and isinstance(counted.get("total"), int):
        return {"total": counted["total"], "active": None, "embedding": None, "notified_form": sig2(counted["total"]),
                "source": counted.get("source") or "counted from the model's tensors (ledger)"}
    return None


def inference(spec: ModelSpec | None, tokens: int | None, attention: str | None,
              flop: int | None = None) -> dict | None:
    """The form's benchmarked inference answer for the model at `tokens` (a fixed-length
    model's own length): generation with a KV cache for a causal model, one forward pass
    at the `attention` convention otherwise (`flop` as stated where the convention is not
    known: a record does not store it)."""
    if spec is None:
        return None
    tokens = spec.fixed_seq_len or tokens
    if spec.causal:
        flop = generation_flops(spec, tokens)
    elif attention is not None:
        flop = forward_flops(spec, tokens, attention).total
    return documentation.inference(flop, tokens, spec.causal)
