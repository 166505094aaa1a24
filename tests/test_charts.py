"""Charts checked the way a person reads them (issue 30 point 6, issue 25): rendered to PNG
with Agg, every visible text box measured with `get_window_extent`, no two may touch."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.text import Text  # noqa: E402

from flopcount.records import plot
from flopcount.cli import main  # noqa: E402
from flopcount import estimate  # noqa: E402
from flopcount.ledger import Ledger, Row  # noqa: E402
from flopcount.run import ComputeMonitor, ThresholdWarning  # noqa: E402
from flopcount.inputs.plan import load_plan  # noqa: E402

from conftest import ROOT  # noqa: E402

PLANS = ROOT / "examples" / "plans"
PLAN_70B = """flopcount_plan: 1
name: OurLab-70B
model: {name: OurLab-70B, params: 70B}
seq_len: 8192
attention: causal
phases:
  - {name: pre-training, kind: pre-training, tokens: 15T,
     hardware: {accelerator: h100-sxm, gpus: 4096, days: 60, precision: bf16}}
"""


def plan_70b(tmp_path):
    """The example 70B plan (Llama-style, 15T tokens, 4,096 H100 × 60 days), or the same in tmp."""
    if (PLANS / "ourlab-70b.yaml").exists():
        return PLANS / "ourlab-70b.yaml"
    path = tmp_path / "ourlab-70b.yaml"
    path.write_text(PLAN_70B)
    return path


def own_point(path):
    plan = load_plan(path)
    tokens = sum(p.tokens or 0 for p in plan.phases if p.kind.training)
    return plan.name, estimate(plan).plan.model.active_params, tokens


def _shown(t: Text, ax) -> bool:
    """Drawn and not empty; tick labels only for ticks inside the view (the others are not drawn)."""
    if not t.get_visible() or not t.get_text().strip():
        return False
    for axis, lim, k in ((ax.xaxis, ax.get_xlim(), 0), (ax.yaxis, ax.get_ylim(), 1)):
        if t in axis.get_ticklabels(which="both"):
            return min(lim) * (1 - 1e-9) <= t.get_position()[k] <= max(lim) * (1 + 1e-9)
    return True


def text_boxes(fig, png):
    """(text, box) of every visible text, after rendering `fig` to `png` with Agg. Legend
    entries are left out only when the legend lies wholly outside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.savefig(png)  # rendered for real, with Agg, as a person would see it
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend()
    apart = legend is not None and legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    skip = set(legend.get_texts()) | {legend.get_title()} if apart else set()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in fig.findobj(Text)
            if t not in skip and _shown(t, ax)]


def overlaps(boxes):
    return [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]


def planning_7b_70b(tmp_path, **kwargs):
    return plot.planning_map([own_point(PLANS / "ourlab-7b.yaml"), own_point(plan_70b(tmp_path))], **kwargs)


def run_labels(fig):
    return {t.get_gid().removeprefix("label:"): t for t in fig.axes[0].texts if (t.get_gid() or "").startswith("label:")}


def test_point6_no_overlapping_labels_planning(tmp_path):
    """The 7B plan sits on Llama 2 7B's point (same architecture, 2T tokens): both names
    readable, every text clear of every other (tick labels included), each label near its point."""
    for own in ([own_point(PLANS / "ourlab-7b.yaml")],
                [own_point(PLANS / "ourlab-7b.yaml"), own_point(plan_70b(tmp_path))]):
        fig = plot.planning_map(own)
        boxes = text_boxes(fig, tmp_path / "planning.png")
        assert not overlaps(boxes), overlaps(boxes)
        labels = run_labels(fig)
        assert {"OurLab-7B", "Llama 2 7B", "Llama 3.1 405B"} <= set(labels), set(labels)
        renderer = fig.canvas.get_renderer()
        for name, t in labels.items():  # a label within ~60 points of its point (405B was far off)
            x, y = fig.axes[0].transData.transform(t.xy)
            box = Text.get_window_extent(t, renderer)
            gap = math.hypot(max(box.x0 - x, 0, x - box.x1), max(box.y0 - y, 0, y - box.y1))
            assert gap <= 60 * fig.dpi / 72, (name, gap)


def test_point6_own_runs_emphasised(tmp_path):
    fig = planning_7b_70b(tmp_path)
    labels = run_labels(fig)
    assert labels["OurLab-7B"].get_fontweight() == "bold" and labels["OurLab-70B"].get_fontweight() == "bold"
    assert labels["Llama 2 7B"].get_fontweight() == "normal"
    sizes = {c.get_gid(): c.get_sizes()[0] for c in fig.axes[0].collections if c.get_gid()}
    assert sizes["own:OurLab-7B"] > 4 * sizes["reference:Llama 2 7B"]


def test_point6_threshold_lines_merged_and_labelled(tmp_path):
    """ca-sb53 and ny-raise share 10^26: one colour, one label naming both, and that label
    (like every line's) sits on its line: 6·N·D at the label's centre is the line's value."""
    fig = planning_7b_70b(tmp_path)
    ax = fig.axes[0]
    lines = {a.get_gid(): a for a in ax.lines if (a.get_gid() or "").startswith("threshold:")}
    assert lines["threshold:ca-sb53"].get_color() == lines["threshold:ny-raise"].get_color()
    assert lines["threshold:ca-sb53"].get_color() != lines["threshold:eu-systemic-risk"].get_color()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("ca-sb53 = ny-raise = $10^{26}$") == 1
    assert not [t for t in texts if t.startswith("ny-raise")]  # never a label of its own, hidden under another
    renderer = fig.canvas.get_renderer()
    on_line = {"eu-gpai = $10^{23}$": 1e23, "eu-systemic-risk = $10^{25}$": 1e25, "ca-sb53 = ny-raise = $10^{26}$": 1e26}
    for t in ax.texts:
        if t.get_text() in on_line:
            n, d = ax.transData.inverted().transform(t.get_window_extent(renderer).get_points().mean(axis=0))
            assert abs(math.log10(6 * n * d / on_line[t.get_text()])) < 0.03, t.get_text()
            assert t.get_color() == lines["threshold:" + t.get_text().split(" ")[0]].get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("ca-sb53 = ny-raise = $10^{26}$") == 1
    run = plot.run_chart([1, 2, 3], [1e24, 2e24, 3e24])  # the monitoring chart: the same, horizontally
    assert [t.get_text() for t in run.axes[0].texts].count("ca-sb53 = ny-raise = $10^{26}$") == 1
    assert not overlaps(text_boxes(run, tmp_path / "run.png"))


def test_point6_no_reference(tmp_path):
    own = [own_point(PLANS / "ourlab-7b.yaml")]
    fig = plot.planning_map(own, reference=False)
    assert set(run_labels(fig)) == {"OurLab-7B"}
    assert not [c for c in fig.axes[0].collections if (c.get_gid() or "").startswith("reference:")]
    assert "Llama 2 7B" in run_labels(plot.planning_map(own))  # shown by default
    out = tmp_path / "mine.png"
    assert main(["plot", "planning", str(PLANS / "ourlab-7b.yaml"), "--no-reference", "-o", str(out)]) == 0
    assert out.stat().st_size > 1000


def two_run_ledger(path, *, kinds: bool = False):
    """A real ledger written by the monitor: run-a then run-b of one model, both counting
    steps from 0 (3e21 and 4e21 FLOP a step, 20 steps, a row every 5); with `kinds`, a
    synthetic-data run (10 × 1e21, cumulative only) and a distillation-teacher row (5e21,
    counted in neither total)."""
    runs = [("run-a", "pre-training", 3 * 10**21, 20), ("run-b", "pre-training", 4 * 10**21, 20)]
    if kinds:
        runs = [runs[0], ("synth", "synthetic-data", 10**21, 10)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        for run, phase, per_step, steps in runs:
            with ComputeMonitor("our-7b", run=run, phase=phase, ledger=path, flush_every=5, flush_seconds=None,
                                handle_signals=False) as monitor:
                for _ in range(steps):
                    monitor.step(per_step, tokens=1000)
    if kinds:
        with Ledger(path) as ledger:
            ledger.append(Row(run="teacher", model="our-7b", phase="teacher", phase_kind="distillation-teacher",
                              row_kind="train", step_start=0, step_end=10, flops_measured=5 * 10**21))


def test_point6_plot_run_one_line_per_run(tmp_path):
    """Two runs whose steps both start at 0: two lines, each going forward in steps (was
    one line running back from step 20 to 5); run-b continues the model's total."""
    path = tmp_path / "two.db"
    two_run_ledger(path)
    with Ledger(path, create=False) as ledger:
        runs = plot.ledger_runs(ledger.rows())
    assert [r.run for r in runs] == ["run-a", "run-b"]
    assert runs[0].steps == [5, 10, 15, 20] and runs[1].steps == [5, 10, 15, 20]
    assert runs[0].cumulative[-1] == 20 * 3 * 10**21  # 6e22 exactly
    assert runs[1].cumulative[-1] == 20 * 3 * 10**21 + 20 * 4 * 10**21  # 1.4e23: earlier runs included
    fig = plot.run_chart(runs=runs, planned_steps=40)
    lines = {a.get_gid(): a for a in fig.axes[0].lines if (a.get_gid() or "").startswith("run:")}
    assert set(lines) == {"run:run-a", "run:run-b"}
    assert all(np.all(np.diff(line.get_xdata()) > 0) for line in lines.values())
    crossing = [a for a in fig.axes[0].lines if a.get_gid() == "crossing:eu-gpai"]
    assert crossing and crossing[0].get_xdata()[0] == 10  # 6e22 + 10 × 4e21 = 1.0e23; passed at step 10 (1.0e23 + 0)
    assert not overlaps(text_boxes(fig, tmp_path / "run.png"))
    out = tmp_path / "cli.png"
    assert main(["plot", "run", str(path), "--planned-steps", "40", "-o", str(out)]) == 0


def test_point6_subcommand_help(capsys):
    """`plot KIND --help` is that chart's help: its own options and examples, not plot's."""
    helps = {}
    for kind in ("planning", "run", "methods", "finetune", "hardware"):
        with pytest.raises(SystemExit) as exit_:
            main(["plot", kind, "--help"])
        assert exit_.value.code == 0
        helps[kind] = capsys.readouterr().out
        assert helps[kind].startswith(f"usage: flopcount plot {kind}"), helps[kind][:80]
        assert f"flopcount plot {kind} " in helps[kind].split("examples:")[1]
    assert "--no-reference" in helps["planning"] and "--planned-steps" not in helps["planning"]
    assert "--planned-steps" in helps["run"] and "--lora-rank" not in helps["run"]
    assert "--base-compute" in helps["finetune"] and "--no-reference" not in helps["finetune"]
    assert "--precision" in helps["hardware"] and "--model" not in helps["hardware"]


def test_issue25_run_chart_labels_by_kind(tmp_path):
    """Rows are labelled by phase kind and counted as `data.phases` says: synthetic data
    toward cumulative compute only, a distillation teacher in neither total (shown with its
    FLOP, never added to a line). Pre-training 20 × 3e21 = 6e22; synthetic 10 × 1e21 = 1e22."""
    path = tmp_path / "kinds.db"
    two_run_ledger(path, kinds=True)
    with Ledger(path, create=False) as ledger:
        rows = list(ledger.rows())
    runs = plot.ledger_runs(rows)
    synth = next(r for r in runs if r.run == "synth")
    assert synth.training[-1] == 6 * 10**22 and synth.cumulative[-1] == 7 * 10**22  # teacher's 5e21 in neither
    assert plot.ledger_series(rows)[1][-1] == 7e22
    teacher = next(r for r in runs if r.run == "teacher")
    assert teacher.steps == [] and teacher.uncounted == [(10, 5 * 10**21, "distillation-teacher")]
    fig = plot.run_chart(runs=runs, lines={"eu-gpai": 6.5e22, "eu-systemic-risk": 6.5e22})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "pre-training: counts toward training and cumulative compute" in legend
    assert "synthetic-data: counts toward cumulative compute only" in legend
    assert any(t.startswith("distillation-teacher (run teacher): 5.0×$10^{21}$ FLOP, counted in neither total")
               for t in legend), legend
    assert not [t for t in legend if "training FLOP" in t]
    crossed = {a.get_gid() for a in fig.axes[0].lines if (a.get_gid() or "").startswith("crossing:")}
    assert crossed == {"crossing:eu-systemic-risk"}  # cumulative 7e22 passes 6.5e22; training 6e22 does not
    assert not overlaps(text_boxes(fig, tmp_path / "kinds.png"))
