"""ComputeMonitor: cumulative compute of a training run, threshold warnings ahead of
time, and a durable ledger. Framework-free: adapters in `flopcount.callbacks` feed it.

Two quantities are kept apart, as the Commission Guidelines (Annex A.1) do:
training compute (work that updates parameters; GPAI criterion and one-third rule) and
cumulative compute (also e.g. non-public synthetic data generation, plus the base model's
compute; systemic-risk presumption). Evaluation is recorded and counted in neither.

Warnings (Art. 52(1): notify within two weeks of the threshold being met *or of it
becoming known that it will be met*):
- "projected": from the planned steps and the per-step rate, the run will cross a line —
  fired at the first step (or `start()`), re-checked every step as the rate is measured;
- "crossed": the line was crossed during this exact step;
- "stop": a line in `stop_on` would be crossed by the next step: `should_stop` is set
  (and `ThresholdStop` raised unless `raise_on_stop=False`) before it happens.
Each (event, threshold) fires once, through `warnings`, `logging` and `handlers`.

Under torch.distributed the one collective is in `end_step()` (and `start()`, `sync()`,
`load_state_dict()`), which every rank reaches: the step's work is summed across ranks
there, exactly, on the device the process group's backend takes (CUDA for NCCL, CPU for
gloo). The sum is started at step N and read at step N+1 (`sum_lag`): reading it waits
only for the GPU work queued before it, so no step drains the GPU's queue. Each step's
checks use what is known — the exact totals to step N−1 plus the measured per-step rate
for step N — identically on every rank, so every rank takes the same stop decision; a
"crossed" event names the exact step, one step later. Notification dates are days, so
the lag (one step, seconds) moves none. Reading `training`, `cumulative`, `quantities()`,
`state_dict()`, `flush()` or `close()` reads every sum started, exactly; each may be
called on one rank alone: the collectives were started by every rank, nothing waits for
the others. Only rank 0 writes the ledger.

Never fatal: a ledger write that fails is a warning and is retried at the next flush
(nothing is dropped); what the meter could not count arrives as notes (`record(notes=)`,
`note()`), written with the next ledger row. The achieved utilisation (MFU: FLOP counted
÷ time ÷ devices ÷ the accelerator's dense peak at the run's precision) goes into each
ledger row and `metrics()`, where the accelerator's peak is in the table. SIGTERM/SIGINT and interpreter exit write what is pending
(`handle_signals`), then hand the signal to the handler that was there before.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import deque
import math
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .data.phases import BY_ID as PHASE_KINDS, PhaseKind
from .data.thresholds import THRESHOLDS, Threshold
from .ledger import Ledger, Row, counted_rows, load_key, process_tag
from .collective import PendingSum, all_reduce_ints, collective_device, group_device  # noqa: F401 (re-exported)
from .numbers import sig2
from .thresholds import line_int, modification_line

#: steps between starting a cross-rank sum and reading it (see the module docstring)
SUM_LAG = 1

log = logging.getLogger("flopcount")


class ThresholdWarning(UserWarning):
    """A compute threshold will be, or has been, crossed."""


class ThresholdStop(RuntimeError):
    """Raised when a threshold in `stop_on` is about to be crossed."""


@dataclass(frozen=True)
class ThresholdEvent:
    kind: str                   # "projected" | "crossed" | "stop"
    threshold: str
    line: int
    quantity: str
    step: int | None            # the (projected) crossing step, 0-based
    total: float                # projected final total, or the total after the step
    when: dt.datetime | None    # (projected) crossing time, when known
    notify_by: dt.date | None   # Art. 52(1) deadline, where the threshold has one
    message: str


@dataclass
class _Totals:
    training: int = 0
    cumulative: int = 0
    eval: int = 0
    recomputed: int = 0
    tokens: int = 0
    eval_tokens: int = 0
    work: int = 0          # every training-loop FLOP recorded, whatever total its phase kind feeds

    SIZE = 7               # fields, in as_list() order (sums across ranks, saved states)

    def as_list(self) -> list[int]:
        return [self.training, self.cumulative, self.eval, self.recomputed, self.tokens, self.eval_tokens, self.work]

    @classmethod
    def of(cls, values: Iterable[int]) -> "_Totals":
        return cls(*values)

    def plus(self, other: "_Totals", factor: int = 1) -> "_Totals":
        return _Totals.of(a + factor * b for a, b in zip(self.as_list(), other.as_list()))


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
        self._resolved = False
        self._device: Any = None             # the collectives' device, set by _resolve()
        self.step_index = 0                  # completed steps
        self.flushed = _Totals()             # exact, all ranks, as written to the ledger
        self.pending = _Totals()             # this rank, since the last flush
        self.current = _Totals()             # this rank, the step in progress
        self._fired: set[tuple[str, str]] = set()
        self._started = False
        self._t0 = self.clock()
        self._last_flush_time = self._t0
        self._last_flush_step = 0
        self._last_energy = self.energy() if self.energy else None
        self._last_emissions = getattr(self.energy, "emissions_kg", 0.0) or 0.0
        self._step_seconds = 0.0
        self._rerun_until = -1
        self._method = "measured"
        self.should_stop = False
        self.events: list[ThresholdEvent] = []
        self._history = _Totals()
        self._flushing = False
        self._fresh_history: _Totals | None = None
        self._deferred_signal: int | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._inflight: deque[tuple[PendingSum, bool]] = deque()  # (sum started, is a step)
        self._notes: list[str] = []          # for the next ledger row
        self._mark = (self._t0, 0, self._last_energy)  # metrics(): time, run FLOP, joules at the last call
        self._metric_steps = 0

    def _resolve(self) -> None:
        """Bind to the process group (if any) and, on rank 0, open the ledger and read
        this model's earlier runs from it. Idempotent; collective under torch.distributed."""
        if self._resolved:
            return
        self._resolved = True
        self.rank, self.world = _distributed()
        self._device = group_device() if self.world > 1 else None  # once: the backend does not change
        if self._ledger is None and self.ledger is not None and self.rank == 0:
            self._ledger = Ledger(self.ledger, key=load_key(self.key_file))
        self._history = self._ledger_history()

    def _ledger_history(self) -> _Totals:
        """Other runs of this model in the ledger, as rank 0 reads them, shared with every
        rank (collective under torch.distributed: at start and load_state_dict only)."""
        history = self._read_history()
        if self.world > 1:  # every rank must take the same decisions: share rank 0's view
            history = _Totals.of(all_reduce_ints(history.as_list(), self._device))
        return history

    def _read_history(self) -> _Totals:
        """Other runs of this model in the ledger (not this run: it may be resuming), read
        on rank 0 — earlier runs, and runs on other clusters writing to it right now."""
        history = _Totals()
        if self.include_ledger_history and self._ledger is not None and self.rank == 0:
            for r in counted_rows([r for r in self._ledger.rows(model=self.model) if r.run != self.run]):
                kind = PHASE_KINDS.get(r.phase_kind)
                if r.row_kind != "eval" and kind is not None:
                    history.training += r.flops if kind.training else 0
                    history.cumulative += r.flops if kind.cumulative else 0
        return history

    @property
    def running(self) -> bool:
        """Started and bound to its process group (so `state_dict()` may write)."""
        return self._started and self._resolved

    def describe(self, model: Any, precision: str | None = None) -> None:
        """Record what the run trains on, found from the model (adapters call this): the
        device and its name (accelerator id where the table has it; CPU labelled as
        such), the precision (`precision` from the framework's setting, else the weights'
        dtype) and the parameter count. Values given to the monitor are kept."""
        from .detect import describe, parameters
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
        if not self._started:
            self.start()
        self._notes.extend(notes)
        self._method = method
        c = self.current
        if kind == "eval":
            c.eval += int(flops)
            c.eval_tokens += int(tokens)
            return
        if kind != "train":
            raise ValueError(f"kind must be 'train' or 'eval', got {kind!r}")
        c.work += int(flops)   # what ran: the ledger row stores it, whatever total it counts toward
        c.training += int(flops) if self.kind.training else 0
        c.cumulative += int(flops) if self.kind.cumulative else 0
        c.recomputed += int(recomputed)
        c.tokens += int(tokens)

    def note(self, text: str) -> None:
        """A note for the next ledger row (rank 0's notes are the ones written)."""
        self._notes.append(text)

    def end_step(self) -> list[ThresholdEvent]:
        """Close the step: advance the count, check thresholds, flush when due."""
        if not self._started:
            self.start()
        now = self.clock()
        step = self.step_index
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
                warnings.warn(message, RuntimeWarning, stacklevel=_user_stacklevel())
                log.warning(message)
        fired = self._check(step, now)
        if self.should_stop and self.raise_on_stop:
            raise ThresholdStop(fired[-1].message if fired else "a threshold in stop_on would be crossed")
        return fired

    def sync(self) -> None:
        """Sum the work recorded since the last sync across ranks into the run's totals,
        exactly, now. Collective under torch.distributed: call it on every rank after work
        recorded outside a step (an evaluation after the last step)."""
        self._sum(step=False, keep=0)

    def _sum(self, *, step: bool, keep: int) -> None:
        """Start this rank's work's sum across ranks; read every sum but the last `keep`."""
        self._resolve()
        if self.world == 1:
            self.pending = self.pending.plus(self.current)
            self.current = _Totals()
            return
        fresh = self._fresh_history  # rank 0's fresh reading of other runs travels with the sum
        n = _Totals.SIZE
        values = self.current.as_list() + (fresh.as_list() if fresh else [0] * n) + [int(fresh is not None)]
        self._inflight.append((PendingSum(values, self._device), step))
        self._fresh_history, self.current = None, _Totals()
        self._settle(keep)

    def _settle(self, keep: int = 0) -> None:
        """Read the sums started, oldest first, until `keep` are left in flight."""
        while len(self._inflight) > keep:
            values = self._inflight.popleft()[0].result()
            n = _Totals.SIZE
            self.pending = self.pending.plus(_Totals.of(values[:n]))
            if values[2 * n]:
                self._history = _Totals.of(values[n:2 * n])

    def _settled_steps(self) -> int:
        return self.step_index - sum(1 for _, step in self._inflight if step)

    def step(self, flops: int, **kwargs: Any) -> list[ThresholdEvent]:
        self.record(flops, **kwargs)
        return self.end_step()

    # -- totals -------------------------------------------------------------------------
    def _run_totals(self) -> _Totals:
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

    def _known(self) -> dict[str, float]:
        """The quantities as a step's check knows them: exact to the last sum read, plus
        the per-step rate for each step whose sum is in flight (same on every rank)."""
        run, ahead = self._run_totals(), self.step_index - self._settled_steps()
        rates = self._per_step()
        values: dict[str, float] = dict(self._quantities(run))
        for q in values:
            values[q] += rates[q] * ahead
        return values

    def _quantities(self, run: _Totals) -> dict[str, int]:
        base = self.base_training_compute or 0
        training = self.prior_training + self._history.training + run.training
        return {"training": training, "cumulative": self.prior_cumulative + self._history.cumulative + run.cumulative
                + base, "modification": training, "training_lineage": training + base}

    def _per_step(self) -> dict[str, float]:
        run, steps = self._run_totals(), self._settled_steps()
        if steps:
            t = run.training / steps
            return {"training": t, "cumulative": run.cumulative / steps, "modification": t,
                    "training_lineage": t}
        e = self.expected_flops_per_step or 0
        t, c = (e if self.kind.training else 0), (e if self.kind.cumulative else 0)
        return {"training": t, "cumulative": c, "modification": t, "training_lineage": t}

    def thresholds(self) -> list[tuple[Threshold, int, str]]:
        """(threshold, line in FLOP, quantity) for every line that applies to this run.

        A modification of a systemic-risk model is presumed to have systemic risk once the
        modifier becomes its provider (Guidelines §3.2.2, ¶70): for such a run the
        systemic-risk row is the one-third line on the modification's compute."""
        out = []
        modification = line_int(modification_line(self.base_training_compute, self.base_systemic_risk)[0])
        for t in THRESHOLDS:
            line, quantity = t.flop, t.quantity
            if t.quantity == "modification":
                if not self.is_modification:
                    continue
                line = modification
            elif t.id == "eu-systemic-risk" and self.is_modification and self.base_systemic_risk:
                line, quantity = modification, "modification"
            out.append((t, self.lines.get(t.id, line), quantity))
        return out

    def _provider(self, values: dict[str, float], rates: dict[str, float],
                  line: int | None) -> tuple[bool, bool]:
        """(now, by the planned end): EU duties fall on a modifier only once it becomes the
        provider (§3.2, ¶62–63); `line` is the one-third line of `thresholds()`, overrides
        included. Computed once per check, not per threshold."""
        if not self.is_modification or line is None:
            return True, True
        now = values["modification"] > line
        if self.planned_steps is None:
            return now, now
        remaining = max(self.planned_steps - self.step_index, 0)
        return now, values["modification"] + rates["modification"] * remaining > line

    # -- warnings -----------------------------------------------------------------------
    def start(self) -> list[ThresholdEvent]:
        """Project the planned run before it begins (Art. 52(1): known in advance)."""
        self._started = True
        self._resolve()
        self._install_signals()
        return self._check(None, self.clock())

    def _check(self, step: int | None, now: float) -> list[ThresholdEvent]:
        """Runs on every rank with the same totals, so all ranks take the same stop
        decision; only rank 0 emits warnings and calls handlers."""
        fired = []
        self._resolve()
        values, rates = self._known(), self._per_step()
        exact = self._quantities(self._run_totals())  # "crossed" is said of exact totals only
        crossed_step = self._settled_steps() - 1
        today = dt.date.fromtimestamp(now)
        rows = self.thresholds()
        one_third = next((line for t, line, _ in rows if t.quantity == "modification"), None)
        provider_now, provider_later = self._provider(values, rates, one_third)
        for t, line, q in rows:
            value, rate = values[q], rates[q]
            eu = t.jurisdiction == "EU" and t.quantity != "modification"
            if eu and not (provider_now or provider_later):
                continue
            if step is not None and exact[q] > line and (t.id, "crossed") not in self._fired and \
                    (not eu or provider_now):
                when = dt.datetime.fromtimestamp(now)
                notify = today + dt.timedelta(days=t.notify_days) if t.notify_days else None
                fired.append(self._fire("crossed", t, line, q, crossed_step, exact[q], when, notify,
                                        f"{t.id}: {q} compute {sig2(exact[q])} FLOP crossed the line {sig2(line)} "
                                        f"at step {crossed_step}"))
            if value <= line and rate > 0:
                ahead = math.floor((line - value) / rate) + 1   # steps until the line is passed
                crossing = self.step_index + ahead - 1
                if self.planned_steps is not None and crossing < self.planned_steps and \
                        (t.id, "projected") not in self._fired:
                    final = value + rate * (self.planned_steps - self.step_index)
                    seconds = self._step_seconds or self.planned_seconds_per_step
                    when = dt.datetime.fromtimestamp(now + ahead * seconds) if seconds else None
                    notify = today + dt.timedelta(days=t.notify_days) if t.notify_days else None
                    text = (f"{t.id}: {q} compute is projected to reach {sig2(final)} FLOP by step "
                            f"{self.planned_steps}, crossing the line {sig2(line)} at step {crossing}"
                            + (f" (~{when:%Y-%m-%d})" if when else ""))
                    if notify:
                        text += f"; it is now known it will be met: notify by {notify} ({t.cite})"
                    fired.append(self._fire("projected", t, line, q, crossing, final, when, notify, text))
                if t.id in self.stop_on and ahead == 1 and (t.id, "stop") not in self._fired:
                    self.should_stop = True
                    fired.append(self._fire("stop", t, line, q, self.step_index, value + rate, None, None,
                                            f"{t.id}: stopping before step {self.step_index}, which would cross "
                                            f"the line {sig2(line)} (stop_on)"))
        return fired

    def _fire(self, kind: str, t: Threshold, line: int, q: str, step: int | None, total: float,
              when: dt.datetime | None, notify: dt.date | None, message: str) -> ThresholdEvent:
        self._fired.add((t.id, kind))
        event = ThresholdEvent(kind, t.id, line, q, step, total, when, notify, message)
        self.events.append(event)
        if self.rank == 0:  # one warning, attributed to the user's line that ran the step
            warnings.warn(message, ThresholdWarning, stacklevel=_user_stacklevel())
            log.info(message)  # for configured logs; INFO so Python's last-resort handler does not print it twice
            for handler in self.handlers:
                handler(event)
        return event

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
        if self._deferred_signal is not None:  # a signal arrived mid-write: handle it now
            signum, self._deferred_signal = self._deferred_signal, None
            self._on_signal(signum, None)

    def _write(self) -> None:
        delta = self.pending
        now = self.clock()
        start, end = self._last_flush_step, self._settled_steps()
        if self._ledger is not None and self.rank == 0 and end > start:
            wall = now - self._last_flush_time
            devices = self.world * self.devices_per_process
            extra = {"base_training_compute": self.base_training_compute, "base_systemic_risk":
                     self.base_systemic_risk, "writer": process_tag(), "method": self._method}
            if self.hardware is not None:
                extra["hardware"] = self.hardware
            if self.parameters is not None:
                extra["parameters"] = self.parameters
            if self._notes:
                extra["notes"] = list(self._notes)
            flops = delta.work  # what ran; which total it feeds is decided when the ledger is read
            peak = self._peak()
            if peak and wall > 0:  # achieved utilisation of the row's interval
                extra["mfu"] = flops / (wall * devices * peak)
                extra["mfu_peak_flops"] = peak
            if self.energy is not None:  # rank 0's reading, scaled: other ranks' draw is not read
                joules = self.energy()
                per_process = getattr(self.energy, "per_process", True)
                scale = self.world if per_process else max(1, self.world // _local_world())
                extra["energy_joules"] = (joules - self._last_energy) * scale
                extra["energy_note"] = (getattr(self.energy, "note", "NVML, rank 0's GPUs")
                                        + (f" × {scale} {'ranks' if per_process else 'nodes'}" if scale > 1 else ""))
                emissions = getattr(self.energy, "emissions_kg", None)
                if emissions is not None:
                    extra["emissions_kg"] = (emissions - self._last_emissions) * scale
                    self._last_emissions = emissions
                self._last_energy = joules
            common = dict(run=self.run, model=self.model, phase=self.phase, phase_kind=self.kind.id,
                          step_start=start, step_end=end, wall_seconds=wall, accelerator_seconds=wall * devices,
                          accelerator=self.accelerator, devices=devices, rerun=start < self._rerun_until,
                          created_at=now, extra=extra)
            measured = flops if self._method == "measured" else None
            analytic = flops if self._method == "analytic" else None
            self._ledger.append(Row(row_kind="train", flops_measured=measured, flops_analytic=analytic,
                                    flops_recomputed=delta.recomputed, tokens=delta.tokens, **common))
            if delta.eval or delta.eval_tokens:
                self._ledger.append(Row(row_kind="eval", flops_measured=delta.eval, tokens=delta.eval_tokens,
                                        **{**common, "wall_seconds": 0.0, "accelerator_seconds": 0.0}))
            self._notes = []
        self.flushed = self.flushed.plus(delta)
        self.pending = _Totals()
        self._last_flush_step, self._last_flush_time = end, now
        if self._ledger is not None and self.rank == 0 and self.include_ledger_history:
            fresh = self._read_history()  # other runs of this model may be writing too
            if self.world == 1:
                self._history = fresh
            else:                         # shared with every rank at the next step's sum
                self._fresh_history = fresh

    def _peak(self) -> float | None:
        """Dense peak FLOP/s of one device at the run's precision, where the table has it."""
        precision = (self.hardware or {}).get("precision")
        if not self.accelerator or not precision:
            return None
        from .hardware import find_accelerator, peak
        try:
            return peak(find_accelerator(self.accelerator), precision)
        except Exception:  # unknown accelerator or precision: no MFU, said by its absence
            return None

    def metrics(self, exact: bool = True) -> dict[str, float]:
        """What loggers show (`flopcount/...`): the totals, and since the last call the
        achieved MFU (where the accelerator's peak is known) and the joules per step (with
        an energy reader). `exact` reads the cross-rank sums in flight (call it at logging
        steps); `exact=False`, for a logger called every step, shows what is known without
        waiting: exact to the previous step under torch.distributed, exact alone."""
        if exact:
            self._settle()
        self._resolve()
        q = self._quantities(self._run_totals())
        run = self._run_totals()
        executed = run.work
        out = {"flopcount/training_flop": float(q["training"]), "flopcount/cumulative_flop": float(q["cumulative"]),
               "flopcount/run_training_flop": float(run.training)}
        now, joules = self.clock(), (self.energy() if self.energy else None)
        (then, before, joules_before), steps = self._mark, self._settled_steps()
        seconds, peak = now - then, self._peak()
        if peak and seconds > 0 and executed > before:
            out["flopcount/mfu"] = (executed - before) / (seconds * self.world * self.devices_per_process * peak)
        done = steps - self._metric_steps
        if joules is not None and joules_before is not None and done > 0:
            out["flopcount/joules_per_step"] = (joules - joules_before) / done
        self._mark, self._metric_steps = (now, executed, joules), steps
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
        self._restore_signals()
        if self._ledger is not None and not isinstance(self.ledger, Ledger):
            self._ledger.close()
            self._ledger = None

    def __enter__(self) -> "ComputeMonitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- pre-emption --------------------------------------------------------------------
    def _install_signals(self) -> None:
        """Chain onto SIGTERM/SIGINT (main thread only: Python's rule) and interpreter exit."""
        if not self.handle_signals or self._previous_handlers:
            return
        import atexit
        import signal
        import threading
        atexit.register(self._at_exit)
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous_handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        """Write the finished steps, then do what the previous handler would have done."""
        import os
        import signal
        if self._flushing:  # interrupted inside a write: finish it first (see flush)
            self._deferred_signal = signum
            return
        try:
            self.flush()
        except Exception:  # never let the flush stop the signal from doing its job
            log.exception("flopcount: could not write pending steps on signal %s", signum)
        previous = self._previous_handlers.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            self._restore_signals()
            os.kill(os.getpid(), signum)  # default action (terminate) with the handler gone

    def _restore_signals(self) -> None:
        import atexit
        import signal
        atexit.unregister(self._at_exit)  # a closed monitor must not be kept alive by atexit
        for signum, previous in self._previous_handlers.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, previous)
        self._previous_handlers.clear()

    def _at_exit(self) -> None:
        if self._ledger is not None:
            try:
                self.flush()
            except Exception:
                log.exception("flopcount: could not write pending steps at exit")

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
            self._history = self._ledger_history()  # the restored run is no longer "earlier"
        self._resolve()
        totals = [int(v) for v in state["totals"]]
        if len(totals) == _Totals.SIZE - 1:  # saved before `work` was kept: it was what the rows hold
            totals.append(totals[0] if self.kind.training else totals[1])
        self.flushed, self.pending, self.current = _Totals.of(totals), _Totals(), _Totals()
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


#: Packages whose frames a threshold warning skips to reach the user's training code.
_LIBRARY_PACKAGES = ("flopcount", "torch", "transformers", "accelerate", "lightning", "pytorch_lightning")


def _user_stacklevel() -> int:
    """The warnings stacklevel of the first frame outside flopcount and the training
    frameworks (the user's loop or `trainer.train()` line), counted from the warn() call."""
    import sys
    frame, level = sys._getframe(2), 2  # _fire's caller
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in _LIBRARY_PACKAGES:
            return level
        frame, level = frame.f_back, level + 1
    return 2


def _local_world() -> int:
    """Processes on this node (torchrun's LOCAL_WORLD_SIZE; 1 when not set)."""
    import os
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def _distributed() -> tuple[int, int]:
    """(rank, world size) when torch.distributed is initialised, else (0, 1)."""
    try:
        import torch.distributed as dist
    except ImportError:
        return 0, 1
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1
