"""The rows one ledger write appends, and what travels in their extra data.

A row stores what ran (`work`: FLOP whatever total the phase kind feeds; which total it
counts toward is decided when the ledger is read), the method that counted it, and what an
auditor needs beside it: the hardware and parameters found from the model, the achieved
utilisation (MFU) of the row's interval, energy read from the reader, and the notes of what
could not be counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..ledger import Row, process_tag
from .collective import local_world
from .totals import Totals


@dataclass
class EnergyMeter:
    """Energy (J) and emissions (kg) since the last row, from a cumulative reader; rank 0
    reads its own draw, scaled to the job: × ranks for a per-process reader (NVML: a
    rank's GPU), × nodes for a host-wide one (codecarbon)."""
    read: Callable[[], float]
    joules: float = 0.0
    emissions: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.joules = self.read()
        self.emissions = getattr(self.read, "emissions_kg", 0.0) or 0.0

    def extra(self, world: int) -> dict[str, Any]:
        joules = self.read()
        per_process = getattr(self.read, "per_process", True)
        scale = world if per_process else max(1, world // local_world())
        out: dict[str, Any] = {
            "energy_joules": (joules - self.joules) * scale,
            "energy_note": getattr(self.read, "note", "NVML, rank 0's GPUs")
            + (f" × {scale} {'ranks' if per_process else 'nodes'}" if scale > 1 else "")}
        emissions = getattr(self.read, "emissions_kg", None)
        if emissions is not None:
            out["emissions_kg"] = (emissions - self.emissions) * scale
            self.emissions = emissions
        self.joules = joules
        return out


def mfu(flops: int, seconds: float, devices: int, peak: float | None) -> dict[str, float]:
    """The interval's achieved utilisation: FLOP ÷ (seconds × devices × dense peak)."""
    if not peak or seconds <= 0 or devices <= 0:
        return {}
    return {"mfu": flops / (seconds * devices * peak), "mfu_peak_flops": peak}


def row_extra(*, base_training_compute: int | None, base_systemic_risk: bool, method: str,
              hardware: dict[str, Any] | None, parameters: dict[str, int] | None, notes: list[str], work: int,
              wall: float, devices: int, peak: float | None, meter: EnergyMeter | None,
              world: int) -> dict[str, Any]:
    """A row's extra data: the base model, the writer, the method, what was found from the
    model, the notes, the interval's MFU and energy."""
    extra: dict[str, Any] = {"base_training_compute": base_training_compute,
                             "base_systemic_risk": base_systemic_risk, "writer": process_tag(), "method": method}
    extra |= {k: v for k, v in (("hardware", hardware), ("parameters", parameters),
                                ("notes", list(notes) or None)) if v is not None}
    extra |= mfu(work, wall, devices, peak)
    if meter is not None:
        extra |= meter.extra(world)
    return extra


def rows(ident: dict[str, Any], delta: Totals, method: str, *, start: int, end: int, now: float, wall: float,
         devices: int, rerun: bool, extra: dict[str, Any]) -> list[Row]:
    """The training row for steps [start, end), and an evaluation row when there was any."""
    common = dict(ident, step_start=start, step_end=end, wall_seconds=wall, accelerator_seconds=wall * devices,
                  devices=devices, rerun=rerun, created_at=now, extra=extra)
    out = [Row(row_kind="train", flops_measured=delta.work if method == "measured" else None,
               flops_analytic=delta.work if method == "analytic" else None, flops_recomputed=delta.recomputed,
               tokens=delta.tokens, **common)]
    if delta.eval or delta.eval_tokens:
        out.append(Row(row_kind="eval", flops_measured=delta.eval, tokens=delta.eval_tokens,
                       **{**common, "wall_seconds": 0.0, "accelerator_seconds": 0.0}))
    return out
