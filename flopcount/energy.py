"""Training energy: measured from NVML counters when a GPU is present, else estimated.

Estimate (Annex XI 2(e) allows basing it on the computational resources used):
    E = accelerator-hours × board power (TDP, data.accelerators) × PUE interval.
TDP is an upper bound on average board draw, and host CPUs, memory and network are not
in it; the PUE interval covers the facility overhead. Both are written into the record.
"""
from __future__ import annotations

from typing import Callable

from .data import assumptions
from .data.accelerators import Accelerator

JOULES_PER_KWH = 3.6e6


def estimate_kwh(accelerator: Accelerator, accelerator_hours: float) -> tuple[float, float, float] | None:
    """(central, low, high) kWh, or None when the accelerator's board power is unknown."""
    if accelerator.power_w is None:
        return None
    it_kwh = accelerator_hours * accelerator.power_w / 1000
    low, high = it_kwh * assumptions.PUE_LOW, it_kwh * assumptions.PUE_HIGH
    return (low + high) / 2, low, high


def nvml_energy_reader() -> Callable[[], float] | None:
    """A callable returning the energy (J) all visible GPUs have used since their driver
    loaded (nvmlDeviceGetTotalEnergyConsumption, Volta and newer), or None without NVML."""
    try:
        import pynvml
        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        if not handles:
            return None
        for handle in handles:  # fails here, not mid-run, on GPUs without the counter
            pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    except Exception:  # no NVML library, no driver, no GPU, or no counter: nothing to measure
        return None
    return lambda: sum(pynvml.nvmlDeviceGetTotalEnergyConsumption(h) for h in handles) / 1000.0
