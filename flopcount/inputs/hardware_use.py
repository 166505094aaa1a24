"""A phase's accelerator time as a plan gives it (`hardware:`), read strictly: the
hardware method's inputs, each checked against the accelerator table."""
from __future__ import annotations

import math

from ..boundary.fields import Fields
from ..data import assumptions
from ..hardware.accelerators import SECONDS_PER_HOUR, HardwareUse, default_utilization, find_accelerator, peak

HARDWARE_FIELDS = ("accelerator", "gpu_hours", "gpus", "hours", "days", "precision", "utilization")


def read_hardware(f: Fields) -> HardwareUse:
    """{accelerator, gpu_hours | gpus + hours|days, precision, utilization}."""
    f.only(HARDWARE_FIELDS)
    acc = find_accelerator(f.text("accelerator"), f.path("accelerator"), f.source)
    devices = f.count("gpus", None)
    if f.has("gpu_hours"):
        if f.has("hours") or f.has("days"):
            raise f.error("gpu_hours", "give gpu_hours, or gpus with hours/days, not both")
        hours = f.positive("gpu_hours")
    else:
        if devices is None or f.has("hours") == f.has("days"):
            raise f.error(None, "give gpu_hours, or gpus with exactly one of hours / days")
        hours = devices * (f.positive("hours") if f.has("hours") else 24 * f.positive("days"))
    precision = f.text("precision", assumptions.DEFAULT_PRECISION).lower()
    if not math.isfinite(hours * SECONDS_PER_HOUR * peak(acc, precision, f.path("precision"), f.source)):
        raise f.error("gpu_hours", f"accelerator time {hours!r} hours is out of range")
    given = f.has("utilization")
    utilization = f.fraction_range("utilization") if given else default_utilization()
    return HardwareUse(acc, hours, precision, utilization, devices, utilization_given=given)
