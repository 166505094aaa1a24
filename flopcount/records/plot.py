"""Planning and monitoring charts. Each function returns a matplotlib `Figure` built
without pyplot (no global state, works headless); save with `fig.savefig(path)`.

Threshold lines are drawn from `data.thresholds`; every line artist carries a `gid`
("threshold:<id>", "chinchilla", "crossing:<id>", "projection", "run:<run>") so tests and
users can find it on the figure. Every text placed on the axes (a run's name, a line's
label) goes where it touches no other text and stays inside the axes (`_Layout`), and
lines sharing a value are drawn in one colour with one label naming them all.

Here: the planning charts (the planning map, estimates by method, fine-tuning and hardware
budgets). The run chart is plot_run.py, its ledger series plot_ledger.py, text placement
plot_layout.py, colours and labels plot_style.py; every name stays importable from here.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from matplotlib.figure import Figure  # here, not only in the parts: without matplotlib importing plot fails
from matplotlib.lines import Line2D

from ..law.lines import modification_line
from ..data.accelerators import ACCELERATORS
from ..data.assumptions import CHINCHILLA_TOKENS_PER_PARAM, UTILIZATION_HIGH, UTILIZATION_LOW
from ..data.models import PUBLISHED_RUNS
from ..count.grid import accelerator_days, modification_tokens, tokens_at
from .plot_layout import (  # noqa: F401  (re-exported)
    DIRECTIONS, DISTANCES, LEADER_FROM, _annotate, _Layout, _on_line, _renderer, _visible_path)
from .plot_ledger import COUNTS_TEXT, RunSeries, _counts_toward, ledger_runs, ledger_series  # noqa: F401
from .plot_run import _crossings, _project, run_chart  # noqa: F401  (re-exported)
from .plot_style import (  # noqa: F401  (re-exported)
    ACTIVE, COLORS, EXTRA_COLORS, KIND_MARKERS, OWN, QUANTITY, REFERENCE, RUN_COLORS, _colors, _group_colors,
    _group_label, _groups, _hlines, _intervals, _legend, _power)


def _unique_runs(own: Sequence[tuple[str, float, float]], reference: Sequence[tuple[str, float, float]]):
    """(name, N, D, is_own), one per name: an own run replaces a published one of the
    same name; one at the same point as a published run is shown beside it."""
    runs: dict[str, tuple[str, float, float, bool]] = {}
    for name, params, tokens in reference:
        runs[name] = (name, params, tokens, False)
    for name, params, tokens in own:
        runs.pop(name, None)
        runs[name] = (name, params, tokens, True)
    return list(runs.values())


def planning_map(points: Iterable[tuple[str, float, float]] | None = None, *, reference: bool = True,
                 params_range=(1e8, 1e13), tokens_range=(1e9, 1e15)) -> Figure:
    """Parameters × training tokens (log-log) with iso-compute lines 6·N·D = threshold,
    each labelled on the line, the compute-optimal line D = 20·N (Hoffmann et al. 2022),
    the user's runs (`points`: name, N, D) emphasised, and the published runs of
    `data.models` beside them unless `reference=False`."""
    fig = Figure(figsize=(9, 6.5))
    ax = fig.add_subplot()
    ax.set(xscale="log", yscale="log", xlim=params_range, ylim=tokens_range, xlabel="parameters N",
           ylabel="training tokens D", title="Training runs against compute thresholds (C ≈ 6·N·D)")
    fig.subplots_adjust(left=0.1, right=0.72)  # room on the right for the legend
    n = np.logspace(math.log10(params_range[0]), math.log10(params_range[1]), 400)
    lines = {t.id: t.flop for t in ACTIVE}
    colors = _group_colors(lines)
    drawn: list[tuple[Line2D, str, str]] = []
    for ids, value in _groups(lines):
        for k, tid in enumerate(ids):  # one artist per id (same data, same colour): findable by gid
            artist, = ax.plot(n, tokens_at(value, n), color=colors[tid], lw=1.3, gid=f"threshold:{tid}",
                              label=_group_label(ids, value) if k == 0 else "_nolegend_")
        drawn.append((artist, _group_label(ids, value), colors[ids[0]]))
    chin, = ax.plot(n, CHINCHILLA_TOKENS_PER_PARAM * n, "k--", lw=1, gid="chinchilla",
                    label=f"compute-optimal D = {CHINCHILLA_TOKENS_PER_PARAM}·N (Hoffmann et al. 2022)")
    runs = _unique_runs(list(points or ()), [(r.name, r.params, r.tokens) for r in PUBLISHED_RUNS] if reference else [])
    layout = _Layout(ax)
    for name, params, tokens, own in runs:
        ax.scatter([params], [tokens], **(OWN if own else REFERENCE), gid=f"{'own' if own else 'reference'}:{name}")
        layout.mark((params, tokens), 7 if own else 3)
    ax.tick_params(axis="y", pad=6)  # 10^9 and 10^8 clear of each other at the corner
    for artist, _, _ in drawn:
        layout.keep_off(artist)
    layout.keep_off(chin)
    for name, params, tokens, own in sorted(runs, key=lambda r: not r[3]):  # runs first (own runs first of all):
        style = {"fontsize": 9, "fontweight": "bold"} if own else {"fontsize": 7.5, "color": "0.25"}  # a name
        layout.label_point((params, tokens), name, gid=f"label:{name}", zorder=7,  # belongs by its point
                           bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8}, **style)
    drawn.sort(key=lambda d: len(_visible_path(d[0], layout.frame)))  # then the lines, shortest first
    for artist, text, color in drawn:
        layout.label_line(artist, text, color, tuple(np.arange(0.8, 0.04, -0.05)) + (0.85, 0.9), gid=f"line-label:{text}")
    layout.label_line(chin, f"D = {CHINCHILLA_TOKENS_PER_PARAM}·N", "black", (0.12, 0.2, 0.3, 0.05, 0.9),
                      gid="line-label:chinchilla")
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if any(own for *_, own in runs):
        handles.append(Line2D([], [], ls="", marker=OWN["marker"], ms=11, mfc=OWN["color"], mec="black"))
        labels.append("your runs")
    if any(not own for *_, own in runs):
        handles.append(Line2D([], [], ls="", marker="o", ms=4, color=REFERENCE["color"]))
        labels.append("published runs (data.models)")
    _legend(ax, handles=handles, labels=labels)
    return fig


#: appended to a phase's name where its figures are only maxima (a run that can stop early)
AT_MOST = " (at most)"


def methods_chart(result) -> Figure:
    """Per phase, each method's estimate with its interval, against the threshold lines
    (input: an `estimate.Result`)."""
    phases = [(pr.phase.name + (AT_MOST if pr.phase.upper_bound else ""),
               {m: (float(e.total), float(e.low), float(e.high)) for m, e in pr.estimates.items()})
              for pr in result.phases]
    return phase_methods_chart(phases, f"{result.plan.name}: estimates by method")


def phase_methods_chart(phases: Sequence[tuple[str, dict[str, tuple[float, float, float]]]], title: str) -> Figure:
    """Phases × methods as points with low–high intervals, threshold lines across."""
    order = ("measured", "full", "6ND", "hardware", "reported")
    methods = [m for m in order if any(m in est for _, est in phases)]
    fig = Figure(figsize=(max(6, 1.6 * len(phases) + 3), 5))
    ax = fig.add_subplot()
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        xs, ys, lo, hi = [], [], [], []
        for i, (_, est) in enumerate(phases):
            if method in est and est[method][0] > 0:
                total, low, high = est[method]
                xs.append(i + (j - (len(methods) - 1) / 2) * width)
                ys.append(total)
                lo.append(total - low)
                hi.append(high - total)
        _intervals(ax, xs, ys, lo, hi, label=method, gid=f"method:{method}")
    lines = {t.id: t.flop for t in ACTIVE}
    _hlines(ax, lines, _group_colors(lines), ls=":")
    ax.set_xticks(range(len(phases)), [name for name, _ in phases], rotation=20, ha="right")
    ax.set_xlim(-0.6, len(phases) - 0.4)
    ax.set(yscale="log", ylabel="FLOP", title=title)
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax)
    return fig


def finetune_budget_chart(base_compute: float, params: float, *, per_token: dict[str, float] | None = None,
                          title: str | None = None, model: str | None = None) -> Figure:
    """Modification compute against fine-tuning tokens, per way of fine-tuning, with the
    one-third line: where each curve meets it is the token budget before the modifier
    becomes a provider (Guidelines §3.2). Numbers in the ×10^n form of every flopcount
    output (`_power`), never e-notation; `model` names the base in the default title."""
    per_token = per_token or {"full fine-tuning (6·N)": 6.0 * params}
    line = float(modification_line(base_compute, base_systemic=False)[0])  # the one-third line, as the verdicts draw it
    budgets = {name: modification_tokens(base_compute, params, cost) for name, cost in per_token.items()}
    top = max(budgets.values()) * 10
    d = np.logspace(math.log10(min(budgets.values()) / 1000), math.log10(top), 200)
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    for name, cost in per_token.items():
        ax.plot(d, cost * d, label=f"{name}: budget {_power(budgets[name])} tokens", gid=f"curve:{name}")
        ax.plot([budgets[name]], [line], "o", color="black", gid=f"budget:{name}")
    ax.axhline(line, color="black", ls="--", gid="threshold:eu-modification",
               label=f"one third of base compute ({_power(line)} FLOP)")
    ax.set(xscale="log", yscale="log", xlabel="fine-tuning tokens", ylabel="modification FLOP",
           title=title or f"Fine-tuning budget{f' on {model}' if model else ''}: base {_power(base_compute)} FLOP, "
                 f"{_power(params)} parameters")
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return fig


def hardware_budget_chart(accelerators: Sequence[str] | None = None, *, precision: str = "bf16",
                          utilization: tuple[float, float] = (UTILIZATION_LOW, UTILIZATION_HIGH)) -> Figure:
    """Accelerator-days on each accelerator before each threshold (C = N·L·H·U); points at
    the mean utilisation, whiskers across the utilisation range."""
    ids = list(accelerators) if accelerators else [a.id for a in ACCELERATORS if precision in a.peak]
    fig = Figure(figsize=(max(7, 0.7 * len(ids) + 3), 5))
    ax = fig.add_subplot()
    groups = _groups({t.id: t.flop for t in ACTIVE})  # lines at one value: one series naming them all
    width = 0.8 / len(groups)
    low_u, high_u = utilization
    for j, (tids, flop) in enumerate(groups):
        mid = np.array([float(accelerator_days(flop, a, precision, (low_u + high_u) / 2)) for a in ids])
        lo = np.array([float(accelerator_days(flop, a, precision, high_u)) for a in ids])
        hi = np.array([float(accelerator_days(flop, a, precision, low_u)) for a in ids])
        xs = np.arange(len(ids)) + (j - (len(groups) - 1) / 2) * width
        _intervals(ax, xs, mid, mid - lo, hi - mid, color=COLORS[tids[0]], gid=f"threshold:{tids[0]}",
                   label=_group_label(tids, flop))
    ax.set_xticks(range(len(ids)), ids, rotation=30, ha="right")
    ax.set(yscale="log", ylabel="accelerator-days", title=f"Accelerator-days before each threshold "
           f"({precision}, U = {low_u:.0%}–{high_u:.0%})")
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax)
    return fig
