"""What a `ComputeMonitor` is given (its constructor's arguments), checked where it comes
in: the phase kind, the arguments of `record()`, and what `describe()` finds from the model."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..data.phases import BY_ID as PHASE_KINDS, PhaseKind
from ..ledger import Ledger
from .events import ThresholdEvent

#: steps between starting a cross-rank sum and reading it (see `flopcount.run.monitor`)
SUM_LAG = 1


@dataclass
class MonitorOptions:
    """A monitor's settings, one comment per field; `ComputeMonitor` takes them as its
    constructor's arguments, in this order. `kind` is the phase kind they name."""

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
        self.kind: PhaseKind = phase_kind_of(self.phase_kind, self.phase)
        self.is_modification = self.is_modification or self.base_training_compute is not None


def phase_kind_of(phase_kind: str | None, phase: str) -> PhaseKind:
    """The `data.phases` kind named by `phase_kind`, else by `phase` if it is one."""
    kind_id = phase_kind or phase
    if kind_id not in PHASE_KINDS:
        raise ValueError(f"phase_kind must be one of {', '.join(PHASE_KINDS)}; got {kind_id!r}")
    return PHASE_KINDS[kind_id]


def check_record(flops: int, tokens: int, recomputed: int, kind: str) -> None:
    """Refuse what `record()` cannot add: negative counts, a kind other than train/eval."""
    if flops < 0 or tokens < 0 or recomputed < 0:
        raise ValueError(f"counts must be non-negative: flops={flops}, tokens={tokens}, recomputed={recomputed}")
    if kind not in ("train", "eval"):
        raise ValueError(f"kind must be 'train' or 'eval', got {kind!r}")


def described(model: Any, precision: str | None, hardware: dict[str, Any] | None,
              parameters: dict[str, int] | None,
              accelerator: str | None) -> tuple[dict[str, Any], dict[str, int], str | None]:
    """(hardware, parameters, accelerator): what was given, else what the model shows —
    its device and name, the precision (the framework's setting, else the weights' dtype)
    and its parameter count."""
    from ..hardware.detect import describe, parameters as count
    if hardware is None:
        hardware = describe(model, precision)
    if parameters is None:
        parameters = count(model)
    if accelerator is None and hardware.get("accelerator"):
        accelerator = hardware["accelerator"]
    return hardware, parameters, accelerator
