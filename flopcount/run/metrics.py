"""What loggers show (`flopcount/...`): the totals, and since the last call the achieved
MFU (where the accelerator's dense peak is known) and the joules per step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .options import MonitorOptions
from .rows import mfu
from .totals import Totals


class Peaks:
    """Dense peak FLOP/s of one device at a precision, where the table has it; the last
    lookup is kept (metrics() may run every step). Plain data: picklable."""

    def __init__(self) -> None:
        self.last: tuple[Any, float | None] = (None, None)

    def of(self, opts: MonitorOptions) -> float | None:
        """For the run's accelerator at the precision `hardware` names."""
        accelerator, precision = opts.accelerator, (opts.hardware or {}).get("precision")
        if not accelerator or not precision:
            return None
        key = (accelerator, precision)
        if self.last[0] != key:
            from ..hardware.accelerators import find_accelerator, peak
            try:
                found = peak(find_accelerator(accelerator), precision)
            except Exception:  # unknown accelerator or precision: no MFU, said by its absence
                found = None
            self.last = (key, found)
        return self.last[1]


@dataclass(frozen=True)
class Mark:
    """Where the last `metrics()` call left off."""
    time: float
    work: int
    joules: float | None
    steps: int


class Metrics:
    """What `metrics()` keeps between calls: the last call's mark, the peak looked up."""

    def __init__(self, mark: Mark) -> None:
        self.mark = mark
        self.peaks = Peaks()

    def read(self, q: dict[str, int], run: Totals, now: Mark, devices: int, opts: MonitorOptions) -> dict[str, float]:
        out = logged(q, run, self.mark, now, devices, self.peaks.of(opts))
        self.mark = now
        return out


def logged(q: dict[str, int], run: Totals, mark: Mark, now: Mark, devices: int,
           peak: float | None) -> dict[str, float]:
    """The metrics at `now` (this call's mark), the rates since `mark`."""
    out = {"flopcount/training_flop": float(q["training"]), "flopcount/cumulative_flop": float(q["cumulative"]),
           "flopcount/run_training_flop": float(run.training)}
    out |= {f"flopcount/{k}": v for k, v in mfu(run.work - mark.work, now.time - mark.time, devices, peak).items()
            if k == "mfu" and run.work > mark.work}
    if now.joules is not None and mark.joules is not None and now.steps > mark.steps:
        out["flopcount/joules_per_step"] = (now.joules - mark.joules) / (now.steps - mark.steps)
    return out
