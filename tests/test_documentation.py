"""The Model Documentation Form answers in compute records, against hand-worked figures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flopcount.records import form as documentation, record
from flopcount.model.configs import load_spec
from flopcount.boundary.numbers import sig2_plain
from flopcount.inputs.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "examples" / "plans"


def test_llama_405b_form_by_hand():
    """Llama 3.1 405B plan (Meta model card / Llama 3 paper figures):
    - dates 2024-01-15 … 2024-04-30, both included: 17 + 29 + 31 + 30 = 107 wall-clock days;
      107 / (365.25/12) = 3.52 months → "3–6 months";
    - 30.84M GPU-hours / 24 = 1,285,000 hardware-days;
    - energy 30.84M h × 0.7 kW × PUE (1.10 + 1.58)/2 = 1.34 → 28,928 MWh → "29,000";
    - compute 3.9×10^25, order of magnitude 10^25;
    - inference: one 8,192-token sequence with a KV cache, by hand below."""
    plan = load_plan(PLANS / "llama-3.1-405b.yaml")
    form = record.build(plan=plan)["documentation_form"]
    assert form["general"] == {"released": "2024-07-23", "placed_on_eu_market": "2024-07-23",
                               "modalities": ["text"], "dependencies": "N/A"}
    assert form["training_time"] == {"wall_clock_days": 107.0, "hardware_days": 1_285_000.0,
                                     "range": "3–6 months"}
    assert form["compute"]["flop"] == "3.9×10^25" and form["compute"]["order_of_magnitude"] == "10^25"
    assert form["energy"]["mwh"] == "29,000" and form["energy"]["method"] == "estimated"
    assert 30.84e6 * 0.7 * 1.34 == pytest.approx(28_927.92e3)
    # Llama 3.1 405B: 126 layers, d 16384, 128 heads of 128, 8 KV heads, MLP 53248, vocab 128256.
    L, d, h, kv, hd, f, v, T = 126, 16384, 128, 8, 128, 53248, 128256, 8192
    linear = 2 * (L * (d * h * hd + 2 * d * kv * hd + h * hd * d + 3 * d * f) + d * v)
    attention = L * 2 * h * (T * (T + 1) // 2) * (hd + hd)   # token t attends to t cached positions
    inf = form["inference"]
    assert int(inf["flop"]) == T * linear + attention and inf["tokens"] == T and inf["hardware"] is None
    assert "not a hardware benchmark" in inf["method"]


def test_modification_lists_its_base_with_version_and_measures_its_own_compute():
    data = record.build(plan=load_plan(PLANS / "finetune-llama-3.1-8b.yaml"))
    form = data["documentation_form"]
    assert form["general"]["dependencies"] == ["Llama 3.1 8B (version 3.1)"]
    assert form["compute"]["flop"] == data["totals"]["training"]["notified_form"]


def test_energy_not_available_says_why():
    form = record.build(plan=load_plan(PLANS / "gpt3-175b.yaml"))["documentation_form"]
    assert form["energy"]["mwh"] == "not available"
    assert "no accelerator time recorded" in form["energy"]["reason"]
    assert form["training_time"] == {"wall_clock_days": None, "hardware_days": None, "range": None}


@pytest.mark.parametrize("days, label", [(0.5, "<1 month"), (30.4, "<1 month"), (365.25 / 12, "1–3 months"),
                                         (365.25 / 4, "1–3 months"), (92, "3–6 months"), (365.25 / 2, "3–6 months"),
                                         (183, ">6 months")])
def test_time_ranges_at_their_edges(days, label):
    """The form's ranges: under one month, then up to 3 and 6 months inclusive."""
    assert documentation.time_range(days) == label


def test_order_of_magnitude_from_the_exact_integer():
    assert documentation.order_of_magnitude(10**25) == "10^25"
    assert documentation.order_of_magnitude(10**25 - 1) == "10^24"   # log10 of a float says 25.0


def test_sig2_plain():
    assert [sig2_plain(x) for x in (28_927.92, 1320.7040000000002 / 1000, 0.001349, 9.96, 1)] == \
        ["29,000", "1.3", "0.0013", "10", "1.0"]


@pytest.mark.parametrize("utilization, within", [("0.35:0.45", True), ("0.2:0.6", False)])
def test_uncertainty_against_thirty_percent(tmp_path, utilization, within):
    """Hardware only: the central value is at the interval's middle, so the relative
    half-width is (high − low)/(high + low): 0.1/0.8 = 12.5% within, 0.4/0.8 = 50% beyond."""
    plan = tmp_path / "p.yaml"
    plan.write_text("flopcount_plan: 1\nmodel: {params: 70B}\nphases:\n  - kind: pre-training\n"
                    f"    hardware: {{accelerator: h100, gpu_hours: 1M, utilization: '{utilization}'}}\n")
    u = record.build(plan=load_plan(plan))["documentation_form"]["compute"]["uncertainty"]
    assert u["within_accepted"] is within
    assert u["interval_relative"] == pytest.approx(0.125 if within else 0.5, abs=1e-4)
    assert ("within" if within else "beyond") in u["statement"]


def test_encoder_inference_is_one_forward_pass():
    """ViT-B/16 reads 197 positions (196 patches + class token) in one forward pass."""
    from flopcount.model.formulas import forward_flops
    spec = load_spec(ROOT / "examples" / "configs" / "vit-base-patch16-224.json")
    inf = documentation.inference(forward_flops(spec, 197).total, 197, spec.causal)
    assert inf["task"].startswith("one forward pass over one 197-position input")


def test_check_rederives_the_form():
    data = json.loads((ROOT / "examples" / "records" / "llama-3.1-405b.json").read_text())
    assert record.check(data, "r.json") == []
    for path, value in [(("compute", "flop"), "3.8×10^25"), (("training_time", "range"), "1–3 months"),
                        (("energy", "mwh"), "2,900"), (("inference", "flop_per_token"), "1.0×10^12")]:
        bad = json.loads(json.dumps(data))
        bad["documentation_form"][path[0]][path[1]] = value
        assert any(f"documentation_form.{path[0]}" in p for p in record.check(bad, "r.json")), path
    bad = json.loads((ROOT / "examples" / "records" / "finetune-llama-3.1-8b.json").read_text())
    bad["documentation_form"]["general"]["dependencies"] = "N/A"
    assert any("dependencies is N/A" in p for p in record.check(bad, "r.json"))
    del bad["documentation_form"]
    with pytest.raises(Exception, match="documentation_form"):
        record.check(bad, "r.json")
