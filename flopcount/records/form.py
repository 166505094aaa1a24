"""Answers to the Model Documentation Form's compute items, derived from a record.

Every derived answer is a pure function of figures the record already holds (hours,
totals, phases, energy): `form` is the one section builder, which `record --check`
calls again on the record's inputs; the inputs
the record cannot derive (release and EU market dates, modalities, model dependencies,
the inference task) are stored beside them as given. Conventions: 1 multiply-add = 2 FLOP;
training time counts the phases that count towards a compute total, as the totals do.
"""
from __future__ import annotations

from typing import Any

from ..data import assumptions
from ..data.documentation import DAYS_PER_MONTH, ENERGY_NOT_AVAILABLE, FORM, TRAINING_TIME_RANGES
from ..boundary.numbers import sig2, sig2_plain

INFERENCE_METHOD = ("Analytic count of the forward-pass matmuls (projections, MLP/experts, attention over the "
                    "cached positions, logits) for the stated task, 1 multiply-add = 2 FLOP; not a hardware "
                    "benchmark: no kernel, padding, batching or speculative-decoding effects.")


def time_range(days: float | None) -> str | None:
    """The form's range for national authorities ("<1 month", …) for a duration in days."""
    if days is None:
        return None
    months = days / DAYS_PER_MONTH
    for label, upper in TRAINING_TIME_RANGES:
        if upper is None or (months < upper if label.startswith("<") else months <= upper):
            return label
    raise AssertionError("TRAINING_TIME_RANGES must end with an open range")


def order_of_magnitude(flop: int) -> str:
    """10^k with 10^k <= flop < 10^(k+1), from the exact integer (no log of a float)."""
    return f"10^{len(str(flop)) - 1}" if flop > 0 else "0"


def _days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 2)


def uncertainty(record: dict[str, Any]) -> dict[str, Any]:
    """How far the training compute may be off, against the 30% of Guidelines Annex A.2:
    the widest interval of the figure used and the largest gap to another method, over
    the phases counted in training compute."""
    limit = assumptions.ACCEPTED_ERROR
    spread, gap, worst = 0.0, 0.0, None
    for p in record["phases"]:
        if not p["counts_in"]["training"]:
            continue
        used = p["estimates"][p["primary"]]
        total = int(used["total"])
        if not total:
            continue
        spread = max(spread, (int(used["high"]) - total) / total, (total - int(used["low"])) / total)
        for method, e in p["estimates"].items():
            diff = abs(int(e["total"]) - total) / total
            if method != p["primary"] and diff > gap:
                gap, worst = diff, f"{p['name']}: {method} vs {p['primary']}"
    within = spread <= limit and gap <= limit
    text = (f"interval of the figure used ±{spread:.0%}; largest difference between methods {gap:.0%}"
            + (f" ({worst})" if worst else "") + f"; {'within' if within else 'beyond'} the ±{limit:.0%} "
            "the Guidelines accept (Annex A.2)")
    return {"interval_relative": round(spread, 4), "methods_max_difference": round(gap, 4),
            "accepted": limit, "within_accepted": within, "statement": text}


def energy(record: dict[str, Any]) -> dict[str, Any]:
    e = record["energy"]
    if not e["kwh"]:
        reasons = [a for a in e["assumptions"] if "not estimated" in a or "unknown" in a]
        return {"mwh": ENERGY_NOT_AVAILABLE, "method": e["method"],
                "reason": "; ".join(reasons) or "no accelerator time or energy counter recorded"}
    return {"mwh": sig2_plain(e["kwh"]["total"] / 1000),
            "range_mwh": [sig2_plain(e["kwh"]["low"] / 1000), sig2_plain(e["kwh"]["high"] / 1000)],
            "method": e["method"], "reason": None}


def derive(record: dict[str, Any]) -> dict[str, Any]:
    """The form's answers that follow from the record's own figures."""
    tt, training = record["training_time"], record["totals"]["training"]
    wall = _days(tt["wall_clock_hours"])
    params = record["model"]["parameters"]
    return {
        "parameters": params["notified_form"] if params else None,
        "training_time": {"wall_clock_days": wall, "hardware_days": _days(tt["accelerator_hours"]),
                          "range": time_range(wall)},
        "compute": {"flop": sig2(int(training["total"])), "order_of_magnitude": order_of_magnitude(int(training["total"])),
                    "methods": sorted({p["primary"] for p in record["phases"] if p["counts_in"]["training"]}),
                    "uncertainty": uncertainty(record)},
        "energy": energy(record),
    }


def inference(flop: int, tokens: int, generates: bool) -> dict[str, Any]:
    """Benchmarked inference compute for one stated task: one sequence of `tokens`,
    generated with a KV cache (causal models) or read in one forward pass (encoders)."""
    task = (f"generate one {tokens:,}-token sequence (prompt and completion together, batch 1, KV cache, text only)"
            if generates else f"one forward pass over one {tokens:,}-position input (batch 1)")
    return {"task": task, "tokens": tokens, "flop": str(flop), "flop_per_token": sig2(flop / tokens),
            "method": INFERENCE_METHOD, "hardware": None}


def form(record: dict[str, Any], *, released: str | None, placed_on_market: str | None,
         modalities: list[str] | None, dependencies: list[str], inference_answer: dict | None) -> dict[str, Any]:
    """The record's `documentation_form` section: given inputs, then derived answers."""
    return {"source": FORM,
            "general": {"released": released, "placed_on_eu_market": placed_on_market, "modalities": modalities,
                        "dependencies": dependencies or "N/A"},
            **derive(record),
            "inference": inference_answer}


def check(record: dict[str, Any]) -> list[str]:
    """What the form's given answers must agree on with the record (its derived answers are
    re-derived with the rest of the record by `record --check`, through `form`)."""
    if record["lineage"]["is_modification"] and record["documentation_form"]["general"]["dependencies"] == "N/A":
        return ["documentation_form.general.dependencies is N/A but the record is of a modification"]
    return []
