"""ComputeMonitor: cumulative compute of a training run, threshold warnings ahead of
time, and a durable ledger. Framework-free: adapters in `flopcount.callbacks` feed it.
The façade: each part lives in its own module of `flopcount.run` (see the package).

Training compute (work that updates parameters: GPAI criterion, one-third rule) and
cumulative compute (also e.g. non-public synthetic data, plus a base model's compute:
systemic risk) are kept apart, as the Commission Guidelines (Annex A.1) do; evaluation is
recorded and counted in neither. After every step the lines are checked (`run.watch`):
"projected" (Art. 52(1): known it will be met), "crossed", and "stop" (with `stop_on`:
`should_stop` set, and `ThresholdStop` raised unless `raise_on_stop=False`, before the step
that would cross). Each fires once, through `warnings`, `logging` and `handlers`.

Under torch.distributed the one collective is in `end_step()` (and `start()`, `sync()`,
`load_state_dict()`): every rank reaches it, and every rank takes the same stop decision
(`run.reduction`). The rest may be called on one rank alone; only rank 0 writes the ledger.

Never fatal: a periodic ledger write that fails is a warning and is retried at the next
flush (nothing is dropped); what the meter could not count arrives as notes, written with
the next row. SIGTERM/SIGINT and exit write what is pending (`handle_signals`).
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any, Iterable

from ..data.thresholds import Threshold
from ..ledger import Ledger
from . import check, watch
from .collective import distributed, group_device
from .events import ThresholdEvent, ThresholdStop, user_stacklevel
from .metrics import Mark, Metrics
from .options import SUM_LAG, MonitorOptions, check_record, described  # noqa: F401 (SUM_LAG: its old path)
from .reduction import Reduction
from .rows import EnergyMeter
from .signals import SignalGuard
from .totals import Totals, add_work, quantities, restored
from .writer import LedgerWriter

log = logging.getLogger("flopcount")


@dataclass
class ComputeMonitor(MonitorOptions):
    """Keeps a run's compute and checks it against the thresholds after every step.

    Takes the settings of `run.options.MonitorOptions` as its arguments (`model` first)."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the phase kind, checked
        # Rank, world size, the ledger connection and the ledger's history are resolved at
        # start(): training frameworks create the process group after their callbacks, and
        # only rank 0 may open the ledger. Until then the monitor is plain, picklable data.
        self.rank, self.world = 0, 1
        self._resolved = self._started = False
        self._device: Any = None             # the collectives' device, set by _resolve()
        self.step_index = 0                  # completed steps
        self.current = Totals()              # this rank, the step in progress
        self._sums = Reduction()             # summed across ranks: written, pending, in flight; other runs
        self._fired: set[tuple[str, str]] = set()
        self.should_stop = False
        self.events: list[ThresholdEvent] = []
        self._t0 = self.clock()
        meter = EnergyMeter(self.energy) if self.energy else None
        self._writer = LedgerWriter(self.ledger if isinstance(self.ledger, Ledger) else None, self._t0, meter)
        self._step_seconds = 0.0
        self._metrics = Metrics(Mark(self._t0, 0, meter.joules if meter else None, 0))
        self._signals = SignalGuard(self.flush, self._writer.busy, self._writer.is_open)  # bound: picklable

    def _resolve(self) -> None:
        """Bind to the process group (if any) and, on rank 0, open the ledger and read
        this model's earlier runs from it. Idempotent; collective under torch.distributed."""
        if self._resolved:
            return
        self._resolved = True
        self.rank, self.world = distributed()
        self._device = group_device() if self.world > 1 else None  # once: the backend does not change
        if self.rank == 0:
            self._writer.open(self.ledger, self.key_file)
        self._sums.history = self._writer.shared_history(self, self.rank, self.world, self._device)

    @property
    def flushed(self) -> Totals:
        """Exact, all ranks, as written to the ledger."""
        return self._sums.flushed

    @property
    def pending(self) -> Totals:
        """Summed across ranks, not yet written."""
        return self._sums.pending

    @property
    def _inflight(self) -> Any:
        return self._sums.inflight

    @property
    def running(self) -> bool:
        """Started and bound to its process group (so `state_dict()` may write)."""
        return self._started and self._resolved

    def describe(self, model: Any, precision: str | None = None) -> None:
        """Record what the run trains on, found from the model (adapters call this): the
        device and its name, the precision (the framework's setting, else the weights'
        dtype) and the parameter count. Values given to the monitor are kept."""
        self.hardware, self.parameters, self.accelerator = described(model, precision, self.hardware,
                                                                     self.parameters, self.accelerator)

    # -- feeding ------------------------------------------------------------------------
    def record(self, flops: int, *, tokens: int = 0, kind: str = "train", recomputed: int = 0,
               method: str = "measured", notes: Iterable[str] = ()) -> None:
        """Add work to the step in progress (call per micro-batch, then `end_step`);
        `notes` (what could not be counted, and why) go with the next ledger row."""
        check_record(flops, tokens, recomputed, kind)
        if not self._started:
            self.start()
        self._writer.notes.extend(notes)
        self._writer.method = method
        add_work(self.current, self.kind, flops, tokens, recomputed, evaluation=kind == "eval")

    def note(self, text: str) -> None:
        """A note for the next ledger row (rank 0's notes are the ones written)."""
        self._writer.notes.append(text)

    def end_step(self) -> list[ThresholdEvent]:
        """Close the step: advance the count, check thresholds, flush when due."""
        if not self._started:
            self.start()
        now, step = self.clock(), self.step_index
        self._sum(step=True, keep=self.sum_lag)
        self.step_index += 1
        self._step_seconds = (now - self._t0) / self.step_index
        if self._writer.due(self.step_index, now, self.flush_every, self.flush_seconds):
            # before the check: it re-reads what other runs have written
            try:
                self._flush(settle=False)
            except Exception as error:  # never fatal: the steps stay pending, written at the next flush
                message = f"flopcount: the ledger could not be written ({error!r}); the steps are kept and retried"
                warnings.warn(message, RuntimeWarning, stacklevel=user_stacklevel())
                log.warning(message)
        fired = self._check(step, now)
        if self.should_stop and self.raise_on_stop:
            raise ThresholdStop(fired[-1].message if fired else "a threshold in stop_on would be crossed")
        return fired

    def step(self, flops: int, **kwargs: Any) -> list[ThresholdEvent]:
        self.record(flops, **kwargs)
        return self.end_step()

    def sync(self) -> None:
        """Sum the work recorded since the last sync across ranks into the run's totals,
        exactly, now. Collective under torch.distributed: call it on every rank after work
        recorded outside a step (an evaluation after the last step)."""
        self._sum(step=False, keep=0)

    def _sum(self, *, step: bool, keep: int) -> None:
        """Start this rank's work's sum across ranks; read every sum but the last `keep`."""
        self._resolve()
        self._sums.add(self.current, self._device, self.world, step=step, keep=keep)
        self.current = Totals()

    def _settled_steps(self) -> int:
        return self.step_index - self._sums.steps_in_flight()

    # -- totals -------------------------------------------------------------------------
    @property
    def training(self) -> int:
        self._sums.settle()
        return self._sums.totals().training

    @property
    def cumulative(self) -> int:
        self._sums.settle()
        return self._sums.totals().cumulative

    def quantities(self) -> dict[str, int]:
        """Training, cumulative and modification compute including earlier runs and the
        base model, exact. (Under torch.distributed, call `start()` on every rank first.)"""
        self._resolve()
        self._sums.settle()
        return self._quantities(self._sums.totals())

    def _quantities(self, run: Totals) -> dict[str, int]:
        return quantities(run, self._sums.history, self.prior_training, self.prior_cumulative,
                          self.base_training_compute)

    def thresholds(self) -> list[tuple[Threshold, int, str]]:
        """(threshold, line in FLOP, quantity) for every line that applies to this run."""
        return watch.lines(self.base_training_compute, self.base_systemic_risk, self.is_modification, self.lines)

    # -- warnings -----------------------------------------------------------------------
    def start(self) -> list[ThresholdEvent]:
        """Project the planned run before it begins (Art. 52(1): known in advance)."""
        self._started = True
        self._resolve()
        if self.handle_signals:
            self._signals.install()
        return self._check(None, self.clock())

    def _view(self, now: float) -> watch.View:
        """What this rank knows, the same on every rank (`check.view`)."""
        run, settled = self._sums.totals(), self._settled_steps()
        return check.view(self._quantities(run), check.rates(run, settled, self.kind, self.expected_flops_per_step),
                          step_index=self.step_index, settled=settled, planned_steps=self.planned_steps,
                          seconds_per_step=self._step_seconds or self.planned_seconds_per_step, now=now)

    def _check(self, step: int | None, now: float) -> list[ThresholdEvent]:
        """Runs on every rank with the same totals, so all ranks take the same stop
        decision; only rank 0 emits warnings and calls handlers."""
        self._resolve()
        events = watch.decide(self._view(now), self.thresholds(), self._fired, self.stop_on, step is not None,
                              self.is_modification)
        for event in events:
            self._fire(event)
        return events

    def _fire(self, event: ThresholdEvent) -> None:
        self._fired.add((event.threshold, event.kind))
        self.should_stop = self.should_stop or event.kind == "stop"
        self.events.append(event)
        if self.rank == 0:
            check.announce(event, self.handlers)

    # -- durability ---------------------------------------------------------------------
    def flush(self) -> None:
        """Append the steps summed since the last write to the ledger (rank 0 writes; no
        collective, so one rank may call it alone). Work recorded after the last
        `end_step()`/`sync()` is not included: it is not yet summed across ranks."""
        self._flush(settle=True)

    def _flush(self, *, settle: bool) -> None:
        if self._resolved and self._writer.flush(self, self._sums, self.step_index, self.rank, self.world,
                                                 settle=settle):
            self._signals.after_write()  # a signal that arrived mid-write

    def metrics(self, exact: bool = True) -> dict[str, float]:
        """What loggers show (`flopcount/...`): the totals, and since the last call the
        achieved MFU (where the accelerator's peak is known) and the joules per step (with
        an energy reader). `exact` reads the cross-rank sums in flight (call it at logging
        steps); `exact=False`, for a logger called every step, shows what is known without
        waiting: exact to the previous step under torch.distributed, exact alone."""
        if exact:
            self._sums.settle()
        self._resolve()
        run = self._sums.totals()
        q = self._quantities(run)
        now = Mark(self.clock(), run.work, self.energy() if self.energy else None, self._settled_steps())
        return self._metrics.read(q, run, now, self.world * self.devices_per_process, self)

    def close(self) -> None:
        """Write what is pending and release the ledger and signal handlers. Local: any
        rank may call it alone. Single process: unfinished work is summed first."""
        unsummed = any(self.current.as_list())
        if self._resolved and self.world == 1 and unsummed:
            self.sync()
        elif self.world > 1 and unsummed:
            log.warning("flopcount: work recorded after the last end_step() is not summed across ranks and is "
                        "not written; call monitor.sync() on every rank before close()")
        self.flush()
        self._signals.restore()
        self._writer.close(owned=not isinstance(self.ledger, Ledger))

    def __enter__(self) -> "ComputeMonitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- checkpoints --------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume without double counting. Writes first, so the
        ledger's rows end exactly at this checkpoint's step; local, so the usual
        `if rank == 0: torch.save(...)` cannot deadlock."""
        self.flush()  # reads the sums in flight: the totals below are exact to this step
        return {"version": 1, "run": self.run, "step": self.step_index, "totals": self.flushed.as_list(),
                "fired": sorted(list(k) for k in self._fired), "seconds": self.clock() - self._t0}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from a checkpoint. Ledger rows this run wrote after the checkpoint cover
        steps that will now run again: a "resume" row marks them superseded, and the rows
        that re-cover them are flagged `rerun`."""
        if state.get("version") != 1:
            raise ValueError(f"unknown monitor state version {state.get('version')!r}")
        self._sums.settle()  # sums started before the restore belong to the steps it replaces
        self.run, self.step_index = state["run"], int(state["step"])
        if self._resolved:
            # the restored run is no longer "earlier"
            self._sums.history = self._writer.shared_history(self, self.rank, self.world, self._device)
        self._resolve()
        self._sums.restore(restored(state["totals"], self.kind.training))
        self.current = Totals()
        self._fired = {tuple(k) for k in state["fired"]}
        self._started = True
        self._t0 = self.clock() - state.get("seconds", 0.0) if self.step_index else self.clock()
        self._writer.resume(self, self.step_index, self.clock(), self.rank)
