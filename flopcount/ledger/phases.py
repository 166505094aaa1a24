"""A ledger's rows summed into phases as counted: what the measured method recorded, per
phase, with the hours, energy and MFU its rows carry (resumed steps counted once).

Shared by records (`flopcount.records`) and the ledger importer (`flopcount import
LEDGER`), which both read a ledger the same way; it sits with the ledger so neither has to
import the other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..boundary.errors import InputError
from . import Row, counted_rows
from .summary import run_steps

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
#: what a ledger's rows determine of a phase that also has plan estimates (`merge_ledger`)
LEDGER_FIELDS = ("steps", "wall_hours", "accelerator_hours", "recomputed", "energy_joules", "rows", "start", "end",
                 "devices", "hardware", "energy_note", "emissions_kg")


@dataclass
class CountedPhase:
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


def clean(value: float | None) -> float | None:
    """Twelve significant figures: sums of many float rows carry binary artefacts
    (1320.7040000000002 kWh), far below what any hour or energy figure can claim."""
    return None if value is None else float(f"{value:.12g}")



def _add_row(p: CountedPhase, r: Row, info: dict[str, Any]) -> None:
    """One counted ledger row into its phase's sums (and what it says of the model)."""
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


def phases_from_ledger(rows: list[Row], source: str, model: str | None, preferred: str | None = None
                       ) -> tuple[list[CountedPhase], dict[str, Any]]:
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
    phases: dict[str, CountedPhase] = {}
    info: dict[str, Any] = {"model": model, "base": None, "base_systemic_risk": False, "parameters": None}
    for r in counted_rows([r for r in rows if r.model == model]):
        if r.row_kind == "eval":
            continue
        p = phases.setdefault(r.phase, CountedPhase(r.phase, r.phase_kind, tokens=0, steps=0, wall_hours=0.0,
                                                    accelerator_hours=0.0, recomputed=0))
        _add_row(p, r, info)
    for p in phases.values():
        p.steps = sum(run_steps(p.rows).values())
    return list(phases.values()), info
