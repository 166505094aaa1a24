"""The monitoring chart: cumulative FLOP against step, one line per run, the projection of
the latest run to its planned end and a cross where each threshold line was passed.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..data.phases import BY_ID as PHASE_KINDS
from ..ledger.summary import counts_toward
from .plot_layout import _Layout
from .plot_ledger import COUNTS_TEXT, RunSeries
from .plot_style import ACTIVE, KIND_MARKERS, QUANTITY, RUN_COLORS, _group_colors, _hlines, _legend, _power


def _project(ax, series: RunSeries, planned_steps: int | None) -> None:
    """The projection of one run to its planned end, with a band from the spread of its
    per-interval rates (no plan given: as far again as recorded)."""
    steps_a, cum = np.asarray(series.steps, float), np.asarray(series.cumulative, float)
    if len(steps_a) < 2 or not np.all(np.diff(steps_a) > 0):
        return
    end = planned_steps if planned_steps and planned_steps > steps_a[-1] else 2 * steps_a[-1]
    rates = np.diff(cum) / np.diff(steps_a)
    mean, spread = rates.mean(), rates.std()
    future = np.linspace(steps_a[-1], end, 50)
    ahead = future - steps_a[-1]
    label = "projection" if end == planned_steps else "projection (no planned steps: 2× the steps so far)"
    ax.plot(future, cum[-1] + mean * ahead, "--", color="gray", gid="projection", label=label)
    ax.fill_between(future, cum[-1] + max(mean - 2 * spread, 0) * ahead, cum[-1] + (mean + 2 * spread) * ahead,
                    color="gray", alpha=0.2, gid="projection-band", label="±2σ of interval rates")


def _crossings(ax, runs: Sequence[RunSeries], lines: dict[str, float], colors: dict[str, str]) -> None:
    """A cross where each line was first passed, judged on the quantity the line counts
    (training lines on training compute, others on cumulative)."""
    for tid, line in lines.items():
        for series in runs:
            totals = series.cumulative if QUANTITY.get(tid, "cumulative") == "cumulative" else series.training
            over = [i for i, total in enumerate(totals) if total > line]
            if over:
                i = over[0]
                ax.plot([series.steps[i]], [float(series.cumulative[i])], "x", color=colors[tid], ms=12, mew=2,
                        gid=f"crossing:{tid}", label=f"{tid} crossed at step {series.steps[i]}"
                        + (f" (run {series.run})" if len(runs) > 1 else ""))
                break


def run_chart(steps: Sequence[int] | None = None, cumulative: Sequence[float] | None = None, *,
              runs: Sequence[RunSeries] | None = None, planned_steps: int | None = None,
              lines: dict[str, float] | None = None, title: str = "Cumulative compute") -> Figure:
    """Cumulative FLOP against step: one line per run (`runs`, e.g. from `ledger_runs`; or
    one series `steps`, `cumulative`), rows marked by phase kind and what they count
    toward, threshold lines labelled on the line, the projection of the latest run and a
    cross where each line was passed."""
    if runs is None:
        cum = [int(c) if float(c).is_integer() else c for c in (cumulative or [])]
        runs = [RunSeries("recorded", "", list(steps or []), cum, cum, [""] * len(cum))]
    lines = lines or {t.id: float(t.flop) for t in ACTIVE}
    colors = _group_colors(lines)
    fig = Figure(figsize=(9, 5.5))
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.09, right=0.66)
    kinds = sorted({k for s in runs for k in s.kinds if k}, key=lambda k: list(PHASE_KINDS).index(k)
                   if k in PHASE_KINDS else len(PHASE_KINDS))
    marker = {k: KIND_MARKERS[i % len(KIND_MARKERS)] for i, k in enumerate(kinds)}
    plain = len(runs) == 1 and not kinds
    for j, series in enumerate(r for r in runs if r.steps):
        color = RUN_COLORS[j % len(RUN_COLORS)]
        ax.plot(series.steps, [float(c) for c in series.cumulative], "-" if kinds else "o-", ms=3, color=color, lw=1.2,
                gid=f"run:{series.run}" if not plain else "run",
                label="recorded" if plain else f"run {series.run}" + (f" ({series.model})" if series.model else ""))
        for k in kinds:
            idx = [i for i, kind in enumerate(series.kinds) if kind == k]
            if idx:
                ax.plot([series.steps[i] for i in idx], [float(series.cumulative[i]) for i in idx], ls="",
                        marker=marker[k], ms=4, color=color, gid=f"kind:{k}:{series.run}")
    for k in kinds:
        counts = counts_toward(k)
        ax.plot([], [], ls="", marker=marker[k], ms=5, color="black", label=f"{k}: counts toward {COUNTS_TEXT[counts]}")
    for series in runs:  # work in neither total: said in the legend with its FLOP, never added to a line
        for k in sorted({kind for _, _, kind in series.uncounted}):
            flop = sum(f for _, f, kind in series.uncounted if kind == k)
            ax.plot([], [], ls="", marker="o", mfc="none", color="0.5", gid=f"uncounted:{k}:{series.run}",
                    label=f"{k} (run {series.run}): {_power(flop)} FLOP, counted in {COUNTS_TEXT['neither']}")
    counted = [r for r in runs if r.steps]
    if counted:
        _project(ax, counted[-1], planned_steps)
    top = max([float(max(s.cumulative)) for s in runs if s.cumulative] + [1.0])
    _crossings(ax, runs, lines, colors)
    ax.set(yscale="log", ylim=(max(top * 1e-4, 1.0), max(max(lines.values()), top) * 3),
           xlabel="step", ylabel="cumulative FLOP" + ("" if plain else " (model total, earlier runs included)"),
           title=title)
    ax.set_xlim(*ax.get_xlim())  # the data's limits, fixed before text is placed against them
    layout = _Layout(ax)
    for artist in ax.lines:  # line labels keep clear of the recorded runs and the projection
        if (artist.get_gid() or "").startswith(("run", "projection", "crossing", "kind")):
            layout.avoid(artist)
    _hlines(ax, lines, colors, layout)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return fig
