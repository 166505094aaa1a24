"""Charts carry the right elements: inspected on the returned Figure, not by pixels."""
from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from flopcount.records import plot
from flopcount import estimate  # noqa: E402
from flopcount.inputs.plan import load_plan  # noqa: E402
from flopcount.count.grid import accelerator_days, crossed_grid, modification_tokens, tokens_at  # noqa: E402

from conftest import ROOT  # noqa: E402


def by_gid(fig, prefix):
    ax = fig.axes[0]
    return {a.get_gid(): a for a in [*ax.lines, *ax.patches, *ax.collections]
            if a.get_gid() and a.get_gid().startswith(prefix)}


def test_planning_map_lines_and_points():
    fig = plot.planning_map([("mine", 7e9, 2e12)])
    lines = by_gid(fig, "threshold:")
    assert set(lines) == {"threshold:eu-gpai", "threshold:eu-systemic-risk", "threshold:ca-sb53", "threshold:ny-raise"}
    n, d = lines["threshold:eu-systemic-risk"].get_data()
    assert np.allclose(6 * n * d, 1e25)  # iso-compute: 6·N·D = 1e25 everywhere on the line
    cn, cd = by_gid(fig, "chinchilla")["chinchilla"].get_data()
    assert np.allclose(cd / cn, 20)
    assert "mine" in [t.get_text() for t in fig.axes[0].texts]


def test_run_chart_marks_the_crossing():
    steps = list(range(1, 11))
    cum = [s * 3e24 for s in steps]  # 3e24 per step: crosses 1e25 at step 4 (1.2e25)
    fig = plot.run_chart(steps, cum, planned_steps=20)
    marker = by_gid(fig, "crossing:")["crossing:eu-systemic-risk"]
    assert marker.get_data()[0][0] == 4
    assert by_gid(fig, "threshold:")["threshold:eu-systemic-risk"].get_ydata()[0] == 1e25
    proj = by_gid(fig, "projection")["projection"]
    assert proj.get_xdata()[-1] == 20 and proj.get_ydata()[-1] == pytest.approx(3e25 + 10 * 3e24)
    assert "crossing:ca-sb53" not in by_gid(fig, "crossing:")


def test_methods_chart_has_each_method_and_lines():
    result = estimate(load_plan(ROOT / "examples/plans/llama-3.1-405b.yaml"))
    fig = plot.methods_chart(result)
    points = by_gid(fig, "method:")
    assert set(points) == {"method:full", "method:6ND", "method:hardware"}
    hw = points["method:hardware"].get_ydata()[0]
    assert hw == pytest.approx(result.phases[0].estimates["hardware"].total)
    assert not fig.axes[0].patches  # intervals as points and whiskers, no bars from a log floor
    assert by_gid(fig, "threshold:")["threshold:eu-systemic-risk"].get_ydata()[0] == 1e25


def test_finetune_budget():
    """Base 7.2e23, N = 8e9: one third = 2.4e23; full fine-tuning budget 2.4e23 / 4.8e10 = 5e12 tokens."""
    assert modification_tokens(7.2e23, 8e9) == pytest.approx(5e12)
    fig = plot.finetune_budget_chart(7.2e23, 8e9)
    point = by_gid(fig, "budget:")["budget:full fine-tuning (6·N)"]
    assert point.get_data()[0][0] == pytest.approx(5e12) and point.get_data()[1][0] == pytest.approx(2.4e23)


def test_hardware_budget():
    """H100 SXM at bf16 989.4e12 and U = 0.4: 1e25 / (989.4e12 · 0.4 · 86,400)
    = 1e25 / 3.4194e19 = 292,452 GPU-days."""
    assert float(accelerator_days(1e25, "h100-sxm", "bf16", 0.4)) == pytest.approx(292_452, rel=1e-5)
    fig = plot.hardware_budget_chart(["h100-sxm", "a100"], utilization=(0.4, 0.4))
    days = by_gid(fig, "threshold:")["threshold:eu-systemic-risk"].get_ydata()
    assert days[0] == pytest.approx(292_452, rel=1e-5)  # h100-sxm first, then a100


def test_vectorised_grid_is_fast_and_right():
    params, tokens = np.logspace(8, 13, 1000), np.logspace(9, 14, 1000)
    start = time.perf_counter()
    grids = crossed_grid(params, tokens)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # the bound; typically ~20 ms
    i, j = 500, 700
    assert grids["eu-systemic-risk"][i, j] == (6 * params[i] * tokens[j] > 1e25)
    assert np.allclose(6 * params * tokens_at(1e23, params), 1e23)


def test_plot_cli(tmp_path):
    from flopcount.cli import main
    for argv in (["planning"], ["hardware"], ["methods", str(ROOT / "examples/plans/gpt3-175b.yaml")],
                 ["finetune", str(ROOT / "examples/configs/llama-3.1-8b.json"), "--base-compute", "7.2e23"]):
        out = tmp_path / f"{argv[0]}.svg"
        assert main(["plot", *argv, "-o", str(out)]) == 0 and out.stat().st_size > 1000
    assert main(["plot", "finetune", str(ROOT / "examples/configs/llama-3.1-8b.json"), "-o", str(tmp_path / "x.png")]) == 2


def _legend_outside(fig) -> bool:
    ax = fig.axes[0]
    legend = ax.get_legend()
    fig.canvas.draw()
    box, frame = legend.get_window_extent(), ax.get_window_extent()
    return box.x0 >= frame.x1  # entirely right of the axes: covers no data


def test_legends_sit_outside_the_data():
    result = estimate(load_plan(ROOT / "examples/plans/llama-3.1-405b.yaml"))
    figs = [plot.planning_map(), plot.run_chart([1, 2, 3], [1e24, 2e24, 3e24]), plot.methods_chart(result),
            plot.finetune_budget_chart(7.2e23, 8e9), plot.hardware_budget_chart(["h100-sxm"])]
    assert all(_legend_outside(f) for f in figs)


def test_run_chart_projects_without_a_plan_and_colours_custom_lines():
    """Two points are enough for a projection (to twice the steps so far when no planned
    end is given); custom line ids get distinct colours, not one default."""
    fig = plot.run_chart([10, 20], [1e20, 2e20], lines={"a": 1e21, "b": 2e21, "c": 3e21})
    proj = by_gid(fig, "projection")["projection"]
    assert proj.get_xdata()[-1] == 40 and proj.get_ydata()[-1] == pytest.approx(4e20)
    colours = {by_gid(fig, "threshold:")[f"threshold:{k}"].get_color() for k in "abc"}
    assert len(colours) == 3


def test_planning_map_labels_each_run_once():
    from flopcount.data.models import PUBLISHED_RUNS
    run = PUBLISHED_RUNS[0]
    points = [(r.name, r.params, r.tokens) for r in PUBLISHED_RUNS] + [(run.name, run.params, run.tokens)]
    fig = plot.planning_map(points)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid().startswith("label:")]  # lines are labelled too
    assert labels.count(run.name) == 1 and len(labels) == len(PUBLISHED_RUNS)
