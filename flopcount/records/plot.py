"""Planning and monitoring charts. Each function returns a matplotlib `Figure` built
without pyplot (no global state, works headless); save with `fig.savefig(path)`.

Threshold lines are drawn from `data.thresholds`; every line artist carries a `gid`
("threshold:<id>", "chinchilla", "crossing:<id>", "projection", "run:<run>") so tests and
users can find it on the figure. Every text placed on the axes (a run's name, a line's
label) goes where it touches no other text and stays inside the axes (`_Layout`), and
lines sharing a value are drawn in one colour with one label naming them all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..data.accelerators import ACCELERATORS
from ..data.assumptions import CHINCHILLA_TOKENS_PER_PARAM, UTILIZATION_HIGH, UTILIZATION_LOW
from ..data.models import PUBLISHED_RUNS
from ..data.phases import BY_ID as PHASE_KINDS
from ..data.thresholds import THRESHOLDS
from ..ledger.summary import counts_toward
from ..boundary.numbers import sig2
from ..count.grid import accelerator_days, modification_tokens, tokens_at

COLORS = {"eu-gpai": "#1f77b4", "eu-systemic-risk": "#d62728", "us-eo-14110": "#7f7f7f", "ca-sb53": "#9467bd",
          "eu-modification": "#ff7f0e", "ny-raise": "#8c564b"}
ACTIVE = [t for t in THRESHOLDS if t.flop is not None and t.status != "revoked"]
QUANTITY = {t.id: t.quantity for t in THRESHOLDS}

#: Colours for lines the table above has none for (custom or overridden ids), in turn.
EXTRA_COLORS = ("#2ca02c", "#e377c2", "#17becf", "#bcbd22", "#aec7e8", "#ffbb78")
#: One colour per run on the monitoring chart, in the order the runs started.
RUN_COLORS = ("#000000", "#2ca02c", "#e377c2", "#17becf", "#bcbd22", "#8c564b")
#: The user's own runs on the planning map: drawn over and labelled above the published ones.
OWN = {"marker": "*", "s": 150, "color": "#ff7f0e", "edgecolor": "black", "linewidths": 0.6, "zorder": 5}
REFERENCE = {"marker": "o", "s": 16, "color": "0.35", "zorder": 4}
#: Shapes telling phase kinds apart on the monitoring chart, in `data.phases` order.
KIND_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "p", "*", "d")


def _power(value: float) -> str:
    """A FLOP value as the one display function writes it, with the exponent raised
    (mathtext): 1.0×10^26 is written 10^26, as the law writes its lines."""
    mantissa, exponent = sig2(int(value) if float(value).is_integer() else value).split("×10^")
    return f"$10^{{{exponent}}}$" if mantissa == "1.0" else f"{mantissa}×$10^{{{exponent}}}$"


def _groups(lines: dict[str, float]) -> list[tuple[list[str], float]]:
    """Line ids sharing one value, in first-seen order: drawn once, named together."""
    groups: dict[float, list[str]] = {}
    for tid, value in lines.items():
        groups.setdefault(float(value), []).append(tid)
    return [(ids, value) for value, ids in groups.items()]


def _group_label(ids: Sequence[str], value: float) -> str:
    """`ca-sb53 = ny-raise = 10^26`: every line at this value, named on the line."""
    return " = ".join([*ids, _power(value)])


def _colors(ids: Iterable[str]) -> dict[str, str]:
    """A distinct colour per line: the table's for known ids, the next free one otherwise."""
    spare = iter(EXTRA_COLORS * 4)
    return {tid: COLORS.get(tid) or next(spare) for tid in ids}


def _group_colors(lines: dict[str, float]) -> dict[str, str]:
    """One colour per value: every id at a value takes its group's first colour."""
    colors = _colors(lines)
    return {tid: colors[ids[0]] for ids, _ in _groups(lines) for tid in ids}


def _legend(ax, **kwargs) -> None:
    """Outside the axes, on the right: a legend never covers data (saved with tight bbox)."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def _renderer(fig: Figure):
    """An Agg renderer for measuring text before the figure is saved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


#: Where a run's label may go from its point, nearest first: directions × distances (points).
DIRECTIONS = ((1, 0.6), (1, -0.6), (-1, 0.6), (-1, -0.6), (0, 1), (0, -1), (1, 0), (-1, 0),
              (1, 1.6), (1, -1.6), (-1, 1.6), (-1, -1.6))
DISTANCES = (4, 12, 22, 34, 48, 64, 84)
#: Beyond this distance (points) a thin leader line joins the label to its point.
LEADER_FROM = 10


class _Layout:
    """The text boxes already placed on one axes (display coordinates). A new text takes
    the first candidate spot that lies inside the axes and touches none of them."""

    def __init__(self, ax, pad: float = 2.0):
        self.ax, self.pad = ax, pad
        self.renderer = _renderer(ax.figure)
        self.frame = ax.get_window_extent(self.renderer).padded(-pad)
        self.taken: list = []
        self.crossing = np.empty((0, 2))  # points of drawn lines: text avoids them where it can

    def free(self, box, *, lines: bool = False) -> bool:
        inside = (box.x0 >= self.frame.x0 and box.x1 <= self.frame.x1
                  and box.y0 >= self.frame.y0 and box.y1 <= self.frame.y1)
        if not inside or any(box.overlaps(other) for other in self.taken):
            return False
        p, x, y = self.pad, self.crossing[:, 0], self.crossing[:, 1]
        return not (lines and np.any((x > box.x0 - p) & (x < box.x1 + p) & (y > box.y0 - p) & (y < box.y1 + p)))

    def keep_off(self, line: Line2D) -> None:
        """Prefer spots off this line (run names then leave lines free for their own labels)."""
        self.crossing = np.concatenate([self.crossing, _visible_path(line, self.frame, 600)])

    def overlap(self, box) -> float:
        """How badly a spot fails: area over other boxes, plus area outside the axes."""
        area = sum(max(0.0, min(box.x1, o.x1) - max(box.x0, o.x0)) * max(0.0, min(box.y1, o.y1) - max(box.y0, o.y0))
                   for o in self.taken)
        inside = (max(0.0, min(box.x1, self.frame.x1) - max(box.x0, self.frame.x0))
                  * max(0.0, min(box.y1, self.frame.y1) - max(box.y0, self.frame.y0)))
        return area + 10 * (box.width * box.height - inside)

    def take(self, box) -> None:
        self.taken.append(box.padded(self.pad))

    def mark(self, xy: tuple[float, float], radius: float) -> None:
        """Keep a marker at data point `xy` clear of text (radius in points)."""
        x, y = self.ax.transData.transform((float(xy[0]), float(xy[1])))
        r = radius * self.ax.figure.dpi / 72
        from matplotlib.transforms import Bbox
        self.taken.append(Bbox([[x - r, y - r], [x + r, y + r]]))

    def avoid(self, line: Line2D, radius: float = 3.0) -> None:
        """Keep a drawn line (its path and markers) clear of text."""
        from matplotlib.transforms import Bbox
        r = radius * self.ax.figure.dpi / 72
        self.taken += [Bbox([[x - r, y - r], [x + r, y + r]]) for x, y in _visible_path(line, self.frame, 400)]

    def label_point(self, xy: tuple[float, float], text: str, **style) -> Text:
        """The run's name next to its point, as near as a free spot allows; a thin leader
        line when it had to go further than `LEADER_FROM` points."""
        best = None
        for off_lines in (True, False):  # off every line if a spot allows, else across one
            for distance in DISTANCES:
                for direction in DIRECTIONS:
                    ann = _annotate(self.ax, text, xy, direction, distance, **style)
                    whole = ann.get_window_extent(self.renderer)  # the text and its leader
                    if self.free(whole, lines=off_lines):
                        self.take(whole)
                        return ann
                    score = self.overlap(whole)
                    if best is None or score < best[0]:
                        best = (score, direction, distance)
                    ann.remove()
        ann = _annotate(self.ax, text, xy, best[1], best[2], **style)  # nowhere free: the least crowded spot
        self.take(ann.get_window_extent(self.renderer))
        return ann

    def label_line(self, line: Line2D, text: str, color: str, fractions: Sequence[float], **style) -> Text | None:
        """`text` on the line itself, turned to its slope, at the first of `fractions` (of
        its visible length) where it is free; a white box cuts the line under it."""
        shown = _visible_path(line, self.frame)
        if len(shown) < 3:
            return None
        best = None
        head, _, value = text.rpartition(" = ")
        for words in (text, f"{head}\n= {value}") if head else (text,):  # too long: the value below
            for shift in (0, 7, -7):  # on the line, else just above or below it
                for f in fractions:
                    t = _on_line(self.ax, shown, f, words, color, shift, **style)
                    box = t.get_window_extent(self.renderer)
                    if self.free(box):
                        self.take(box)
                        return t
                    score = self.overlap(box) + abs(shift)
                    if best is None or score < best[0]:
                        best = (score, f, shift, words)
                    t.remove()
        t = _on_line(self.ax, shown, best[1], best[3], color, best[2], **style)  # nowhere free: least crowded
        self.take(t.get_window_extent(self.renderer))
        return t


def _visible_path(line: Line2D, frame, samples: int = 200) -> np.ndarray:
    """The line in display points, resampled evenly along its length, where it lies
    inside `frame` (works for data lines and axhline alike)."""
    xy = line.get_transform().transform(np.column_stack(line.get_data()))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) < 2:
        return xy
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    at = np.linspace(0.0, along[-1], samples)
    even = np.column_stack([np.interp(at, along, xy[:, 0]), np.interp(at, along, xy[:, 1])])
    return even[[frame.contains(x, y) for x, y in even]]


def _annotate(ax, text: str, xy, direction: tuple[float, float], distance: float, **style):
    """`text` at `distance` points from `xy` in `direction`, aligned away from the point."""
    ux, uy = direction
    return ax.annotate(text, xy, xytext=(ux * distance, uy * distance), textcoords="offset points",
                       ha="left" if ux > 0 else "right" if ux < 0 else "center",
                       va="bottom" if uy > 0 else "top" if uy < 0 else "center",
                       arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.45", "shrinkA": 1, "shrinkB": 3}
                       if distance > LEADER_FROM else None, **style)


def _on_line(ax, shown: np.ndarray, f: float, text: str, color: str, shift: float = 0, **style) -> Text:
    """`text` centred on the visible line (display points `shown`) at fraction `f` of its
    length, turned to the line's slope there and kept upright; `shift` points off it."""
    i = min(max(int(round(f * (len(shown) - 1))), 1), len(shown) - 2)
    (x0, y0), (x1, y1) = shown[i - 1], shown[i + 1]
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    normal = np.array([-math.sin(math.radians(angle)), math.cos(math.radians(angle))])
    at = shown[i] + normal * shift * ax.figure.dpi / 72
    return ax.text(*ax.transData.inverted().transform(at), text, color=color, rotation=angle,
                   rotation_mode="anchor", ha="center", va="center", fontsize=8, zorder=6,
                   bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"}, **style)


def _intervals(ax, xs, ys, lo, hi, **kwargs) -> None:
    """Points with low–high whiskers: on a log axis a bar's base would be an arbitrary
    floor, a point and its interval are what the numbers say."""
    gid = kwargs.pop("gid", None)
    points, caps, whiskers = ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", capsize=3, ms=5, **kwargs)
    points.set_gid(gid)
    for artist in (*caps, *whiskers):
        artist.set_gid(f"interval of {gid}")


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


def _hlines(ax, lines: dict[str, float], colors: dict[str, str], layout: _Layout | None = None, **style) -> None:
    """Horizontal threshold lines, one colour and one label per value (`a = b = 10^26`),
    the label on the line at the right; every id keeps its own artist (gid)."""
    for ids, value in _groups(lines):
        for k, tid in enumerate(ids):
            artist = ax.axhline(value, color=colors[ids[0]], lw=1, gid=f"threshold:{tid}",
                                label=_group_label(ids, value) if k == 0 else "_nolegend_", **style)
        if layout is not None:
            label = _group_label(ids, value)
            layout.label_line(artist, label, colors[ids[0]], (0.88, 0.7, 0.5, 0.3, 0.12), gid=f"line-label:{label}")


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
    line = base_compute / 3
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


def ledger_series(rows, model: str | None = None) -> tuple[list[int], list[float]]:
    """(step_end, the model's cumulative FLOP) of every run as one series, for callers
    that draw a single line; `ledger_runs` keeps the runs apart (one line each)."""
    runs = ledger_runs(rows, model)
    return [s for r in runs for s in r.steps], [float(c) for r in runs for c in r.cumulative]
