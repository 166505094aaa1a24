"""The training-loop monitor, in parts with one job each.

- `monitor`: `ComputeMonitor`, the façade the adapters feed (its public API is stable);
- `options`: what it is given (`MonitorOptions`, its constructor's arguments), checked;
- `totals`: the exact per-run counters and how they add up to the quantities;
- `collective`: exact sums across torch.distributed ranks, started now and read later;
- `reduction`: the run's totals summed across ranks, a step late, the same on every rank;
- `check`: one check's view (the same on every rank) and how an event is announced;
- `watch`: which lines apply and what a step's check decides (pure functions);
- `events`: what a check reports (warnings, events, the stop exception);
- `writer`: rank 0's ledger writes (when due, notes, method, the resume mark);
- `history`: what the ledger already holds (other runs; this run's rows past a checkpoint);
- `rows`: the ledger rows a write appends (extras: hardware, MFU, energy, notes);
- `metrics`: what loggers show (totals, MFU and joules since the last call);
- `signals`: writing what is pending on SIGTERM/SIGINT and at exit.

The public names are exported here (and keep their old path, `flopcount.run`).
"""
from .collective import collective_device
from .events import ThresholdEvent, ThresholdStop, ThresholdWarning
from .monitor import SUM_LAG, ComputeMonitor

__all__ = ["ComputeMonitor", "SUM_LAG", "ThresholdEvent", "ThresholdStop", "ThresholdWarning", "collective_device"]
