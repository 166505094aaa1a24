"""The hardware method: C = N · L · H · U (Commission Guidelines C(2025) 5045, Annex A.2).

N accelerators × L seconds = accelerator-seconds; H = dense peak FLOP/s at the precision
used (from `data.accelerators`); U = average utilisation (MFU). U is rarely known exactly,
so it is an interval and so is C. All arithmetic in float64.
"""
from __future__ import annotations

import difflib

import re
from dataclasses import dataclass

from ..data import assumptions
from ..data.accelerators import ACCELERATORS, PRECISIONS, Accelerator
from ..boundary.errors import InputError
from ..boundary.interval import Interval  # re-exported: the hardware method is one

SECONDS_PER_HOUR = 3600


VENDOR_PREFIXES = ("nvidia-", "amd-", "google-")


def _key(name: str) -> str:
    """'NVIDIA H100 SXM' -> 'h100-sxm': lower case, separators as '-', vendor dropped."""
    key = re.sub(r"[\s_/]+", "-", name.strip().lower())
    for prefix in VENDOR_PREFIXES:
        if key.startswith(prefix) and key not in _INDEX:
            return key.removeprefix(prefix)
    return key


_INDEX: dict[str, Accelerator] = {}
for _acc in ACCELERATORS:
    for _name in (_acc.id, *_acc.aliases):
        if _name in _INDEX:
            raise ValueError(f"accelerator alias {_name!r} is listed twice")
        _INDEX[_name] = _acc


def find_accelerator(name: str, field: str = "accelerator", source: str | None = None) -> Accelerator:
    """Look an accelerator up by id or alias, case-insensitively ("H100 SXM" -> h100-sxm)."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"expected an accelerator id, got {name!r}", source=source, field=field)
    acc = _INDEX.get(_key(name))
    if acc is None:
        near = difflib.get_close_matches(_key(name), list(_INDEX), n=3, cutoff=0.5)
        nearest = list(dict.fromkeys(_INDEX[k].id for k in near))
        hint = f"nearest: {', '.join(nearest)}; " if nearest else ""
        raise InputError(f"unknown accelerator {name!r}; {hint}known: {', '.join(a.id for a in ACCELERATORS)} "
                         "(`flopcount accelerators` lists them with aliases)", source=source, field=field)
    return acc


def peak(acc: Accelerator, precision: str, field: str = "precision", source: str | None = None) -> float:
    """Dense peak FLOP/s of `acc` at `precision`; an error lists the precisions it has."""
    key = precision.lower() if isinstance(precision, str) else precision
    if key not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}",
                         source=source, field=field)
    if key not in acc.peak:
        raise InputError(f"{acc.name} has no {key} peak; it has {', '.join(acc.peak)}", source=source, field=field)
    return acc.peak[key]


@dataclass(frozen=True)
class HardwareUse:
    """Accelerator time spent on one phase."""

    accelerator: Accelerator
    hours: float                 # accelerator-hours (devices × wall-clock hours)
    precision: str
    utilization: tuple[float, float]
    devices: int | None = None   # when known; only for the report
    utilization_given: bool = True

    @property
    def peak(self) -> float:
        return peak(self.accelerator, self.precision)


def hardware_flops(use: HardwareUse) -> Interval:
    """C = accelerator-seconds × peak × U, at U low, midpoint and high."""
    base = use.hours * SECONDS_PER_HOUR * use.peak
    low_u, high_u = use.utilization
    return Interval(total=base * (low_u + high_u) / 2, low=base * low_u, high=base * high_u)


def default_utilization() -> tuple[float, float]:
    return assumptions.UTILIZATION_LOW, assumptions.UTILIZATION_HIGH
