"""An upper bound never becomes a confident verdict (issues 25 and 28), wherever the rule
that reads it lives: the presumption for a modification of a systemic-risk model, the GPAI
row that follows from systemic risk, the obligations block, and the text's totals. And a
one-third rule that does not apply (a non-GPAI base) makes nobody a provider by it.

Found by an independent review of the verdict engine; each case failed before the fix.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=ROOT)


def write(tmp_path: Path, plan: dict) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"flopcount_plan": 1, **plan}))
    return str(path)


#: A fine-tune of a systemic-risk base (4e25 FLOP) whose tokens are only a maximum: 6 × 8e9 × 1e15
#: = 4.8e25 FLOP at most, over one third of the base (1.33e25) only as an upper bound.
MODIFICATION = {"name": "ub", "model": {"name": "tuned", "params": 8_000_000_000}, "seq_len": 4096,
                "base_model": {"name": "base", "training_compute": "4e25", "systemic_risk": True},
                "phases": [{"name": "ft", "kind": "fine-tuning", "tokens": 10**15, "upper_bound": True}]}
#: Exact pre-training of 6 × 8e9 × 1e9 = 4.8e19 FLOP, then non-public synthetic data of at most
#: 2 × 4e11 × 2e13 = 1.6e25 FLOP (cumulative compute only).
SYNTHETIC = {"name": "ub2", "model": {"name": "small", "params": 8_000_000_000}, "seq_len": 4096,
             "phases": [{"name": "pt", "kind": "pre-training", "tokens": 10**9},
                        {"name": "synth", "kind": "synthetic-data", "public": False,
                         "model": {"name": "big", "params": 400_000_000_000}, "tokens": 2 * 10**13,
                         "upper_bound": True}]}


def rows(out: str) -> dict:
    return {t["id"]: t for t in json.loads(out)["thresholds"]}


def test_presumption_by_an_upper_bound_modification_is_at_most(tmp_path):
    out = run("estimate", write(tmp_path, MODIFICATION), "--json")
    assert out.returncode == 0, out.stderr
    systemic = rows(out.stdout)["eu-systemic-risk"]
    assert (systemic["status"], systemic["bound"]) == ("at most", "upper")
    assert systemic["duty"].startswith("only if the run trains past one third")
    eu = json.loads(out.stdout)["obligations"]["eu"]
    assert (eu["systemic_risk"], eu["notify"]["status"]) == ("at_most", "conditional")
    assert eu["duties"]["art55"]["status"] == "conditional"
    text = run("estimate", write(tmp_path, MODIFICATION)).stdout
    assert "  with base model    at most " in text
    assert "eu-systemic-risk  > 1.0×10^25  cumulative        AT MOST" in text


def test_record_verdict_line_of_an_upper_bound_modification(tmp_path):
    out = run("record", "--plan", write(tmp_path, MODIFICATION), "--provider", "X", "-o", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "r.json").read_text())
    systemic = next(t for t in record["thresholds"] if t["id"] == "eu-systemic-risk")
    assert systemic["status"] == "at most"
    assert "systemic risk at most" in (tmp_path / "r.md").read_text()
    assert run("record", "--check", str(tmp_path / "r.json")).returncode == 0


def test_gpai_row_follows_an_upper_bound_systemic_row_as_at_most(tmp_path):
    out = run("estimate", write(tmp_path, SYNTHETIC), "--json")
    assert out.returncode == 0, out.stderr
    by_id = rows(out.stdout)
    assert by_id["eu-systemic-risk"]["status"] == "at most"
    assert (by_id["eu-gpai"]["status"], by_id["eu-gpai"]["bound"]) == ("at most", "upper")
    eu = json.loads(out.stdout)["obligations"]["eu"]
    assert eu["systemic_risk"] == "at_most" and eu["notify"]["status"] == "conditional"
    assert "crossed" not in json.dumps(by_id).lower() and "presumed" not in {r["status"] for r in by_id.values()}


def test_a_non_gpai_base_makes_no_provider_by_the_one_third_rule(tmp_path):
    plan = {"name": "ng", "model": {"name": "tuned", "params": 8_000_000_000}, "seq_len": 4096,
            "base_model": {"name": "base", "training_compute": "1e22", "gpai": False},
            "phases": [{"name": "ft", "kind": "fine-tuning", "tokens": 10**9}]}
    out = run("record", "--plan", write(tmp_path, plan), "--provider", "X", "-o", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "r.json").read_text())
    rule = record["lineage"]["modification_rule"]
    assert (rule["status"], rule["becomes_provider"]) == ("not applicable", False)
    assert "becomes a provider" not in (tmp_path / "r.md").read_text()
    assert record["obligations"]["eu"]["provider"] == "original"


BRIDGE = ROOT / "tests/recipes/megatron-bridge"


def test_megatron_bridge_early_exits(tmp_path):
    """Megatron-Bridge's TrainingConfig stops as Megatron-LM does: exit_interval caps the
    iterations (10 of 100: 10 × 8 × 4096 = 327,680 tokens), exit_duration_in_mins makes the
    length a maximum, never "crossed" (NVIDIA's llama32_1b_pretrain.yaml with each key added)."""
    real = (BRIDGE / "llama32_1b_pretrain.yaml").read_text()
    assert "  train_iters: 100\n" in real
    config = str(BRIDGE / "llama-3.2-1b-config.json")
    for key, value in (("exit_interval", 10), ("exit_duration_in_mins", 10)):
        path = tmp_path / f"{key}.yaml"
        path.write_text(real.replace("  train_iters: 100\n", f"  train_iters: 100\n  {key}: {value}\n", 1))
        out = run("estimate", str(path), "--base-config", config, "--json")
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        phase = data["phases"][0]
        if key == "exit_interval":
            assert (phase["tokens"], phase["bound"]) == (10 * 8 * 4096, None)
        else:
            assert (phase["tokens"], phase["bound"]) == (100 * 8 * 4096, "upper")
            assert data["compute"]["training"]["bound"] == "upper"
            assert all(t["status"] != "crossed" for t in data["thresholds"])


def test_methods_chart_names_an_upper_bound_phase_at_most():
    import matplotlib
    matplotlib.use("Agg")
    from flopcount import estimate
    from flopcount.inputs.plan import plan_from_mapping
    from flopcount.records.plot import methods_chart
    plan = plan_from_mapping({"flopcount_plan": 1, **MODIFICATION}, "ub.yaml")
    labels = [t.get_text() for t in methods_chart(estimate(plan)).axes[0].get_xticklabels()]
    assert labels == ["ft (at most)"]


# --- a second independent review's findings --------------------------------------------------

def test_exact_phases_that_cross_alone_are_crossed_whatever_a_bounded_phase_adds(tmp_path):
    """6 × 400e9 × 15e12 = 3.6e25 FLOP of exact pre-training already crosses 10^25; a later
    continued pre-training that is only a maximum cannot undo it: CROSSED, notify due from the
    first run's start (2025-09-01 + 14 days), not "at most"."""
    plan = {"name": "two", "model": {"params": 400_000_000_000},
            "phases": [{"name": "pre", "kind": "pre-training", "tokens": 15 * 10**12, "start": "2025-09-01"},
                       {"name": "cpt", "kind": "continued-pre-training", "tokens": 10**12, "upper_bound": True,
                        "start": "2025-12-01"}]}
    data = json.loads(run("estimate", write(tmp_path, plan), "--json").stdout)
    systemic = rows(json.dumps(data))["eu-systemic-risk"]
    assert (systemic["status"], systemic["notify_by"], systemic["bound"]) == ("crossed", "2025-09-15", None)
    assert data["compute"]["cumulative"]["bound"] == "upper"   # the total itself is still a maximum
    eu = data["obligations"]["eu"]
    assert (eu["systemic_risk"], eu["notify"]["status"], eu["notify"]["by"]) == ("presumed", "due", "2025-09-15")


def test_an_at_most_row_has_no_firm_notification_date(tmp_path):
    data = json.loads(run("estimate", write(tmp_path, SYNTHETIC), "--json").stdout)
    assert rows(json.dumps(data))["eu-systemic-risk"]["notify_by"] is None
    assert data["obligations"]["eu"]["notify"]["by"] is None


def test_training_at_most_over_gpai_leaves_systemic_risk_no(tmp_path):
    """At most 6 × 70e9 × 1e12 = 4.2e23 FLOP: GPAI for review (the tokens decide), but
    cumulative compute is below 10^25 however the run ends: systemic risk "no", no Art. 55."""
    plan = {"name": "ub", "model": {"params": 70_000_000_000},
            "phases": [{"name": "pre", "kind": "pre-training", "tokens": 10**12, "upper_bound": True}]}
    eu = json.loads(run("obligations", write(tmp_path, plan), "--json").stdout)["eu"]
    assert (eu["gpai"], eu["systemic_risk"], eu["duties"]["art55"]["status"]) == ("review", "no", "not_applicable")


def test_placed_before_chapter_v_crossing_later_is_dated_from_the_crossing_run(tmp_path):
    """On the market 2025-03-01 with 6 × 400e9 × 3e12 = 7.2e24; a run from 2025-10-01 adds
    2.88e25: known then, so notify by 2025-10-15 in the threshold row and in obligations alike."""
    plan = {"name": "pm", "model": {"params": 400_000_000_000}, "placed_on_market": "2025-03-01",
            "phases": [{"name": "pre", "kind": "pre-training", "tokens": 3 * 10**12, "start": "2024-06-01"},
                       {"name": "more", "kind": "continued-pre-training", "tokens": 12 * 10**12,
                        "start": "2025-10-01"}]}
    path = write(tmp_path, plan)
    data = json.loads(run("estimate", path, "--json").stdout)
    assert rows(json.dumps(data))["eu-systemic-risk"]["notify_by"] == "2025-10-15"
    eu = json.loads(run("obligations", path, "--json", "--as-of", "2026-01-01").stdout)["eu"]
    assert eu["notify"]["by"] == "2025-10-15"


def test_a_base_whose_gpai_status_is_not_stated_is_taken_as_one_everywhere(tmp_path):
    plan = {"name": "m", "model": {"params": 70_000_000_000},
            "base_model": {"name": "b", "training_compute": "1e24"},
            "phases": [{"name": "ft", "kind": "fine-tuning", "tokens": 10**12}]}
    data = json.loads(run("estimate", write(tmp_path, plan), "--json").stdout)
    assert rows(json.dumps(data))["eu-gpai"]["status"] == "presumed"
    eu = data["obligations"]["eu"]
    assert eu["gpai"] == "presumed" and "not stated" in eu["why"]["gpai"] and eu["systemic_risk"] == "no"
