"""Issue 28, "Real recipes, read honestly": recipes that give wrong answers with confidence
unless read with care. Every file is a framework's own or a real run's (tests/recipes/SOURCES.md);
tokens, per-token FLOP and totals are worked by hand in the docstrings."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flopcount import estimate
from flopcount.model.formulas import training_flops
from flopcount.importers import import_path
from flopcount.importers.recipe import Flags
from flopcount.inputs.plan import plan_from_mapping
from flopcount.law.thresholds import Context, evaluate

HERE = Path(__file__).parent
RECIPES = HERE / "recipes"
ROOT = HERE.parent
LLAMA3_8B_FP8 = RECIPES / "megatron" / "train_llama3_8b_h100_fp8.sh"
DEEPSEEK_V3 = RECIPES / "megatron" / "sbatch_mfsdp_deepseek_v3.sh"
QWEN_RUN = RECIPES / "hf-run" / "qwen05-cls-full"


def imported(path: Path, **flags: str):
    result = import_path(path, Flags(**flags))
    plan = plan_from_mapping(result.plan, str(path), path.parent)
    return result, plan, estimate(plan)


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}  # one line per line, whatever the terminal
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=cwd, env=env)


def never_crossed(text: str) -> None:
    assert "CROSSED" not in text and '"crossed"' not in text, text


# --- Megatron: a run that stops on a wall clock ---------------------------------------------

def test_megatron_benchmark_that_stops_after_235_minutes_is_at_most():
    """NVIDIA's 8-GPU Llama 3 8B FP8 script sets --train-samples 1,953,125,000 × --seq-length
    8192 = 16,000,000,000,000 tokens, but also --exit-duration-in-mins 235: it stops after
    235 minutes on 8 devices (8 × 235 / 60 = 31.33 device-hours), wherever it has got to.
    Per token 57,912,852,480 FLOP (test_recipes: Megatron's 51,470,401,536 + the other half of
    the attention square), so 16T tokens give 926,605,639,680,000,000,000,000 = 9.3×10^23,
    ×9.27 the GPAI line: an upper bound, so the row reads AT MOST, never CROSSED (8 H100s at
    their dense FP8 peak, 1,979 TFLOP/s, could do at most 31.33 h × 3600 × 1.979e15 = 2.2×10^20)."""
    result, plan, est = imported(LLAMA3_8B_FP8)
    phase = plan.phases[0]
    assert phase.tokens == 1_953_125_000 * 8192 == 16 * 10**12 and phase.upper_bound
    assert est.training.total == 16 * 10**12 * 57_912_852_480 == 926_605_639_680_000_000_000_000
    rows = {ev.threshold.id: ev for ev in est.evaluations}
    assert rows["eu-gpai"].status == "at most" and rows["eu-gpai"].bound == "upper"
    assert rows["eu-systemic-risk"].status == "below"      # a maximum below a line is below it
    assert all(ev.status != "crossed" for ev in est.evaluations)
    assert any("--exit-duration-in-mins 235" in n and "31.33 device-hours" in n and "upper bound" in n
               for n in result.notes)


def test_at_most_in_every_output_of_estimate_and_import():
    """estimate (text and --json) and import say the same: at most 16T tokens, AT MOST,
    json bound "upper" on the phase and the row, no "crossed" anywhere."""
    text = cli("estimate", str(LLAMA3_8B_FP8))
    assert text.returncode == 0, text.stderr
    never_crossed(text.stdout)
    assert "AT MOST" in text.stdout and "at most 16T tokens (an upper bound)" in text.stdout
    assert "Training compute    at most 9.3×10^23 FLOP" in text.stdout
    out = cli("estimate", str(LLAMA3_8B_FP8), "--json")
    data = json.loads(out.stdout)
    never_crossed(out.stdout)
    assert data["phases"][0]["bound"] == "upper"
    gpai = next(t for t in data["thresholds"] if t["id"] == "eu-gpai")
    assert (gpai["status"], gpai["bound"]) == ("at most", "upper")
    plan = cli("import", str(LLAMA3_8B_FP8))
    assert "upper_bound: true" in plan.stdout and "phases[0].upper_bound <- exit_duration_in_mins" in plan.stdout


def test_the_tokens_it_trained_decide():
    """--tokens (the iterations it logged × 128 × 8192) replaces the bound: 2T tokens ×
    57,912,852,480 = 1.16×10^23 is over 10^23, exactly, and now CROSSED."""
    _, plan, est = imported(LLAMA3_8B_FP8, tokens="2T")
    assert not plan.phases[0].upper_bound and plan.phases[0].tokens == 2 * 10**12
    assert est.training.total == 2 * 10**12 * 57_912_852_480
    assert next(ev for ev in est.evaluations if ev.threshold.id == "eu-gpai").status == "crossed"


def test_deepseek_sbatch_with_a_220_minute_limit_is_at_most():
    """sbatch_mfsdp_deepseek_v3.sh: --train-samples 585,937,500 × 4096 = 2.4T tokens and
    --exit-duration-in-mins 220. DeepSeek V3's per-sequence count (test_recipes) × 585,937,500
    is an upper bound: no row says crossed."""
    result, plan, est = imported(DEEPSEEK_V3, vocab_size="129280")
    assert plan.phases[0].tokens == 2_400_000_000_000 and plan.phases[0].upper_bound
    assert est.training.total == 585_937_500 * training_flops(plan.model.spec, 4096, "full").total
    assert all(ev.status != "crossed" for ev in est.evaluations)
    assert any("--exit-duration-in-mins 220" in n for n in result.notes)


def test_megatron_exit_interval_stops_at_that_iteration(tmp_path):
    """The 8B script with --exit-interval 1000 and without its time limit: 1,953,125,000
    samples / 128 = 15,258,790 iterations (rounded up), the run stops at 1,000: 1,000 × 128 ×
    8192 = 1,048,576,000 tokens, exact (from scratch), said in a note."""
    text = LLAMA3_8B_FP8.read_text().replace("--exit-duration-in-mins 235", "--exit-interval 1000")
    path = tmp_path / "exit.sh"
    path.write_text(text)
    result, plan, _ = imported(path)
    assert plan.phases[0].tokens == 1000 * 128 * 8192 == 1_048_576_000 and not plan.phases[0].upper_bound
    assert any("stops at iteration 1,000 of 15,258,790" in n for n in result.notes)


def test_no_verdict_from_an_upper_bound_says_crossed():
    """The engine itself: a quantity marked as a maximum is never crossed, whatever its size;
    straddling intervals too read at most; below stays below."""
    big = (1e27, 1e27, 1e27)
    q = {"training": big, "cumulative": big, "modification": big, "training_lineage": big}
    ctx = Context(upper_bound=frozenset(q))
    rows = evaluate(q, ctx)
    assert {ev.status for ev in rows} == {"at most"} and all(ev.bound == "upper" for ev in rows)
    small = (1e20, 1e20, 1e20)
    rows = evaluate(dict.fromkeys(q, small), ctx)
    assert {ev.status for ev in rows} == {"below"}
    modification = evaluate(q, Context(is_modification=True, upper_bound=frozenset(q)))
    assert all(ev.status != "crossed" for ev in modification)


@pytest.fixture(scope="module")
def upper_record(tmp_path_factory) -> Path:
    """`flopcount record` on NVIDIA's 235-minute Llama 3 8B script: STEM.json/.md/.html."""
    stem = tmp_path_factory.mktemp("record") / "r"
    out = cli("record", "--plan", str(LLAMA3_8B_FP8), "-o", str(stem))
    assert out.returncode == 0, out.stderr
    return stem


def test_record_from_an_upper_bound_says_at_most(upper_record):
    """The record of the 235-minute script says what estimate says: the phase's 16T tokens
    are a maximum (bound "upper"), training compute 16 × 10^12 × 57,912,852,480 =
    926,605,639,680,000,000,000,000 is at most ×9.27 the GPAI line (AT MOST, bound upper),
    at most ×0.0927 the systemic-risk line (below: a maximum below a line is below it);
    JSON, Markdown and HTML: no CROSSED anywhere."""
    text = upper_record.with_suffix(".json").read_text()
    never_crossed(text)
    data = json.loads(text)
    phase = data["phases"][0]
    assert (phase["tokens"], phase["bound"]) == (16 * 10**12, "upper")
    assert data["totals"]["training"]["total"] == str(16 * 10**12 * 57_912_852_480) == "926605639680000000000000"
    rows = {t["id"]: t for t in data["thresholds"]}
    assert (rows["eu-gpai"]["status"], rows["eu-gpai"]["bound"]) == ("at most", "upper")
    assert rows["eu-gpai"]["margin"] == 9.2660563968          # 926,605,639,680 × 10^12 / 10^23
    assert (rows["eu-systemic-risk"]["status"], rows["eu-systemic-risk"]["bound"]) == ("below", "upper")
    assert rows["eu-systemic-risk"]["notify_by"] is None and data["lineage"]["modification_rule"] is None
    md = upper_record.with_suffix(".md").read_text()
    never_crossed(md)
    assert "EU: general-purpose AI model at most (an upper bound: the run can stop early" in md
    assert "| eu-gpai | > 1.0×10^23 | training | AT MOST | ×9.27 |" in md
    assert "| at most 16,000,000,000,000 (upper bound) |" in md
    assert "| training compute | at most 9.3×10^23 | 926,605,639,680,000,000,000,000 |" in md
    assert "AT MOST: the compared figure is an upper bound" in md
    assert "| computation used for training (FLOP) | at most 9.3×10^23" in md
    html = upper_record.with_suffix(".html").read_text()
    never_crossed(html)
    assert "<td class='at-most'>AT MOST</td>" in html and "<p id='upper-bound'>AT MOST: the compared figure" in html


def test_record_check_accepts_at_most(upper_record):
    """record --check re-derives the rows through the engine's rule (thresholds.status, then
    `bounded` for the quantities the phases make a maximum) and accepts AT MOST."""
    out = cli("record", "--check", str(upper_record.with_suffix(".json")))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK (schema, arithmetic, derived fields; no ledger)" in out.stdout


def test_record_check_fails_when_at_most_is_edited(upper_record, tmp_path):
    """Field by field: 'at most' flipped to 'crossed'; the systemic row's 'below' flipped to
    'at most' (9.3×10^23 is at or below 10^25); the row's bound dropped; the phase's bound
    dropped while the row keeps 'at most' (the totals then say crossed, and the engine gives
    no bound). Each fails --check (exit 1) naming the field."""
    original = json.loads(upper_record.with_suffix(".json").read_text())
    gpai = next(i for i, t in enumerate(original["thresholds"]) if t["id"] == "eu-gpai")
    systemic = next(i for i, t in enumerate(original["thresholds"]) if t["id"] == "eu-systemic-risk")

    def edited(change) -> str:
        data = json.loads(json.dumps(original))
        change(data)
        path = tmp_path / "edited.json"
        path.write_text(json.dumps(data))
        out = cli("record", "--check", str(path))
        assert out.returncode == 1, out.stdout + out.stderr
        return out.stdout

    said = edited(lambda d: d["thresholds"][gpai].update(status="crossed"))
    assert (f"thresholds[{gpai}].status: 'crossed' but the totals say 'at most' (an upper bound: the phases "
            "marked bound 'upper' can stop early)") in said
    said = edited(lambda d: d["thresholds"][systemic].update(status="at most"))
    assert f"thresholds[{systemic}].status: 'at most' but the totals say 'below'" in said
    said = edited(lambda d: d["thresholds"][gpai].pop("bound"))
    assert f"thresholds[{gpai}].bound: None but the record's phases give 'upper'" in said
    said = edited(lambda d: d["phases"][0].pop("bound"))
    assert f"thresholds[{gpai}].status: 'at most' but the totals say 'crossed'" in said
    assert f"thresholds[{gpai}].bound: 'upper' but the record's phases give None" in said
    path = tmp_path / "lower.json"
    data = json.loads(json.dumps(original))
    data["phases"][0]["bound"] = "lower"
    path.write_text(json.dumps(data))
    out = cli("record", "--check", str(path))
    assert out.returncode == 2 and "phases.0.bound" in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr


def test_record_with_the_tokens_trained_is_crossed(tmp_path):
    """--tokens 2T replaces the bound: 2 × 10^12 × 57,912,852,480 = 1.16×10^23 > 10^23, a
    record without bounds whose GPAI row is crossed, and --check agrees."""
    stem = tmp_path / "r"
    out = cli("record", "--plan", str(LLAMA3_8B_FP8), "--tokens", "2T", "-o", str(stem))
    assert out.returncode == 0, out.stderr
    data = json.loads(stem.with_suffix(".json").read_text())
    assert "bound" not in data["phases"][0] and all("bound" not in t for t in data["thresholds"])
    assert data["totals"]["training"]["total"] == str(2 * 10**12 * 57_912_852_480)
    assert next(t for t in data["thresholds"] if t["id"] == "eu-gpai")["status"] == "crossed"
    assert cli("record", "--check", str(stem.with_suffix(".json"))).returncode == 0


# --- Hugging Face run folders ---------------------------------------------------------------

def test_finished_fine_tune_is_a_modification():
    """qwen05-cls-full (a real LLaMA-Factory full SFT through the HF Trainer): its model card
    says base_model /root/autodl-tmp/models/Qwen2.5-0.5B-Instruct, so the phase is fine-tuning
    and the plan has that base (compute unknown to flopcount's table: the fallback line).
    Tokens: total_flos 780,326,685,186,048 / (6 × 357,898,112 parameters without embeddings
    = 2,147,388,672) = 363,384, a whole number. Per token at 512: 6 × (357,826,560 matmul
    weights + 136,134,656 tied head) = 2,963,767,296, plus attention 3 × 4 × 512 × 896 × 24 =
    132,120,576: 3,095,887,872; total 363,384 × 3,095,887,872 = 1,124,996,118,478,848 (1.1×10^15), far
    below one third of 10^23: the modifier is not the provider."""
    result, plan, est = imported(QWEN_RUN, seq_len="512")
    assert plan.phases[0].kind.id == "fine-tuning" and plan.phases[0].tokens == 363_384
    assert 780_326_685_186_048 == 6 * 357_898_112 * 363_384
    assert plan.base is not None and plan.base.name == "/root/autodl-tmp/models/Qwen2.5-0.5B-Instruct"
    assert plan.base.training_compute is None
    per_token = 6 * (357_826_560 + 136_134_656) + 3 * 4 * 512 * 896 * 24
    assert per_token == 3_095_887_872
    assert est.training.total == 363_384 * per_token == 1_124_996_118_478_848
    rows = {ev.threshold.id: ev.status for ev in est.evaluations}
    assert rows["eu-modification"] == "below" and rows["eu-gpai"] == "not applicable"
    assert any("names the base model" in n and "--kind pre-training" in n for n in result.notes)
    _, plan, _ = imported(QWEN_RUN, seq_len="512", kind="pre-training")
    assert plan.base is None and plan.phases[0].kind.id == "pre-training"


def test_base_compute_from_the_bundled_table(tmp_path):
    """A config.json whose _name_or_path is meta-llama/Llama-3.1-405B (transformers 4.x keeps
    it): the table has Llama 3.1 405B's reported 3.8×10^25 FLOP, so the line is one third of it."""
    folder = tmp_path / "run"
    shutil.copytree(QWEN_RUN, folder)
    (folder / "README.md").unlink()
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "_name_or_path": "meta-llama/Llama-3.1-405B"}))
    _, plan, _ = imported(folder, seq_len="512")
    assert plan.base.name == "meta-llama/Llama-3.1-405B" and plan.base.training_compute == 38 * 10**24


def test_total_flos_zero_is_read_not_divided(tmp_path):
    """The same run with total_flos 0.0 (a model that reported no FLOP): estimate, import and
    record work (no ZeroDivisionError), say the Trainer reported none, and ask for --tokens
    (the tokens cannot come from total_flos)."""
    folder = tmp_path / "zero"
    shutil.copytree(QWEN_RUN, folder)
    state = folder / "trainer_state.json"
    state.write_text(state.read_text().replace("780326685186048.0", "0.0"))
    out = cli("import", str(folder), "--seq-len", "512")
    assert out.returncode == 2 and "pass --tokens" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    for command in (["import"], ["estimate"], ["record", "--plan"]):
        extra = ["-o", str(tmp_path / "rec")] if command[0] == "record" else []
        out = cli(*command, str(folder), "--seq-len", "512", "--tokens", "363384", *extra)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    out = cli("estimate", str(folder), "--seq-len", "512", "--tokens", "363384")
    assert "total_flos is 0" in out.stdout


# --- Axolotl sample packing -----------------------------------------------------------------

AXOLOTL_LORA = RECIPES / "axolotl" / "lora-8b.yml"
LLAMA31_8B = ROOT / "examples" / "configs" / "llama-3.1-8b.json"


def test_axolotl_packing_without_dataset_tokens_is_an_upper_bound():
    """lora-8b.yml packs (sample_packing: true) at sequence_len 4096 for num_epochs 4. With
    --samples 1900 (alpaca_2k_test's 2,000 rows less the 5% validation split), 4 × 1,900 ×
    4,096 = 31,129,600 tokens treats every row as a full 4,096-token sequence: packed rows
    share sequences, so this overstates by the packing factor. It is kept as an upper bound
    and said so; no verdict from it says crossed."""
    result, plan, est = imported(AXOLOTL_LORA, base_config=str(LLAMA31_8B), samples="1900")
    assert plan.phases[0].tokens == 4 * 1900 * 4096 == 31_129_600 and plan.phases[0].upper_bound
    assert any("packing factor" in n and "--dataset-tokens" in n for n in result.notes)
    assert all(ev.status != "crossed" for ev in est.evaluations)
    # a fine-tune of the named base: a modification, the base's compute unknown (fallback line)
    assert plan.base.name == "NousResearch/Meta-Llama-3-8B" and plan.base.training_compute is None
    assert any(ev.threshold.id == "eu-modification" for ev in est.evaluations)


def test_axolotl_packing_with_dataset_tokens_counts_them():
    """--dataset-tokens 400000 (the training rows' tokens): each epoch trains them once, 4 ×
    400,000 = 1,600,000 tokens, not a bound. Same LoRA and sequence length, so per token the
    two routes agree: total(dataset) × 31,129,600 = total(samples) × 1,600,000, exactly."""
    result, plan, est = imported(AXOLOTL_LORA, base_config=str(LLAMA31_8B), dataset_tokens="400000")
    assert plan.phases[0].tokens == 4 * 400_000 == 1_600_000 and not plan.phases[0].upper_bound
    _, _, bound = imported(AXOLOTL_LORA, base_config=str(LLAMA31_8B), samples="1900")
    assert est.training.total * 31_129_600 == bound.training.total * 1_600_000
    assert any("trains the dataset's tokens once" in n for n in result.notes)


def test_help_says_what_samples_means():
    out = cli("import", "--help").stdout
    assert "before packing" in out and "--dataset-tokens" in out
    assert "--dataset-tokens" in cli("estimate", "--help").stdout
