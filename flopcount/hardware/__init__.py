"""Accelerators: what a machine delivers, and what the running one is.

- `accelerators`: the accelerator table looked up by name or alias, dense peaks per
  precision, and the hardware method C = N · L · H · U;
- `energy`: accelerator energy from board power and time;
- `detect`: which accelerator and precision a training process runs on.

The figures themselves (peaks, TDPs, with their datasheets) are `flopcount.data.accelerators`.
"""
from .accelerators import (SECONDS_PER_HOUR, VENDOR_PREFIXES, HardwareUse, Interval, default_utilization,
                           find_accelerator, hardware_flops, peak)

__all__ = ["SECONDS_PER_HOUR", "VENDOR_PREFIXES", "HardwareUse", "Interval", "default_utilization",
           "find_accelerator", "hardware_flops", "peak"]
