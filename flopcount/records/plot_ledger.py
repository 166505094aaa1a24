"""A ledger's rows as the series the run chart draws: one per run, the model's running
totals, each row's phase kind. Data only (no matplotlib), so the counting can be read and
tested apart from the drawing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ledger.summary import counts_toward


def _counts_toward(row) -> str:
    """Which totals a ledger row's FLOP count toward (eval rows: neither)."""
    return "neither" if row.row_kind == "eval" else counts_toward(row.phase_kind)


COUNTS_TEXT = {"training": "training and cumulative compute", "cumulative": "cumulative compute only",
               "neither": "neither total (recorded, not counted)"}


@dataclass
class RunSeries:
    """One run's counted ledger rows in the order they were written: the step each ends
    at, the model's running totals (earlier runs of the model included, as the monitor
    counts them) and each row's phase kind; rows counted in neither total apart."""

    run: str
    model: str
    steps: list[int] = field(default_factory=list)
    training: list[int] = field(default_factory=list)
    cumulative: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    uncounted: list[tuple[int, int, str]] = field(default_factory=list)  # (step_end, FLOP, kind)
    start: float = 0.0


def ledger_runs(rows, model: str | None = None) -> list[RunSeries]:
    """The ledger's counted rows as one series per run, runs in the order they started,
    each run's rows in the order written (its own steps never run back)."""
    from ..ledger import counted_rows
    picked = [r for r in counted_rows(list(rows)) if model is None or r.model == model]
    by_run: dict[tuple[str, str], list] = {}
    for r in sorted(picked, key=lambda r: (r.created_at, r.seq or 0)):
        by_run.setdefault((r.model, r.run), []).append(r)
    totals: dict[str, list[int]] = {}  # per model: training, cumulative so far
    out = []
    for (model_name, run), run_rows in by_run.items():
        series = RunSeries(run, model_name, start=run_rows[0].created_at)
        done = totals.setdefault(model_name, [0, 0])
        for r in sorted(run_rows, key=lambda r: (r.step_end, r.created_at)):
            counts = _counts_toward(r)
            if counts == "neither":
                kind = "evaluation" if r.row_kind == "eval" else r.phase_kind
                series.uncounted.append((r.step_end, r.flops, kind))
                continue
            done[0] += r.flops if counts == "training" else 0
            done[1] += r.flops
            series.steps.append(r.step_end)
            series.training.append(done[0])
            series.cumulative.append(done[1])
            series.kinds.append(r.phase_kind)
        out.append(series)
    return out


def ledger_series(rows, model: str | None = None) -> tuple[list[int], list[float]]:
    """(step_end, the model's cumulative FLOP) of every run as one series, for callers
    that draw a single line; `ledger_runs` keeps the runs apart (one line each)."""
    runs = ledger_runs(rows, model)
    return [s for r in runs for s in r.steps], [float(c) for r in runs for c in r.cumulative]
