"""The training-loop monitor's public names (the parts live in `flopcount.run`)."""
from __future__ import annotations

from .run.collective import collective_device
from .run.events import ThresholdEvent, ThresholdStop, ThresholdWarning
from .run.monitor import SUM_LAG, ComputeMonitor

__all__ = ["ComputeMonitor", "SUM_LAG", "ThresholdEvent", "ThresholdStop", "ThresholdWarning", "collective_device"]
