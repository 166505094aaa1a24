"""Training energy: measured from NVML counters when a GPU is present, else estimated.

Estimate (Annex XI 2(e) allows basing it on the computational resources used):
    E = accelerator-hours × board power (TDP, data.accelerators) × PUE interval.
TDP is an upper bound on average board draw, and host CPUs, memory and network are not
in it; the PUE interval covers the facility overhead. Both are written into the record.
"""
from __future__ import annotations

from typing import Callable

from ..data import assumptions
from ..data.accelerators import Accelerator

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


class CodecarbonReader:
    """Cumulative energy (J) and emissions (kg CO2eq) of this host from codecarbon (extra
    `flopcount[carbon]`), for `ComputeMonitor(energy=CodecarbonReader(...))`.

    Host-wide: CPU, RAM and GPUs, each as codecarbon measures it (RAPL / NVML where
    readable, else its own power models: an estimate). Offline: the grid's carbon
    intensity comes from `country_iso_code` (ISO 3166-1 alpha-3), never from the network.
    Each call closes one codecarbon task and opens the next, so readings are intervals
    of one continuous tracker."""

    per_process = False  # a host reading: the monitor scales it by nodes, not by ranks

    def __init__(self, country_iso_code: str, **tracker_options: object) -> None:
        try:
            from codecarbon import OfflineEmissionsTracker
        except ImportError:
            raise ImportError("CodecarbonReader needs codecarbon: pip install 'flopcount[carbon]'") from None
        options = {"save_to_file": False, "log_level": "error", "measure_power_secs": 3600,
                   "allow_multiple_runs": True, **tracker_options}
        self.tracker = OfflineEmissionsTracker(country_iso_code=country_iso_code, **options)
        self.country = country_iso_code
        self.joules = 0.0
        self.emissions_kg = 0.0
        self.tracker.start_task("flopcount")

    @property
    def note(self) -> str:
        return (f"codecarbon {self._version()} (host CPU + RAM + GPU; its measurements or power models), "
                f"grid intensity of {self.country}")

    @staticmethod
    def _version() -> str:
        import codecarbon
        return codecarbon.__version__

    def __call__(self) -> float:
        data = self.tracker.stop_task()
        self.joules += data.energy_consumed * JOULES_PER_KWH
        self.emissions_kg += data.emissions
        self.tracker.start_task("flopcount")
        return self.joules

    def close(self) -> None:
        self.tracker.stop_task()
        self.tracker.stop()
