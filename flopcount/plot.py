"""Planning and monitoring charts. Each function returns a matplotlib `Figure` built
without pyplot (no global state, works headless); save with `fig.savefig(path)`.

Threshold lines are drawn from `data.thresholds`; every line artist carries a `gid`
("threshold:<id>", "chinchilla", "crossing:<id>", "projection") so tests and users can
find it on the figure.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from matplotlib.figure import Figure

from .data.accelerators import ACCELERATORS
from .data.assumptions import CHINCHILLA_TOKENS_PER_PARAM, UTILIZATION_HIGH, UTILIZATION_LOW
from .data.models import PUBLISHED_RUNS
from .data.thresholds import THRESHOLDS
from .planning import accelerator_days, modification_tokens, tokens_at

COLORS = {"eu-gpai": "#1f77b4", "eu-systemic-risk": "#d62728", "us-eo-14110": "#7f7f7f", "ca-sb53": "#9467bd",
          "eu-modification": "#ff7f0e", "ny-raise": "#8c564b"}
ACTIVE = [t for t in THRESHOLDS if t.flop is not None and t.status != "revoked"]


#: Colours for lines the table above has none for (custom or overridden ids), in turn.
EXTRA_COLORS = ("#2ca02c", "#e377c2", "#17becf", "#bcbd22", "#aec7e8", "#ffbb78")


def _label(tid: str, line: float) -> str:
    return f"{tid} (> {line:.0e} FLOP)"


def _colors(ids: Iterable[str]) -> dict[str, str]:
    """A distinct colour per line: the table's for known ids, the next free one otherwise."""
    spare = iter(EXTRA_COLORS * 4)
    return {tid: COLORS.get(tid) or next(spare) for tid in ids}


def _legend(ax) -> None:
    """Outside the axes, on the right: a legend never covers data (saved with tight bbox)."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _intervals(ax, xs, ys, lo, hi, **kwargs) -> None:
    """Points with low–high whiskers: on a log axis a bar's base would be an arbitrary
    floor, a point and its interval are what the numbers say."""
    gid = kwargs.pop("gid", None)
    points, caps, whiskers = ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", capsize=3, ms=5, **kwargs)
    points.set_gid(gid)
    for artist in (*caps, *whiskers):
        artist.set_gid(f"interval of {gid}")


def planning_map(points: Iterable[tuple[str, float, float]] | None = None, *, params_range=(1e8, 2e12),
                 tokens_range=(1e9, 1e14)) -> Figure:
    """Parameters × training tokens (log-log) with iso-compute lines 6·N·D = threshold,
    the compute-optimal line D = 20·N (Hoffmann et al. 2022), and labelled runs
    (default: published runs from `data.models`)."""
    fig = Figure(figsize=(8, 6))
    ax = fig.add_subplot()
    n = np.logspace(math.log10(params_range[0]), math.log10(params_range[1]), 200)
    for t in ACTIVE:
        ax.plot(n, tokens_at(t.flop, n), color=COLORS[t.id], gid=f"threshold:{t.id}", label=_label(t.id, t.flop))
    ax.plot(n, CHINCHILLA_TOKENS_PER_PARAM * n, "k--", lw=1, gid="chinchilla",
            label=f"compute-optimal D = {CHINCHILLA_TOKENS_PER_PARAM}·N")
    pts = list(points) if points is not None else [(r.name, r.params, r.tokens) for r in PUBLISHED_RUNS]
    unique: dict[str, tuple[str, float, float]] = {}
    for name, params, tokens in pts:  # one label per run: a later point with the same name, or
        for key, (_, p, d) in list(unique.items()):  # within 1% on both axes, replaces it
            if math.isclose(p, params, rel_tol=0.01) and math.isclose(d, tokens, rel_tol=0.01):
                del unique[key]
        unique[name] = (name, params, tokens)
    right = math.sqrt(params_range[0] * params_range[1] ** 3) ** 0.5  # 3/4 across the log axis
    for name, params, tokens in unique.values():
        ax.scatter([params], [tokens], color="black", zorder=3, s=18)
        left = params > right  # near the right edge: label below-left, not over the legend
        ax.annotate(name, (params, tokens), textcoords="offset points", xytext=(-5, -6) if left else (5, 4),
                    ha="right" if left else "left", va="top" if left else "baseline", fontsize=8,
                    annotation_clip=True)
    ax.set(xscale="log", yscale="log", xlim=params_range, ylim=tokens_range, xlabel="parameters N",
           ylabel="training tokens D", title="Training runs against compute thresholds (C ≈ 6·N·D)")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)
    return fig


def run_chart(steps: Sequence[int], cumulative: Sequence[float], *, planned_steps: int | None = None,
              lines: dict[str, float] | None = None, title: str = "Cumulative compute") -> Figure:
    """Cumulative FLOP against step (e.g. from a ledger), threshold lines, the projection
    to the planned end with a band from the spread of per-interval rates, and a marker
    where each line was crossed."""
    steps_a, cum = np.asarray(steps, float), np.asarray(cumulative, float)
    lines = lines or {t.id: float(t.flop) for t in ACTIVE}
    colors = _colors(lines)
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    ax.plot(steps_a, cum, "o-", color="black", ms=3, gid="run", label="recorded")
    end = planned_steps if planned_steps and planned_steps > (steps_a[-1] if len(steps_a) else 0) else (
        2 * steps_a[-1] if len(steps_a) >= 2 else None)  # no plan given: as far again as recorded
    if end is not None and len(steps_a) >= 2 and np.all(np.diff(steps_a) > 0):
        rates = np.diff(cum) / np.diff(steps_a)
        mean, spread = rates.mean(), rates.std()
        future = np.linspace(steps_a[-1], end, 50)
        ahead = future - steps_a[-1]
        label = "projection" if end == planned_steps else "projection (no planned steps: 2× the steps so far)"
        ax.plot(future, cum[-1] + mean * ahead, "--", color="gray", gid="projection", label=label)
        ax.fill_between(future, cum[-1] + max(mean - 2 * spread, 0) * ahead, cum[-1] + (mean + 2 * spread) * ahead,
                        color="gray", alpha=0.2, gid="projection-band", label="±2σ of interval rates")
    top = max(cum.max() if len(cum) else 1.0, 1.0)
    for tid, line in lines.items():
        ax.axhline(line, color=colors[tid], lw=1, gid=f"threshold:{tid}", label=_label(tid, line))
        over = np.nonzero(cum > line)[0]
        if len(over):
            ax.plot([steps_a[over[0]]], [cum[over[0]]], "x", color=colors[tid], ms=12, mew=2,
                    gid=f"crossing:{tid}", label=f"{tid} crossed at step {int(steps_a[over[0]])}")
    ax.set(yscale="log", ylim=(max(top * 1e-4, 1.0), max(max(lines.values()), top) * 3),
           xlabel="step", ylabel="cumulative FLOP", title=title)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return fig


def methods_chart(result) -> Figure:
    """Per phase, each method's estimate with its interval, against the threshold lines
    (input: an `estimate.Result`)."""
    phases = [(pr.phase.name, {m: (float(e.total), float(e.low), float(e.high)) for m, e in pr.estimates.items()})
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
    for t in ACTIVE:
        ax.axhline(float(t.flop), color=COLORS[t.id], lw=1, ls=":", gid=f"threshold:{t.id}",
                   label=_label(t.id, t.flop))
    ax.set_xticks(range(len(phases)), [name for name, _ in phases], rotation=20, ha="right")
    ax.set_xlim(-0.6, len(phases) - 0.4)
    ax.set(yscale="log", ylabel="FLOP", title=title)
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax)
    return fig


def finetune_budget_chart(base_compute: float, params: float, *, per_token: dict[str, float] | None = None,
                          title: str | None = None) -> Figure:
    """Modification compute against fine-tuning tokens, per way of fine-tuning, with the
    one-third line: where each curve meets it is the token budget before the modifier
    becomes a provider (Guidelines §3.2)."""
    per_token = per_token or {"full fine-tuning (6·N)": 6.0 * params}
    line = base_compute / 3
    budgets = {name: modification_tokens(base_compute, params, cost) for name, cost in per_token.items()}
    top = max(budgets.values()) * 10
    d = np.logspace(math.log10(min(budgets.values()) / 1000), math.log10(top), 200)
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    for name, cost in per_token.items():
        ax.plot(d, cost * d, label=f"{name}: budget {budgets[name]:.2e} tokens", gid=f"curve:{name}")
        ax.plot([budgets[name]], [line], "o", color="black", gid=f"budget:{name}")
    ax.axhline(line, color="black", ls="--", gid="threshold:eu-modification",
               label=f"one third of base compute ({line:.2e} FLOP)")
    ax.set(xscale="log", yscale="log", xlabel="fine-tuning tokens", ylabel="modification FLOP",
           title=title or f"Fine-tuning budget: base {base_compute:.2e} FLOP, {params:.2e} parameters")
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
    width = 0.8 / len(ACTIVE)
    low_u, high_u = utilization
    for j, t in enumerate(ACTIVE):
        mid = np.array([float(accelerator_days(t.flop, a, precision, (low_u + high_u) / 2)) for a in ids])
        lo = np.array([float(accelerator_days(t.flop, a, precision, high_u)) for a in ids])
        hi = np.array([float(accelerator_days(t.flop, a, precision, low_u)) for a in ids])
        xs = np.arange(len(ids)) + (j - (len(ACTIVE) - 1) / 2) * width
        _intervals(ax, xs, mid, mid - lo, hi - mid, color=COLORS[t.id], gid=f"threshold:{t.id}",
                   label=_label(t.id, t.flop))
    ax.set_xticks(range(len(ids)), ids, rotation=30, ha="right")
    ax.set(yscale="log", ylabel="accelerator-days", title=f"Accelerator-days before each threshold "
           f"({precision}, U = {low_u:.0%}–{high_u:.0%})")
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax)
    return fig


def ledger_series(rows, model: str | None = None) -> tuple[list[int], list[float]]:
    """(step_end, cumulative training FLOP) for one model's counted training rows."""
    from .ledger import counted_rows
    picked = [r for r in counted_rows(list(rows)) if r.row_kind == "train" and (model is None or r.model == model)]
    picked.sort(key=lambda r: (r.created_at, r.step_end))
    steps, cum, total = [], [], 0
    for r in picked:
        total += r.flops
        steps.append(r.step_end)
        cum.append(float(total))
    return steps, cum
