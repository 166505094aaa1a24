"""One compute figure with its range, the type every method and total shares.

An analytic count is exact (low = central = high, Python ints); the hardware method is an
interval of float64 from the utilisation range; a sum of phases adds each bound. It sits in
the lowest code layer so that hardware, counting and the verdicts use the same type.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """(central, low, high) FLOP; `total` is the central value."""

    total: int | float = 0
    low: int | float = 0
    high: int | float = 0

    def __add__(self, other: "Interval") -> "Interval":
        return Interval(self.total + other.total, self.low + other.low, self.high + other.high)

    @classmethod
    def exact(cls, value: int | float) -> "Interval":
        return cls(value, value, value)

    @classmethod
    def of(cls, figure) -> "Interval":
        """The interval of anything with `total`, `low` and `high` (a method's estimate)."""
        return cls(figure.total, figure.low, figure.high)

    @property
    def triple(self) -> tuple[int | float, int | float, int | float]:
        return self.total, self.low, self.high
