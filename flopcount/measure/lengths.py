"""Price a step at any sequence length from a few measured ones.

With dynamic padding every batch has its own length L, so a per-shape cache misses on
nearly every step. A transformer step's FLOP, op by op and module by module, are an
exact polynomial in L of degree ≤ 2 (projections and MLP linear in L; attention scores
and values quadratic, causal pairs L(L+1)/2). So per input family (everything but L
equal): measure three lengths, fit each (phase, module, op) count exactly with rational
Lagrange interpolation, measure a fourth to verify, and from then on price any length
inside the measured range without intercepting an op. A length outside the range is
measured and checked against the polynomial; any mismatch (a sliding window reached, a
chunk boundary, data-dependent work) discards the fit and refits on the latest lengths,
so a wrong polynomial is never used outside the points that confirmed it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .result import Measurement

DEGREE = 2             # attention's L² term; higher terms would mean a different model
FIT_POINTS = DEGREE + 1


def _lagrange(points: list[tuple[int, int]], x: int) -> Fraction:
    total = Fraction(0)
    for i, (xi, yi) in enumerate(points):
        term = Fraction(yi)
        for j, (xj, _) in enumerate(points):
            if j != i:
                term *= Fraction(x - xj, xi - xj)
        total += term
    return total


@dataclass
class LengthModel:
    """Measured steps of one input family, keyed by sequence length."""

    template: Measurement | None = None
    points: dict[int, Measurement] = field(default_factory=dict)
    fit: list[int] = field(default_factory=list)   # the lengths the polynomial goes through
    verified: bool = False
    low: int = 0                                    # verified range, inclusive
    high: int = 0
    refits: int = 0

    def predict(self, length: int) -> Measurement | None:
        """The step at `length` from the polynomial, or None when it may not be used
        there (not verified, outside the confirmed range, or not an integer count)."""
        if not self.verified or not self.low <= length <= self.high:
            return None
        return self._evaluate(length)

    def _evaluate(self, length: int) -> Measurement | None:
        keys = set().union(*(self.points[x].records for x in self.fit))
        out = Measurement(backend=self.template.backend, attention=self.template.attention,
                          elementwise=self.template.elementwise, derived_backward=self.template.derived_backward,
                          shared=self.template.shared,
                          tokens=None, notes=[f"priced from the length polynomial through L = {self.fit}"])
        for key in keys:
            value = _lagrange([(x, self.points[x].records.get(key, 0)) for x in self.fit], length)
            if value.denominator != 1 or value < 0:
                return None
            out.add(*key, int(value))
        for x in self.fit:
            for op, calls in self.points[x].uncounted.items():
                out.uncounted[op] = max(out.uncounted[op], calls)
            out.failed.update(self.points[x].failed)
        return out

    def add(self, length: int, measured: Measurement) -> None:
        """A step measured at `length`: fit, verify, widen the range, or refit."""
        self.template = self.template or measured
        self.points[length] = measured
        if len(self.fit) < FIT_POINTS:
            if length not in self.fit:
                self.fit.append(length)
            return
        if length in self.fit:
            return
        predicted = self._evaluate(length)
        if predicted is not None and dict(predicted.records) == {k: v for k, v in measured.records.items() if v}:
            span = self.fit + [length]
            self.low = min(span) if not self.verified else min(self.low, length)
            self.high = max(span) if not self.verified else max(self.high, length)
            self.verified = True
            return
        self.verified, self.refits = False, self.refits + 1       # the last lengths start a new fit
        self.fit = list(self.points)[-FIT_POINTS:]
