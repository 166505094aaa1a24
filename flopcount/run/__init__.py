"""The training-loop monitor, in parts with one job each.

- `monitor`: `ComputeMonitor`, the façade the adapters feed (its public API is stable);
- `totals`: the exact per-run counters and how they add up;
- `collective`: exact sums across torch.distributed ranks, started now and read later;
- `reduction`: the run's totals summed across ranks, a step late, the same on every rank;
- `watch`: which lines apply and what a step's check decides (pure functions);
- `events`: what a check reports (warnings, events, the stop exception);
- `rows`: the ledger rows a write appends (extras: hardware, MFU, energy, notes);
- `signals`: writing what is pending on SIGTERM/SIGINT and at exit.

The public names are exported here (and keep their old path, `flopcount.run`).
"""
from .collective import collective_device
from .events import ThresholdEvent, ThresholdStop, ThresholdWarning
from .monitor import SUM_LAG, ComputeMonitor

__all__ = ["ComputeMonitor", "SUM_LAG", "ThresholdEvent", "ThresholdStop", "ThresholdWarning", "collective_device"]
