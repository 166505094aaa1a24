"""What every chart shares: the threshold lines' colours and labels, the run colours and
markers, FLOP written as powers of ten, the legend's place, intervals and horizontal
threshold lines. One place, so the planning map, the run chart and a suite's page
(suite_page.py) draw a line in the same colour with the same label.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from ..data.thresholds import THRESHOLDS
from ..boundary.numbers import sig2

if TYPE_CHECKING:
    from .plot_layout import _Layout

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


def _intervals(ax, xs, ys, lo, hi, **kwargs) -> None:
    """Points with low–high whiskers: on a log axis a bar's base would be an arbitrary
    floor, a point and its interval are what the numbers say."""
    gid = kwargs.pop("gid", None)
    points, caps, whiskers = ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", capsize=3, ms=5, **kwargs)
    points.set_gid(gid)
    for artist in (*caps, *whiskers):
        artist.set_gid(f"interval of {gid}")


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
