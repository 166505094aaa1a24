"""Text placement on a chart: every text placed on the axes (a run's name, a line's label)
goes where it touches no other text and stays inside the axes (`_Layout`), a line's label
on the line, turned to its slope. Apart from the charts because it is geometry, the same
for every chart.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text


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
