"""Issue 30, tried as a new user would: points 3, 4, 5 and parts of 7.

Sources: Commission Guidelines C(2025) 5045, Annex A.2 (an estimate is acceptable within
30%; hardware- and architecture-based methods), §2.1 (the 10^23 GPAI criterion is
indicative), §3.2 and ¶64 (a modification is judged against one third of the base
model's training compute; where that can be neither known nor estimated, one third of
10^23, or of 10^25 for a systemic-risk base). H100 SXM dense bf16 peak 989.4 TFLOP/s
(data.accelerators).
"""
from __future__ import annotations

import json
import re

import pytest

from flopcount.cli import main
from flopcount.data.accelerators import ACCELERATORS
from flopcount.data.assumptions import DEFAULT_ATTENTION_REASON
from flopcount import estimate
from flopcount.inputs.plan import plan_from_mapping
from flopcount.law.thresholds import Alternative, Context, evaluate

from conftest import ROOT, hf_model

PLANS = ROOT / "examples" / "plans"
CONFIGS = ROOT / "examples" / "configs"
H100 = next(a for a in ACCELERATORS if a.id == "h100-sxm").peak["bf16"]  # 989.4e12 FLOP/s


def run_json(capsys, *argv) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_text(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def row(out: dict, threshold: str) -> dict:
    return next(t for t in out["thresholds"] if t["id"] == threshold)


# --- Point 3: every method judged against every line ---------------------------------

def test_llama_3_1_70b_config_matches_transformers():
    """The bundled Llama 3.1 70B config builds, in transformers on the meta device, a model
    of 70,553,706,496 parameters (the published "70B"); flopcount counts the same."""
    from flopcount.model.configs import load_spec
    from flopcount.model.spec import count_parameters
    path = CONFIGS / "llama-3.1-70b.json"
    reference = sum(p.numel() for p in hf_model(path).parameters())
    assert reference == 70_553_706_496
    assert count_parameters(load_spec(path)).total == reference


def test_point3_other_method_interval_reaches_line(capsys):
    """OurLab-70B: 15T tokens at T=8192, causal, 4,096 H100 SXM × 60 days in bf16.

    full = 449,226,473,472 FLOP/token × 15T = 6.738×10^24 (6ND 6·70.55e9·15e12 = 6.35×10^24
    plus causal attention and less the embedding lookup), so eu-systemic-risk is BELOW at ×0.674.
    hardware: 4,096 × 60 × 24 = 5,898,240 h × 3,600 s × 989.4e12 = 2.1009×10^25 at U = 1;
    × 0.3 / 0.4 / 0.5 = 6.3×10^24 / 8.4×10^24 / 1.05×10^25 — its interval reaches over 10^25.
    The methods agree at U = 6.738e24 / 2.1009e25 = 32.07%.
    """
    out = run_json(capsys, "estimate", str(PLANS / "ourlab-70b.yaml"))
    full = int(out["flops"]["full"]["total"])
    assert full == 449_226_473_472 * 15 * 10**12
    capacity = 4096 * 60 * 24 * 3600 * H100
    u = full / capacity
    assert u == pytest.approx(0.3207, abs=1e-4)
    sr = row(out, "eu-systemic-risk")
    assert sr["status"] == "below" and sr["margin"] == pytest.approx(0.6738, abs=1e-4)  # status is full's
    [note] = [n for n in sr["notes"] if n.startswith("hardware")]
    assert "8.4×10^24 (6.3×10^24–1.1×10^25)" in note and "the line 1.0×10^25" in note
    assert "full (6.7×10^24) stays below" in note and f"utilisation {u:.0%}" == "utilisation 32%"
    assert "the methods agree at utilisation 32% (hardware central = full)" in note
    assert all(not row(out, t)["notes"] for t in ("us-eo-14110", "ca-sb53", "ny-raise", "eu-gpai"))
    text = run_text(capsys, "estimate", str(PLANS / "ourlab-70b.yaml"))
    assert "BELOW" in text and "- eu-systemic-risk: hardware 8.4×10^24" in text.replace("\n    ", " ")


def test_point3_7b_hardware_straddles_gpai(capsys):
    """OurLab-7B: Llama 2 7B on 2T tokens at T=4096, causal; 256 H100 SXM × 14 days.

    full = 42,864,476,160 FLOP/token × 2T = 8.57×10^22: eu-gpai BELOW at ×0.857.
    hardware: 256 × 14 × 24 = 86,016 h × 3,600 × 989.4e12 = 3.064×10^23 at U = 1;
    × 0.3 / 0.5 = 9.2×10^22 – 1.5×10^23, across 10^23. Agreement at U = 8.573e22 / 3.064e23 = 27.98%.
    """
    out = run_json(capsys, "estimate", str(PLANS / "ourlab-7b.yaml"))
    full = int(out["flops"]["full"]["total"])
    assert full == 42_864_476_160 * 2 * 10**12
    u = full / (256 * 14 * 24 * 3600 * H100)
    assert u == pytest.approx(0.2798, abs=1e-4)
    gpai = row(out, "eu-gpai")
    assert gpai["status"] == "below"
    [note] = [n for n in gpai["notes"] if n.startswith("hardware")]
    assert "1.2×10^23 (9.2×10^22–1.5×10^23) reaches over the line 1.0×10^23" in note
    assert "full (8.6×10^22) stays below" in note and "utilisation 28%" in note


def test_point3_primary_over_other_reaches_below():
    """The mirror case, in the engine alone: the primary figure 1.2e25 crosses 10^25 while
    another method's interval 9e24–1.4e25 reaches below it; the status stays CROSSED."""
    q = (12 * 10**24, 12 * 10**24, 12 * 10**24)
    quantities = {"training": q, "cumulative": q, "modification": q, "training_lineage": q}
    hw = (1.16e25, 9e24, 1.4e25)
    alt = Alternative("hardware", {k: hw for k in quantities}, {"cumulative": 0.45}, "full")
    ev = next(e for e in evaluate(quantities, Context(primary="full", alternatives=(alt,)))
              if e.threshold.id == "eu-systemic-risk")
    assert ev.status == "crossed"
    assert ev.notes == ("hardware 1.2×10^25 (9.0×10^24–1.4×10^25) reaches down to the line 1.0×10^25, which full "
                        "(1.2×10^25) crosses; the status follows full; the methods agree at utilisation 45% "
                        "(hardware central = full)",)


# --- Point 4: a word near a line -------------------------------------------------------

def test_point4_near_line_note(capsys):
    """Annex A.2 accepts an estimate within 30% of the true compute: a true figure over the
    line fits any estimate over 70% of it. OurLab-7B at ×0.857 gets the note, with the GPAI
    criterion's indicative character (§2.1); a plan at ×0.5 does not; 0.7 × 10^23 exactly
    does not (the true figure could reach the line, not pass it), one FLOP more does."""
    out = run_json(capsys, "estimate", str(PLANS / "ourlab-7b.yaml"))
    gpai = row(out, "eu-gpai")
    [note] = [n for n in gpai["notes"] if "Annex A.2" in n]
    assert note.startswith("×0.86 of the line: the ±30%") and "1.0×10^23" in note
    assert "indicative (Guidelines §2.1)" in note and gpai["status"] == "below"
    assert not row(out, "eu-systemic-risk")["notes"]  # ×0.00857: far from 10^25

    def notes(flops: int) -> tuple[str, ...]:
        data = {"flopcount_plan": 1, "model": {"params": 7 * 10**9},
                "phases": [{"kind": "pre-training", "flops": flops}]}
        ev = next(e for e in estimate(plan_from_mapping(data, "p.yaml")).evaluations if e.threshold.id == "eu-gpai")
        assert ev.status == "below"
        return ev.notes

    assert notes(5 * 10**22) == ()
    assert notes(7 * 10**22) == ()
    assert "Annex A.2" in notes(7 * 10**22 + 1)[0]
    text = run_text(capsys, "estimate", str(PLANS / "ourlab-7b.yaml")).replace("\n    ", " ")
    assert "- eu-gpai: ×0.86 of the line" in text


def test_point4_near_line_other_rows_not_indicative():
    """A line that is not indicative (Art. 51(2)) gets the Annex A.2 note without the §2.1
    words: 8e24 is ×0.8 of 10^25."""
    data = {"flopcount_plan": 1, "model": {"params": 7 * 10**9},
            "phases": [{"kind": "pre-training", "flops": 8 * 10**24}]}
    ev = next(e for e in estimate(plan_from_mapping(data, "p.yaml")).evaluations
              if e.threshold.id == "eu-systemic-risk")
    assert ev.status == "below" and len(ev.notes) == 1
    assert "Annex A.2" in ev.notes[0] and "indicative" not in ev.notes[0]


# --- Point 5: an adapter is a modification --------------------------------------------

ADAPTER = {"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "r": 16, "lora_alpha": 32,
           "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "peft_type": "LORA", "task_type": "CAUSAL_LM"}
BASE = str(CONFIGS / "llama-3.1-8b.json")
FALLBACK_GPAI = str(10**23 // 3)  # 33,333,333,333,333,333,333,333: floor of 10^23 / 3


@pytest.fixture
def adapter_dir(tmp_path):
    """An adapter as PEFT saves it (and the Hub serves it): no config.json."""
    folder = tmp_path / "ft-out"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(ADAPTER))
    (folder / "adapter_model.safetensors").write_bytes(b"")
    return folder


def test_point5_adapter_is_modification(capsys, adapter_dir):
    """LoRA r=16 on q, k, v, o of Llama 3.1 8B, 50M tokens: ~1.7×10^18 FLOP. The adapter
    names its base, so the one-third rule applies; with no --base-compute the base's
    compute is unknown and the line is the fallback 10^23 / 3 (base without systemic risk):
    BELOW, so the modifier is not the provider and the EU rows do not apply to it.
    --base-compute 1.5e24 makes the line 5×10^23; --base-systemic-risk alone, 10^25 / 3."""
    adapter = str(adapter_dir / "adapter_config.json")
    out = run_json(capsys, "estimate", adapter, "--tokens", "50M", "--base-config", BASE)
    mod = row(out, "eu-modification")
    assert mod["value"] == FALLBACK_GPAI and mod["status"] == "below"
    assert "unknown" in mod["basis"] and "fallback" in mod["basis"] and "1.0×10^23" in mod["basis"]
    assert row(out, "eu-gpai")["status"] == "not applicable"
    assert out["base_model"] == {"name": "meta-llama/Llama-3.1-8B", "training_compute": None, "systemic_risk": False}
    assert any("--base-compute" in n and "fallback" in n for n in out["notes"])
    assert out["phases"][0]["kind"] == "fine-tuning"
    text = run_text(capsys, "estimate", adapter, "--tokens", "50M", "--base-config", BASE).replace("\n    ", " ")
    assert "eu-modification: base model's training compute unknown: the Guidelines' fallback line" in text
    given = run_json(capsys, "estimate", adapter, "--tokens", "50M", "--base-config", BASE, "--base-compute", "1.5e24")
    assert row(given, "eu-modification")["value"] == str(5 * 10**23)
    assert row(given, "eu-modification")["basis"] == "one third of the base model's training compute"
    systemic = run_json(capsys, "estimate", adapter, "--tokens", "50M", "--base-config", BASE, "--base-systemic-risk")
    assert row(systemic, "eu-modification")["value"] == str(10**25 // 3)


def test_point5_kind_finetuning_without_base_compute(capsys):
    """--kind fine-tuning of Llama 3.1 8B on 1T tokens, base compute not given: 6ND =
    6 · 8,030,261,248 · 10^12 = 4.8×10^22 > 10^23 / 3 = 3.3×10^22 (the fallback line):
    CROSSED, the modifier becomes the provider of a GPAI model. Pre-training has no such row."""
    out = run_json(capsys, "estimate", BASE, "--tokens", "1T", "--kind", "fine-tuning")
    mod = row(out, "eu-modification")
    assert mod["value"] == FALLBACK_GPAI and mod["status"] == "crossed" and "fallback" in mod["basis"]
    assert int(out["flops"]["6ND"]["total"]) == 6 * 8_030_261_248 * 10**12
    assert row(out, "eu-gpai")["status"] == "presumed"
    pre = run_json(capsys, "estimate", BASE, "--tokens", "1T")
    assert "eu-modification" not in {t["id"] for t in pre["thresholds"]}
    assert main(["estimate", BASE, "--tokens", "1T", "--base-systemic-risk"]) == 2  # no base to be systemic
    err = capsys.readouterr().err
    assert err.startswith("flopcount: error: --base-systemic-risk: applies to a modification") and err.count("\n") == 1


def test_point5_record_takes_adapter_and_base_compute(capsys, adapter_dir, tmp_path):
    """`record --plan` reads what `estimate` reads: the adapter folder, with --base-compute."""
    stem = tmp_path / "rec" / "ft"
    assert main(["record", "--plan", str(adapter_dir), "--tokens", "50M", "--base-config", BASE,
                 "--base-compute", "1.5e24", "-o", str(stem)]) == 0
    capsys.readouterr()
    record = json.loads((tmp_path / "rec" / "ft.json").read_text())
    assert record["lineage"]["base_model"]["training_compute"] == str(15 * 10**23)
    assert record["lineage"]["modification_rule"]["line"] == str(5 * 10**23)
    assert main(["record", "--plan", str(adapter_dir), "--tokens", "50M", "--base-config", BASE,
                 "-o", str(tmp_path / "rec" / "unknown")]) == 0
    capsys.readouterr()
    unknown = json.loads((tmp_path / "rec" / "unknown.json").read_text())
    assert unknown["lineage"]["modification_rule"]["line"] == FALLBACK_GPAI


def test_point5_adapter_folder(capsys, adapter_dir, tmp_path):
    """A downloaded adapter folder (adapter_config.json + weights, no config.json) reads as
    its adapter_config.json; a folder with neither is one line naming it, exit 2."""
    folder = run_json(capsys, "estimate", str(adapter_dir), "--tokens", "50M", "--base-config", BASE)
    file = run_json(capsys, "estimate", str(adapter_dir / "adapter_config.json"), "--tokens", "50M",
                    "--base-config", BASE)
    assert folder["flops"] == file["flops"] and folder["thresholds"] == file["thresholds"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["estimate", str(empty), "--tokens", "1T"]) == 2
    err = capsys.readouterr().err
    assert f"{empty}: not a recipe, run, plan or model config" in err and err.count("\n") == 1  # the one sniffing step
    assert "a folder with no config.json, adapter_config.json" in err


# --- Point 7 (parts) ------------------------------------------------------------------

def test_point7_thresholds_table_aligned(capsys, monkeypatch):
    """`flopcount thresholds`: every row's columns start at the same offsets, and every URL
    is on its own line, whole, indented like the text under its row."""
    monkeypatch.setenv("COLUMNS", "80")
    lines = run_text(capsys, "thresholds").splitlines()
    rows = [line for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert len(rows) == 6
    for column in ("> ", "training", "cumulative", "modification"):
        starts = {line.index(column) for line in rows if column in line}
        assert len(starts) == 1, column
    statuses = {re.search(r"(guidance|in force|revoked|enacted)", line).start() for line in rows}
    assert len(statuses) == 1
    urls = [line for line in lines if "https://" in line]
    assert len(urls) == 6 and all(re.fullmatch(r" {4}https://\S+", line) for line in urls)


def test_point7_one_number_form(capsys, adapter_dir):
    """Estimate and threshold output write numbers in one form, ×10^n: no `1e+23`, no
    `1.66e-05` beside `1.0×10^23` (margins, fallback lines, provisions)."""
    e_notation = re.compile(r"\d[eE][+-]?\d")
    texts = [run_text(capsys, "thresholds"),
             run_text(capsys, "estimate", str(adapter_dir), "--tokens", "50M", "--base-config", BASE),
             run_text(capsys, "estimate", str(PLANS / "ourlab-7b.yaml"))]
    for text in texts:
        assert not e_notation.search(text), e_notation.search(text)
    assert "×5.0×10^-5" in texts[1]  # 1.66e18 / 3.33e22 for the modification row


def test_point7_attention_default_stated(capsys):
    """The attention default and its reason appear once: in --help and in the convention
    line of an output that used it; not where a convention was given (the example plans
    say causal)."""
    from flopcount.cli import build_parser
    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["estimate"].format_help().split())
    assert f"windowed (default: {DEFAULT_ATTENTION_REASON})" in help_text
    text = " ".join(run_text(capsys, "estimate", BASE, "--tokens", "1T").split())
    assert text.count(DEFAULT_ATTENTION_REASON) == 1
    assert f"attention windowed (default: {DEFAULT_ATTENTION_REASON})" in text
    plan = run_text(capsys, "estimate", str(PLANS / "ourlab-7b.yaml"))
    assert "attention causal; seq_len 4096" in plan and "(default" not in plan
    given = run_text(capsys, "estimate", BASE, "--tokens", "1T", "--attention", "windowed")
    assert "(default" not in given.split("\n\n")[0]


def test_notes_never_change_status():
    """The notes are additive: every threshold's status equals the one the primary
    quantities alone give (the engine without alternatives)."""
    from flopcount.law.counted import threshold_quantities, verdict_context
    from flopcount.inputs.plan import load_plan
    for name in ("ourlab-7b.yaml", "ourlab-70b.yaml", "llama-3.1-405b.yaml"):
        result = estimate(load_plan(PLANS / name))
        phases = list(result.phases)
        bare = evaluate(threshold_quantities(phases, 0),
                        Context(**{**verdict_context(result.plan, phases).__dict__, "alternatives": ()}))
        assert [e.status for e in bare] == [e.status for e in result.evaluations]
