"""Compare compute with the legal lines of `data.thresholds`."""
from __future__ import annotations

from dataclasses import dataclass

from .data.thresholds import MODIFICATION_FALLBACK_BASE, MODIFICATION_FRACTION, THRESHOLDS, Threshold
from .numbers import to_int


@dataclass(frozen=True)
class Evaluation:
    threshold: Threshold
    line: int                  # FLOP value of the line (for the modification rule: base / 3)
    compared: float            # the central compute compared with it
    low: float
    high: float
    status: str                # "below" | "crossed" | "straddles"
    basis: str = ""            # what the line / the compared value is based on

    @property
    def margin(self) -> float:
        """Compute as a multiple of the line: 0.5 = half way, 2.0 = twice over."""
        return float(self.compared) / self.line


def status(low: float, high: float, line: int) -> str:
    """Strictly greater crosses (Art. 51(2): "greater than"); an interval that contains
    the line straddles it."""
    if low > line:
        return "crossed"
    if high <= line:
        return "below"
    return "straddles"


def modification_line(base_training: int | None, base_systemic: bool) -> tuple[int, str]:
    """One third of the base model's training compute; when unknown, one third of 1e25 for
    a systemic-risk base, else of 1e23 (Guidelines §3.2)."""
    if base_training is not None:
        return to_int(base_training * MODIFICATION_FRACTION), "one third of the base model's training compute"
    key = "systemic-risk" if base_systemic else "gpai"
    fallback = MODIFICATION_FALLBACK_BASE[key]
    return to_int(fallback * MODIFICATION_FRACTION), f"base compute unknown: one third of {fallback:.0e} ({key} base)"


def evaluate(quantities: dict[str, tuple[float, float, float]], *, base_training: int | None = None,
             base_systemic: bool = False, is_modification: bool = False) -> list[Evaluation]:
    """Evaluate every threshold against the quantity it is defined on.

    `quantities` maps "training" / "cumulative" / "modification" to (central, low, high).
    The modification rule is evaluated only for modifications.
    """
    results = []
    for threshold in THRESHOLDS:
        if threshold.quantity == "modification":
            if not is_modification:
                continue
            line, basis = modification_line(base_training, base_systemic)
        else:
            line, basis = threshold.flop, f"{threshold.quantity} compute"
        central, low, high = quantities[threshold.quantity]
        results.append(Evaluation(threshold, line, central, low, high, status(low, high, line), basis))
    return results

