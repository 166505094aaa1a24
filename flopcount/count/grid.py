"""Vectorised planning: where (parameters, tokens, accelerator time) meet the lines.

All functions take numpy arrays (or scalars) and work element-wise in float64, so a
1000×1000 grid for every threshold is a handful of array operations. Compute here is
the 6·N·D approximation (Guidelines Annex A.2); use `flopcount estimate` for the full
count of a specific run.
"""
from __future__ import annotations

import numpy as np

from ..data.thresholds import MODIFICATION_FRACTION, THRESHOLDS
from ..hardware.accelerators import SECONDS_PER_HOUR, find_accelerator, peak

SECONDS_PER_DAY = 24 * SECONDS_PER_HOUR


def absolute_lines() -> dict[str, float]:
    """Threshold id -> FLOP line, for the lines that are absolute numbers."""
    return {t.id: float(t.flop) for t in THRESHOLDS if t.flop is not None}


def compute_grid(params: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """C = 6·N·D on the outer grid params × tokens (rows: params)."""
    return 6.0 * np.outer(np.asarray(params, float), np.asarray(tokens, float))


def crossed_grid(params: np.ndarray, tokens: np.ndarray, lines: dict[str, float] | None = None
                 ) -> dict[str, np.ndarray]:
    """For each line, a boolean grid: does 6·N·D strictly exceed it?"""
    compute = compute_grid(params, tokens)
    return {tid: compute > line for tid, line in (lines or absolute_lines()).items()}


def tokens_at(line: float, params: np.ndarray) -> np.ndarray:
    """Training tokens at which 6·N·D reaches `line` (the iso-compute curve)."""
    return line / (6.0 * np.asarray(params, float))


def modification_tokens(base_compute: float, params: float, per_token: float | None = None) -> float:
    """Fine-tuning tokens before the modification exceeds one third of the base model's
    training compute (Guidelines §3.2). `per_token` defaults to 6·N (full fine-tuning)."""
    return float(base_compute * float(MODIFICATION_FRACTION)) / (per_token or 6.0 * params)


def accelerator_days(line: float, accelerator: str, precision: str = "bf16",
                     utilization: np.ndarray | float = 0.4) -> np.ndarray:
    """Accelerator-days (devices × days) of C = N·L·H·U before reaching `line`."""
    acc = find_accelerator(accelerator)
    return line / (peak(acc, precision) * np.asarray(utilization, float) * SECONDS_PER_DAY)
