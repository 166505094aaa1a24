"""ComputeMonitor: cumulative compute of a training run, threshold warnings ahead of
time, and a durable ledger. Framework-free: adapters in `flopcount.callbacks` feed it.

Training compute (work that updates parameters: GPAI criterion, one-third rule) and
cumulative compute (also e.g. non-public synthetic data, plus a base model's compute:
systemic risk) are kept apart, as the Commission Guidelines (Annex A.1) do; evaluation is
recorded and counted in neither. After every step the lines are checked (`run.watch`):
"projected" (Art. 52(1): known it will be met), "crossed", and "stop" (with `stop_on`:
`should_stop` set, and `ThresholdStop` raised unless `raise_on_stop=False`, before the step
that would cross). Each fires once, through `warnings`, `logging` and `handlers`.

Under torch.distributed the one collective is in `end_step()` (and `start()`, `sync()`,
`load_state_dict()`), which every rank reaches: the step's work is summed across ranks
there, exactly, on the device the process group's backend takes. The sum is started at
step N and read at step N+1 (`sum_lag`): reading it waits only for the GPU work queued
before it, so no step drains the GPU's queue (`run.collective`). Each step's checks use
what is known — exact totals to step N−1 plus the per-step rate for step N — identically
on every rank, so every rank takes the same stop decision; a "crossed" event names the
exact step, one step later. Notification dates are days, so the lag (one step, seconds)
moves none. `training`, `cumulative`, `quantities()`, `metrics()`, `state_dict()`, `flush()`
and `close()` read every sum started, exactly; each may be called on one rank alone. Only
rank 0 writes the ledger.

Never fatal: a periodic ledger write that fails is a warning and is retried at the next
flush (nothing is dropped); what the meter could not count arrives as notes, written with
the next row. Each row carries the interval's MFU where the accelerator's peak is known.
SIGTERM/SIGINT and exit write what is pending (`handle_signals`, `run.signals`).
"""
from __future__ import annotations

import logging
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..data.phases import BY_ID as PHASE_KINDS, PhaseKind
from ..data.thresholds import Threshold
from ..ledger import Ledger, Row, load_key, process_tag
from ..ledger.summary import adds, summarise
from . import watch
from .collective import all_reduce_ints, distributed, group_device
from .events import ThresholdEvent, ThresholdStop, ThresholdWarning, user_stacklevel
from .reduction import Reduction
from .rows import EnergyMeter, mfu, rows
from .signals import SignalGuard
from .totals import Totals, restored

log = logging.getLogger("flopcount")

#: steps between starting a cross-rank sum and reading it (see the module docstring)
SUM_LAG = 1


@dataclass
class ComputeMonitor:
    """Keeps a run's compute and checks it against the thresholds after every step."""

    model: str
    phase: str = "pre-training"
    phase_kind: str | None = None          # a data.phases id; default: `phase` if it is one
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    ledger: str | Path | Ledger | None = None  # SQLite path or postgresql:// URL
    key_file: str | Path | None = None     # signs rows; default $FLOPCOUNT_LEDGER_KEY_FILE / _KEY
    planned_steps: int | None = None
    expected_flops_per_step: int | None = None  # for a projection before the first step
    planned_seconds_per_step: float | None = None
    prior_training: int = 0                # earlier phases of this model (plan or ledger)
    prior_cumulative: int = 0
    base_training_compute: int | None = None  # modification: the base model's compute
    base_systemic_risk: bool = False
    is_modification: bool = False
    lines: dict[str, int] = field(default_factory=dict)  # threshold id -> override (tests, delegated acts)
    handlers: list[Callable[[ThresholdEvent], Any]] = field(default_factory=list)
    stop_on: tuple[str, ...] = ()
    raise_on_stop: bool = True
    flush_every: int = 100                 # steps between ledger writes (rank 0; no collective)
    flush_seconds: float | None = 60.0     # also write after this long
    handle_signals: bool = True            # write pending steps on SIGTERM/SIGINT and at exit
    accelerator: str | None = None
    devices_per_process: int = 1
    clock: Callable[[], float] = time.time
    include_ledger_history: bool = True
    energy: Callable[[], float] | None = None  # cumulative joules (e.g. energy.nvml_energy_reader())
    hardware: dict[str, Any] | None = None  # {"device", "name", "accelerator", "precision"}: see describe()
    parameters: dict[str, int] | None = None  # {"total", "trainable"}: see describe()
    sum_lag: int = SUM_LAG                 # steps a cross-rank sum is in flight (0: read at once, a host sync)

    def __post_init__(self) -> None:
        kind_id = self.phase_kind or self.phase
        if kind_id not in PHASE_KINDS:
            raise ValueError(f"phase_kind must be one of {', '.join(PHASE_KINDS)}; got {kind_id!r}")
        self.kind: PhaseKind = PHASE_KINDS[kind_id]
        self.is_modification = self.is_modification or self.base_training_compute is not None
        # Rank, world size, the ledger connection and the ledger's history are resolved at
        # start(): training frameworks create the process group after their callbacks, and
        # only rank 0 may open the ledger. Until then the monitor is plain, picklable data.
        self._ledger: Ledger | None = self.ledger if isinstance(self.ledger, Ledger) else None
        self.rank, self.world = 0, 1
        self._resolved = self._started = self._flushing = False
        self._device: Any = None             # the collectives' device, set by _resolve()
        self.step_index = 0                  # completed steps
        self.flushed = Totals()              # exact, all ranks, as written to the ledger
        self.current = Totals()              # this rank, the step in progress
        self._sums = Reduction()             # summed across ranks since the last write; other runs
        self._fired: set[tuple[str, str]] = set()
        self.should_stop = False
        self.events: list[ThresholdEvent] = []
        self._t0 = self.clock()
        self._last_flush_time, self._last_flush_step = self._t0, 0
        self._meter = EnergyMeter(self.energy) if self.energy else None
        self._step_seconds = 0.0
        self._rerun_until = -1
        self._method = "measured"
        self._notes: list[str] = []          # for the next ledger row
        self._mark = (self._t0, 0, self._meter.joules if self._meter else None, 0)  # metrics(): last call
        self._signals = SignalGuard(self.flush, self._writing, self._ledger_open)  # bound methods: picklable

    def _writing(self) -> bool:
        return self._flushing

    def _ledger_open(self) -> bool:
        return self._ledger is not None

    def _resolve(self) -> None:
        """Bind to the process group (if any) and, on rank 0, open the ledger and read
        this model's earlier runs from it. Idempotent; collective under torch.distributed."""
        if self._resolved:
            return
        self._resolved = True
        self.rank, self.world = distributed()
        self._device = group_device() if self.world > 1 else None  # once: the backend does not change
        if self._ledger is None and self.ledger is not None and self.rank == 0:
            self._ledger = Ledger(self.ledger, key=load_key(self.key_file))
        self._sums.history = self._ledger_history()

    @property
    def pending(self) -> Totals:
        """Summed across ranks, not yet written."""
        return self._sums.pending

    @property
    def _inflight(self) -> Any:
        return self._sums.inflight

    def _ledger_history(self) -> Totals:
        """Other runs of this model as rank 0 reads them, shared with every rank
        (collective under torch.distributed: at start and load_state_dict only)."""
        history = self._read_history()
        if self.world > 1:  # every rank must take the same decisions: share rank 0's view
            history = Totals.of(all_reduce_ints(history.as_list(), self._device))
        return history

    def _read_history(self) -> Totals:
        """Other runs of this model in the ledger (not this run: it may be resuming), read
        on rank 0 — earlier runs, and runs on other clusters writing to it right now."""
        history = Totals()
        if self.include_ledger_history and self._ledger is not None and self.rank == 0:
            earlier = summarise(self._ledger.rows(model=self.model), exclude_run=self.run).get(self.model)
            if earlier is not None:
                history.training, history.cumulative = earlier.training, earlier.cumulative
        return history

    @property
    def running(self) -> bool:
        """Started and bound to its process group (so `state_dict()` may write)."""
        return self._started and self._resolved

    def describe(self, model: Any, precision: str | None = None) -> None:
        """Record what the run trains on, found from the model (adapters call this): the
        device and its name, the precision (the framework's setting, else the weights'
        dtype) and the parameter count. Values given to the monitor are kept."""
        from ..hardware.detect import describe, parameters
        if self.hardware is None:
            self.hardware = describe(model, precision)
        if self.parameters is None:
            self.parameters = parameters(model)
        if self.accelerator is None and self.hardware.get("accelerator"):
            self.accelerator = self.hardware["accelerator"]

    # -- feeding ------------------------------------------------------------------------
    def record(self, flops: int, *, tokens: int = 0, kind: str = "train", recomputed: int = 0,
               method: str = "measured", notes: Iterable[str] = ()) -> None:
        """Add work to the step in progress (call per micro-batch, then `end_step`);
        `notes` (what could not be counted, and why) go with the next ledger row."""
        if flops < 0 or tokens < 0 or recomputed < 0:
            raise ValueError(f"counts must be non-negative: flops={flops}, tokens={tokens}, recomputed={recomputed}")
        if kind not in ("train", "eval"):
            raise ValueError(f"kind must be 'train' or 'eval', got {kind!r}")
        if not self._started:
            self.start()
        self._notes.extend(notes)
        self._method = method
        c = self.current
        if kind == "eval":
            c.eval += int(flops)
            c.eval_tokens += int(tokens)
            return
        more = adds(self.kind, int(flops))
        c.work += int(flops)   # what ran: the ledger row stores it, whatever total it counts toward
        c.training += more["training"]
        c.cumulative += more["cumulative"]
        c.recomputed += int(recomputed)
        c.tokens += int(tokens)

    def note(self, text: str) -> None:
        """A note for the next ledger row (rank 0's notes are the ones written)."""
        self._notes.append(text)

    def end_step(self) -> list[ThresholdEvent]:
        """Close the step: advance the count, check thresholds, flush when due."""
        if not self._started:
            self.start()
        now, step = self.clock(), self.step_index
        self._sum(step=True, keep=self.sum_lag)
        self.step_index += 1
        self._step_seconds = (now - self._t0) / self.step_index
        due = self.step_index - self._last_flush_step >= self.flush_every
        if not due and self.flush_seconds is not None:
            due = now - self._last_flush_time >= self.flush_seconds
        if due:  # before the check: it re-reads what other runs have written
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

    def _settle(self, keep: int = 0) -> None:
        self._sums.settle(keep)

    def _settled_steps(self) -> int:
        return self.step_index - self._sums.steps_in_flight()

    # -- totals -------------------------------------------------------------------------
    def _run_totals(self) -> Totals:
        """This run's totals over all ranks, exact: written plus summed-but-unwritten."""
        return self.flushed.plus(self.pending)

    @property
    def training(self) -> int:
        self._settle()
        return self._run_totals().training

    @property
    def cumulative(self) -> int:
        self._settle()
        return self._run_totals().cumulative

    def quantities(self) -> dict[str, int]:
        """Training, cumulative and modification compute including earlier runs and the
        base model, exact. (Under torch.distributed, call `start()` on every rank first.)"""
        self._resolve()
        self._settle()
        return self._quantities(self._run_totals())

    def _quantities(self, run: Totals) -> dict[str, int]:
        base = self.base_training_compute or 0
        history = self._sums.history
        training = self.prior_training + history.training + run.training
        return {"training": training, "cumulative": self.prior_cumulative + history.cumulative + run.cumulative
                + base, "modification": training, "training_lineage": training + base}

    def _per_step(self) -> dict[str, float]:
        run, steps = self._run_totals(), self._settled_steps()
        if steps:
            t = run.training / steps
            return {"training": t, "cumulative": run.cumulative / steps, "modification": t, "training_lineage": t}
        return {q: float(v) for q, v in adds(self.kind, self.expected_flops_per_step or 0).items()}

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
        """What this rank knows, the same on every rank: exact to the last sum read, plus
        the per-step rate for each step whose sum is in flight."""
        run, rates = self._run_totals(), self._per_step()
        exact, ahead = self._quantities(run), self.step_index - self._settled_steps()
        return watch.View({q: v + rates[q] * ahead for q, v in exact.items()}, exact, rates, self.step_index,
                          self._settled_steps() - 1, self.planned_steps,
                          self._step_seconds or self.planned_seconds_per_step, now)

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
        if self.rank == 0:  # one warning, attributed to the user's line that ran the step
            warnings.warn(event.message, ThresholdWarning, stacklevel=user_stacklevel())
            log.info(event.message)  # INFO: Python's last-resort handler does not print it twice
            for handler in self.handlers:
                handler(event)

    # -- durability ---------------------------------------------------------------------
    def flush(self) -> None:
        """Append the steps summed since the last write to the ledger (rank 0 writes; no
        collective, so one rank may call it alone). Work recorded after the last
        `end_step()`/`sync()` is not included: it is not yet summed across ranks."""
        self._flush(settle=True)

    def _flush(self, *, settle: bool) -> None:
        if not self._resolved or self._flushing:
            return
        self._flushing = True
        try:
            if settle:
                self._settle()
            self._write()
        finally:
            self._flushing = False
        self._signals.after_write()  # a signal that arrived mid-write

    def _write(self) -> None:
        delta, now = self.pending, self.clock()
        start, end = self._last_flush_step, self._settled_steps()
        if self._ledger is not None and self.rank == 0 and end > start:
            wall, devices = now - self._last_flush_time, self.world * self.devices_per_process
            extra: dict[str, Any] = {"base_training_compute": self.base_training_compute,
                                     "base_systemic_risk": self.base_systemic_risk, "writer": process_tag(),
                                     "method": self._method}
            extra |= {k: v for k, v in (("hardware", self.hardware), ("parameters", self.parameters),
                                        ("notes", list(self._notes) or None)) if v is not None}
            extra |= mfu(delta.work, wall, devices, self._peak())
            if self._meter is not None:
                extra |= self._meter.extra(self.world)
            ident = dict(run=self.run, model=self.model, phase=self.phase, phase_kind=self.kind.id,
                         accelerator=self.accelerator)
            for row in rows(ident, delta, self._method, start=start, end=end, now=now, wall=wall, devices=devices,
                            rerun=start < self._rerun_until, extra=extra):
                self._ledger.append(row)
            self._notes = []
        self.flushed = self.flushed.plus(self._sums.take_pending())
        self._last_flush_step, self._last_flush_time = end, now
        if self._ledger is not None and self.rank == 0 and self.include_ledger_history:
            fresh = self._read_history()  # other runs of this model may be writing too
            if self.world == 1:
                self._sums.history = fresh
            else:                         # shared with every rank at the next step's sum
                self._sums.fresh = fresh

    def _peak(self) -> float | None:
        """Dense peak FLOP/s of one device at the run's precision, where the table has it."""
        precision = (self.hardware or {}).get("precision")
        if not self.accelerator or not precision:
            return None
        key = (self.accelerator, precision)  # looked up once: metrics() may run every step
        if getattr(self, "_peak_of", (None,))[0] != key:
            from ..hardware.accelerators import find_accelerator, peak
            try:
                found = peak(find_accelerator(self.accelerator), precision)
            except Exception:  # unknown accelerator or precision: no MFU, said by its absence
                found = None
            self._peak_of = (key, found)
        return self._peak_of[1]

    def metrics(self, exact: bool = True) -> dict[str, float]:
        """What loggers show (`flopcount/...`): the totals, and since the last call the
        achieved MFU (where the accelerator's peak is known) and the joules per step (with
        an energy reader). `exact` reads the cross-rank sums in flight (call it at logging
        steps); `exact=False`, for a logger called every step, shows what is known without
        waiting: exact to the previous step under torch.distributed, exact alone."""
        if exact:
            self._settle()
        self._resolve()
        run = self._run_totals()
        q = self._quantities(run)
        out = {"flopcount/training_flop": float(q["training"]), "flopcount/cumulative_flop": float(q["cumulative"]),
               "flopcount/run_training_flop": float(run.training)}
        now, joules, steps = self.clock(), (self.energy() if self.energy else None), self._settled_steps()
        then, before, joules_before, steps_before = self._mark
        out |= {f"flopcount/{k}": v for k, v in mfu(run.work - before, now - then,
                                                      self.world * self.devices_per_process, self._peak()).items()
                if k == "mfu" and run.work > before}
        if joules is not None and joules_before is not None and steps > steps_before:
            out["flopcount/joules_per_step"] = (joules - joules_before) / (steps - steps_before)
        self._mark = (now, run.work, joules, steps)
        return out

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
        if self._ledger is not None and not isinstance(self.ledger, Ledger):
            self._ledger.close()
            self._ledger = None

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
        self._settle()  # sums started before the restore belong to the steps it replaces
        self.run, self.step_index = state["run"], int(state["step"])
        if self._resolved:
            self._sums.history = self._ledger_history()  # the restored run is no longer "earlier"
        self._resolve()
        self.flushed, self.current = restored(state["totals"], self.kind.training), Totals()
        self._sums.take_pending()
        self._fired = {tuple(k) for k in state["fired"]}
        self._started = True
        self._last_flush_step = self.step_index
        self._t0 = self.clock() - state.get("seconds", 0.0) if self.step_index else self.clock()
        self._last_flush_time = self.clock()
        if self._ledger is not None and self.rank == 0:
            ahead = [r.step_end for r in self._ledger.rows(run=self.run) if r.row_kind != "resume"]
            last = max(ahead, default=self.step_index)
            if last > self.step_index:
                self._ledger.append(Row(run=self.run, model=self.model, phase=self.phase, phase_kind=self.kind.id,
                                        row_kind="resume", step_start=self.step_index, step_end=last,
                                        extra={"writer": process_tag()}))
                self._rerun_until = last
