"""A monitor's ledger writes: rank 0 holds the connection and appends the rows; every rank
keeps where the last write ended, and what the next rows carry beside their counts (the
method, the notes, energy, the rerun mark).

A write that fails raises here and changes nothing: the monitor keeps the steps pending
and says so (a warning), and the next write appends them (nothing is dropped)."""
from __future__ import annotations

from pathlib import Path

from ..ledger import Ledger, load_key
from . import history
from .metrics import Peaks
from .options import MonitorOptions
from .reduction import Reduction
from .rows import EnergyMeter, row_extra, rows
from .totals import Totals


class LedgerWriter:
    """Appends a monitor's rows: plain data until a ledger is opened (picklable)."""

    def __init__(self, ledger: Ledger | None, now: float, meter: EnergyMeter | None) -> None:
        self.ledger = ledger                 # opened at the monitor's start(), on rank 0 only
        self.last_step, self.last_time = 0, now  # where the last write ended
        self.meter = meter
        self.method = "measured"
        self.notes: list[str] = []           # for the next row
        self.rerun_until = -1                # steps before this re-run steps a resume superseded
        self.writing = False                 # a write is under way (a signal then waits for it)
        self.peaks = Peaks()                 # the rows' MFU

    def open(self, target: str | Path | Ledger | None, key_file: str | Path | None) -> None:
        if self.ledger is None and target is not None:
            self.ledger = Ledger(target, key=load_key(key_file))

    def is_open(self) -> bool:
        return self.ledger is not None

    def busy(self) -> bool:
        return self.writing

    def other_runs(self, opts: MonitorOptions) -> Totals:
        """Other runs of this model in the ledger (`history.other_runs`), where it is read."""
        if opts.include_ledger_history and self.ledger is not None:
            return history.other_runs(self.ledger, opts.model, opts.run)
        return Totals()

    def shared_history(self, opts: MonitorOptions, rank: int, world: int, device: object) -> Totals:
        """Other runs of this model as rank 0 reads them, shared with every rank
        (collective under torch.distributed: at start and load_state_dict only)."""
        return history.shared(self.other_runs(opts) if rank == 0 else Totals(), world, device)

    def due(self, step_index: int, now: float, every: int, seconds: float | None) -> bool:
        """`every` steps, or `seconds`, since the last write."""
        due = step_index - self.last_step >= every
        if not due and seconds is not None:
            due = now - self.last_time >= seconds
        return due

    def flush(self, opts: MonitorOptions, sums: Reduction, step_index: int, rank: int, world: int, *,
              settle: bool) -> bool:
        """Write what is summed (with `settle`, every sum in flight read first): rank 0
        appends the rows, every rank counts it written. False, and nothing done, while a
        write is under way."""
        if self.writing:
            return False
        self.writing = True
        try:
            if settle:
                sums.settle()
            delta, now, end = sums.pending, opts.clock(), step_index - sums.steps_in_flight()
            if rank == 0:
                self.append(opts, delta, end, now, world)
            sums.wrote()
            self.last_step, self.last_time = end, now
            if self.ledger is not None and rank == 0 and opts.include_ledger_history:
                sums.refresh(self.other_runs(opts), world)  # other runs of this model may be writing too
        finally:
            self.writing = False
        return True

    def append(self, opts: MonitorOptions, delta: Totals, end: int, now: float, world: int) -> None:
        """The rows for steps [last write, end), with the notes gathered since (none to
        write: no ledger, or no step since)."""
        start = self.last_step
        if self.ledger is None or end <= start:
            return
        wall, devices = now - self.last_time, world * opts.devices_per_process
        extra = row_extra(base_training_compute=opts.base_training_compute,
                          base_systemic_risk=opts.base_systemic_risk, method=self.method, hardware=opts.hardware,
                          parameters=opts.parameters, notes=self.notes, work=delta.work, wall=wall,
                          devices=devices, peak=self.peaks.of(opts), meter=self.meter, world=world)
        ident = dict(run=opts.run, model=opts.model, phase=opts.phase, phase_kind=opts.kind.id,
                     accelerator=opts.accelerator)
        for row in rows(ident, delta, self.method, start=start, end=end, now=now, wall=wall, devices=devices,
                        rerun=start < self.rerun_until, extra=extra):
            self.ledger.append(row)
        self.notes = []

    def resume(self, opts: MonitorOptions, step: int, now: float, rank: int) -> None:
        """Resuming at `step`: the next write starts there; on rank 0, this run's rows past
        it are superseded (`history.mark_resumed`) and the rows that re-cover them flagged `rerun`."""
        self.last_step, self.last_time = step, now
        if self.ledger is None or rank != 0:
            return
        last = history.mark_resumed(self.ledger, run=opts.run, model=opts.model, phase=opts.phase,
                                    phase_kind=opts.kind.id, step=step)
        if last is not None:
            self.rerun_until = last

    def close(self, owned: bool) -> None:
        """Close the connection if the monitor opened it (not one it was given)."""
        if self.ledger is not None and owned:
            self.ledger.close()
            self.ledger = None
