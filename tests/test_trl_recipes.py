"""TRL trainer configs and TrainingArguments JSON imported into run plans: real recipes from
huggingface/open-r1 (SFT, GRPO) and huggingface/alignment-handbook (DPO), cited in
tests/recipes/SOURCES.md; tokens and per-token FLOP worked by hand in each docstring."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flopcount.model.formulas import forward_flops, generation_flops, training_flops
from flopcount.importers import find
from flopcount.model.spec import count_parameters

from test_recipes import LLAMA31_8B, RECIPES, ROOT, imported

TRL = RECIPES / "trl"
QWEN25_7B = TRL / "qwen2.5-7b-config.json"
QWEN25_15B = TRL / "qwen2.5-1.5b-instruct-config.json"
R1_DISTILL_15B = TRL / "deepseek-r1-distill-qwen-1.5b-config.json"
MISTRAL_7B = ROOT / "examples" / "configs" / "mistral-7b.json"
OPEN_R1_SFT = TRL / "open-r1" / "OpenR1-Distill-7B" / "sft" / "config_distill.yaml"
OLYMPIC_SFT = TRL / "open-r1" / "OlympicCoder-7B" / "sft" / "config_v00.00.yaml"
GRPO_QWEN = TRL / "open-r1" / "Qwen2.5-1.5B-Instruct" / "grpo" / "config_demo.yaml"
GRPO_R1 = TRL / "open-r1" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo" / "config_demo.yaml"
DPO_FULL = TRL / "alignment-handbook" / "zephyr-7b-beta" / "dpo" / "config_full.yaml"
DPO_QLORA = TRL / "alignment-handbook" / "zephyr-7b-beta" / "dpo" / "config_qlora.yaml"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=ROOT)


def totals(est) -> dict[str, int]:
    return {pr.phase.name: pr.estimates["full"].total for pr in est.phases}


def qwen25_7b_per_token(T: int) -> int:
    """Qwen2.5-7B training FLOP per token at T, full attention square: per layer q, o
    3584², k, v 3584×512, MLP 3×3584×18944, 28 layers, head 3584×152,064, all ×6; plus
    attention 12·T·3584 per layer."""
    return 6 * (28 * (2 * 3584**2 + 2 * 3584 * 512 + 3 * 3584 * 18944) + 3584 * 152064) + 12 * T * 3584 * 28


def test_the_base_configs_have_the_published_sizes():
    """The three base configs written for these recipes, counted by transformers itself on
    the meta device: Qwen2.5-7B 7.62B, Qwen2.5-1.5B-Instruct 1.54B (tied head),
    DeepSeek-R1-Distill-Qwen-1.5B 1.78B (untied head) — the published sizes."""
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig, AutoModelForCausalLM
    from flopcount.model.configs import load_spec
    for path, published in ((QWEN25_7B, 7_615_616_512), (QWEN25_15B, 1_543_714_304),
                            (R1_DISTILL_15B, 1_777_088_000)):
        data = json.loads(path.read_text())
        config = AutoConfig.for_model(data.pop("model_type"), **data)
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
        assert sum(p.numel() for p in model.parameters()) == published == count_parameters(load_spec(path)).total


# --- SFT -------------------------------------------------------------------------------

def test_sft_open_r1_distill_against_the_trainers_total_flos():
    """OpenR1-Distill-7B SFT: 5 epochs × 1,000 samples × max_length 32,768 = 163,840,000
    tokens (no packing: an upper bound, said). Per token 81,881,726,976 (hand formula above).
    TRL's SFTTrainer logs the Trainer's total_flos = 6 × non-embedding parameters × tokens;
    non-embedding = 7,615,616,512 − 152,064×3584 = 7,070,619,136. flopcount − total_flos per
    token is exactly the attention 12·T·d·L (39,459,815,424 at 32k: why flopcount is 1.93×)
    less 6 × the norm and bias weights the Trainer's count includes (333,312)."""
    result, plan, est = imported(OPEN_R1_SFT, base_config=str(QWEN25_7B), samples="1000")
    phase = plan.phases[0]
    assert (phase.tokens, phase.seq_len, phase.kind.id) == (163_840_000, 32768, "fine-tuning")
    per_token = est.training.total // phase.tokens
    assert per_token * phase.tokens == est.training.total
    assert per_token == qwen25_7b_per_token(32768) == 81_881_726_976
    norms_biases = 28 * (2 * 3584 + 3584 + 2 * 512) + 3584
    total_flos_per_token = 6 * (7_615_616_512 - 152064 * 3584)
    assert per_token - total_flos_per_token == 12 * 32768 * 3584 * 28 - 6 * norms_biases
    assert result.trace["phases[0].tokens"] == "num_train_epochs × --samples × max_length"
    assert any("upper bound" in n for n in result.notes) and any("the folder sft/" in n for n in result.notes)


def test_sft_olympiccoder():
    """OlympicCoder-7B SFT (Qwen2.5-Coder-7B-Instruct: the same architecture): 10 epochs ×
    500 samples × 32,768 = 163,840,000 tokens at the same 81,881,726,976 per token."""
    _, plan, est = imported(OLYMPIC_SFT, base_config=str(QWEN25_7B), samples="500")
    assert plan.phases[0].tokens == 10 * 500 * 32768
    assert est.training.total == 163_840_000 * 81_881_726_976


# --- GRPO ------------------------------------------------------------------------------

def test_grpo_qwen25_rollouts_update_and_old_policy_pass():
    """Qwen2.5-1.5B-Instruct GRPO: 1 epoch × 1,000 prompts × 16 generations = 16,000
    sequences of at most 512 + 1,024 = 1,536 tokens = 24,576,000 tokens, through three
    passes, all kind rl (training): rollouts, KV-cached, per sequence 2·1,536·(28·(2·1536² +
    2·1536·256 + 3·1536·8960) + 1536·151,936) + 28 · 2·12·(1536·1537/2)·256 =
    4,944,914,546,688; the policy update (num_iterations 1) forward + backward; one forward
    for old-policy log-probabilities (use_vllm with TRL's importance-sampling correction on).
    beta is left out: TRL's default 0.0, no reference model (said, with the older default)."""
    result, plan, est = imported(GRPO_QWEN, base_config=str(QWEN25_15B), samples="1000")
    spec, T = plan.model.spec, 1536
    assert plan.seq_len == T and [p.tokens for p in plan.phases] == [24_576_000] * 3
    assert [(p.name, p.kind.id, p.work) for p in plan.phases] == [
        ("rollouts", "rl", "generate"), ("policy update", "rl", "train"),
        ("old-policy log-probabilities", "rl", "forward")]
    sequences = 16_000
    assert generation_flops(spec, T) == 4_944_914_546_688
    by_phase = totals(est)
    assert by_phase == {"rollouts": sequences * generation_flops(spec, T),
                        "policy update": sequences * training_flops(spec, T, "full").total,
                        "old-policy log-probabilities": sequences * forward_flops(spec, T, "full").total}
    assert est.training.total == est.cumulative.total == sum(by_phase.values())
    assert result.trace["seq_len"] == "max_prompt_length + max_completion_length"
    notes = " ".join(result.notes)
    assert "beta not set" in notes and "0.04" in notes and "vllm_importance_sampling_correction not set" in notes


def test_grpo_r1_distill_reference_model_and_iterations(tmp_path):
    """DeepSeek-R1-Distill-Qwen-1.5B GRPO at 512 + 2,048 = 2,560 tokens. With beta 0.04 (the
    older default) the reference model runs one forward per sequence: recorded as an
    auxiliary model, in no total. With max_steps 10 on 8 GPUs and num_iterations 2: each
    step trains on 16 × 4 accumulation × 8 = 512 completions, each used twice, so 10 × 512 / 2
    = 2,560 sequences are generated (6,553,600 tokens) and the update runs over 13,107,200;
    num_iterations > 1 alone makes TRL compute old-policy log-probabilities."""
    recipe = tmp_path / "grpo" / "config_demo.yaml"
    recipe.parent.mkdir()
    recipe.write_text(GRPO_R1.read_text().replace("use_vllm: true", "use_vllm: false") + "beta: 0.04\nnum_iterations: 2\n")
    recipe.write_text(recipe.read_text().replace("max_steps: -1", "max_steps: 10"))
    result, plan, est = imported(recipe, base_config=str(R1_DISTILL_15B), gpus="8")
    tokens = {p.name: (p.tokens, p.kind.id, p.work) for p in plan.phases}
    assert tokens == {"rollouts": (6_553_600, "rl", "generate"), "policy update": (13_107_200, "rl", "train"),
                      "old-policy log-probabilities": (6_553_600, "rl", "forward"),
                      "reference model": (6_553_600, "auxiliary-model", "forward")}
    by_phase = totals(est)
    assert by_phase["reference model"] == 2560 * forward_flops(plan.model.spec, 2560, "full").total
    assert est.training.total == sum(v for k, v in by_phase.items() if k != "reference model")
    assert any("auxiliary-model" in n for n in result.notes)


def test_grpo_tokens_logged_by_trl_replace_the_caps():
    """TRL logs num_tokens (prompt + completion tokens of every generated sequence,
    grpo_trainer.py); given as --tokens it replaces the cap for every pass."""
    _, plan, _ = imported(GRPO_QWEN, base_config=str(QWEN25_15B), tokens="9,876,543")
    assert [p.tokens for p in plan.phases] == [9_876_543] * 3


# --- DPO -------------------------------------------------------------------------------

def test_dpo_zephyr_full_reference_forward_stated():
    """zephyr-7b-beta DPO (full): 1 epoch × 61,135 preference pairs (ultrafeedback_binarized
    train_prefs) × 2 sequences × max_length 1,024 = 125,204,480 tokens of forward + backward;
    the frozen reference runs one forward over the same tokens: kind auxiliary-model, shown,
    in neither total."""
    result, plan, est = imported(DPO_FULL, base_config=str(MISTRAL_7B), samples="61135")
    assert [(p.name, p.kind.id, p.work, p.tokens) for p in plan.phases] == [
        ("DPO update", "fine-tuning", "train", 125_204_480),
        ("reference model", "auxiliary-model", "forward", 125_204_480)]
    by_phase = totals(est)
    assert est.training.total == est.cumulative.total == by_phase["DPO update"]
    assert by_phase["reference model"] == 122_270 * forward_flops(plan.model.spec, 1024, plan.attention).total
    assert result.trace["phases[0].tokens"].startswith("2 sequences (chosen, rejected) × num_train_epochs")


def test_dpo_zephyr_qlora_adapter():
    """zephyr-7b-beta DPO (QLoRA): use_peft, lora_r 128 on q,k,v,o,gate,up,down of Mistral 7B:
    per layer 128·[(4096+4096) + 2·(4096+1024) + (4096+4096) + 2·(4096+14336) + (14336+4096)]
    = 10,485,760 × 32 = 335,544,320 adapter weights (8 × PEFT's 41,943,040 at rank 16)."""
    result, plan, _ = imported(DPO_QLORA, base_config=str(MISTRAL_7B), samples="61135")
    trainable = plan.phases[0].trainable
    assert (trainable.mode, trainable.lora_rank, trainable.adapter_weights) == ("lora", 128, 335_544_320)
    assert plan.phases[0].tokens == 2 * 61135 * 1024
    assert any(n.startswith("QLoRA") for n in result.notes)


def test_dpo_and_grpo_counted_from_caps_are_upper_bounds():
    """Counts from the sequence caps are maxima, marked on every phase (the verdict engine
    reads them "at most"): zephyr DPO's 125,204,480 tokens (2 × 61,135 × max_length 1,024)
    and Qwen2.5 GRPO's 24,576,000 (16,000 × (512 + 1,024)). Both are far below every line
    (DPO 5.5×10^18), and a maximum below a line is below it, bound "upper". --tokens (the
    tokens TRL logged) is the count: no bound."""
    result, plan, est = imported(DPO_FULL, base_config=str(MISTRAL_7B), samples="61135")
    assert [(p.tokens, p.upper_bound) for p in plan.phases] == [(125_204_480, True)] * 2
    assert result.trace["phases[0].upper_bound"] == result.trace["phases[1].upper_bound"] == "max_length"
    assert all((ev.status, ev.bound) == ("below", "upper") for ev in est.evaluations if ev.applies)
    result, plan, _ = imported(GRPO_QWEN, base_config=str(QWEN25_15B), samples="1000")
    assert [(p.tokens, p.upper_bound) for p in plan.phases] == [(24_576_000, True)] * 3
    assert result.trace["phases[2].upper_bound"] == "max_prompt_length, max_completion_length"
    assert any("the verdict reads 'at most'" in n for n in result.notes)
    for path, config in ((DPO_FULL, MISTRAL_7B), (GRPO_QWEN, QWEN25_15B)):
        result, plan, est = imported(path, base_config=str(config), tokens="9,876,543")
        assert not any(p.upper_bound for p in plan.phases) and not any(k.endswith("upper_bound") for k in result.trace)
        assert all(ev.bound is None for ev in est.evaluations)


# --- TrainingArguments JSON --------------------------------------------------------------

def test_training_arguments_json_written_by_transformers(tmp_path):
    """TrainingArguments(...).to_json_string(), as transformers writes it: max_steps 100 ×
    per-device 4 × accumulation 2 × 8 GPUs = 6,400 sequences × --seq-len 2048 = 13,107,200
    tokens of Llama 3.1 8B. The arguments hold neither the model nor the sequence length:
    both are asked for, one line each."""
    pytest.importorskip("transformers")
    from transformers import TrainingArguments
    args = TrainingArguments(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4,
                             gradient_accumulation_steps=2, max_steps=100, report_to=[])
    path = tmp_path / "training_args.json"
    path.write_text(args.to_json_string())
    assert find(path).name == "trl"
    result, plan, _ = imported(path, base_config=str(LLAMA31_8B), seq_len="2048", gpus="8")
    assert plan.phases[0].tokens == 100 * 4 * 2 * 8 * 2048 == 13_107_200
    assert "plain TrainingArguments" in result.notes[0]
    for args_, needle in ((["--base-config", str(LLAMA31_8B), "--gpus", "8"], "--seq-len"),
                          (["--seq-len", "2048", "--gpus", "8"], "--base-config"),
                          (["--seq-len", "2048", "--base-config", str(LLAMA31_8B)], "--gpus")):
        out = cli("import", str(path), *args_)
        assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


# --- sniffing and refusals ----------------------------------------------------------------

@pytest.mark.parametrize("path", [OPEN_R1_SFT, OLYMPIC_SFT, GRPO_QWEN, GRPO_R1, DPO_FULL, DPO_QLORA])
def test_trl_recipes_are_sniffed(path):
    assert find(path).name == "trl"


def test_trainer_from_flag_keys_or_folder(tmp_path):
    """--trainer overrides the folder; keys decide where the folder says nothing."""
    result, plan, _ = imported(GRPO_QWEN, base_config=str(QWEN25_15B), samples="10", trainer="sft",
                               seq_len="1536")
    assert [p.name for p in plan.phases] == ["fine-tuning"] and "--trainer" in result.notes[0]
    loose = tmp_path / "demo.yaml"
    loose.write_text(DPO_FULL.read_text())
    result, plan, _ = imported(loose, base_config=str(MISTRAL_7B), samples="10")
    assert "its key beta" in result.notes[0] and plan.phases[1].name == "reference model"


@pytest.mark.parametrize("edit, flags, needle", [
    (lambda t: t.replace("max_prompt_length: 512\n", ""), [], "--seq-len"),
    (lambda t: t + "use_peft: true\n", [], "lora_target_modules"),
    (lambda t: t + "use_peft: true\nlora_target_modules: [q_proj]\nuse_dora: true\n", [], "DoRA"),
    (lambda t: t, ["--trainer", "kto"], "not modelled"),
    (lambda t: t, ["--trainer", "sftt"], "unknown trainer"),
])
def test_bad_trl_configs_are_one_line(tmp_path, edit, flags, needle):
    path = tmp_path / "grpo" / "config.yaml"
    path.parent.mkdir()
    path.write_text(edit(GRPO_QWEN.read_text()))
    out = cli("import", str(path), "--base-config", str(QWEN25_15B), "--samples", "10", *flags)
    assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_trl_cli_config_is_read(capsys):
    """TRL's own CLI example (`trl sft --config example_config.yaml`; huggingface/trl
    examples/cli_configs, cited in SOURCES.md) holds ModelConfig's model_name_or_path and
    ScriptArguments' dataset_name and one TrainingArguments key: it is a TRL recipe. With
    `--trainer sft` and imdb's 25,000 training rows: TrainingArguments' 3 epochs × 25,000 ×
    SFTConfig's max_length 1,024 = 76,800,000 tokens, an upper bound (rows shorter than the
    cap are not padded to it), never "crossed"."""
    import json

    from flopcount.cli import main
    recipe = str(RECIPES / "trl" / "cli_configs" / "example_config.yaml")
    assert main(["estimate", recipe, "--trainer", "sft", "--samples", "25000",
                 "--base-config", str(RECIPES / "trl" / "qwen2.5-1.5b-instruct-config.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    phase = out["phases"][0]
    assert phase["tokens"] == 76_800_000 and phase["bound"] == "upper" and phase["seq_len"] == 1024
    assert all(t["status"] != "crossed" for t in out["thresholds"])
