"""Issue 28, "Real recipes, read honestly": the preference and RL stages of Axolotl (`rl:`) and
LLaMA-Factory (`stage:`, and its v1 schema), and LLaMA-Factory's `max_samples`, which caps each
dataset. Every recipe is the framework's own file (tests/recipes/SOURCES.md). Tokens are worked
from the recipe's fields in each docstring; per-token FLOP come from an independent count of the
config's shapes (below), or, for LoRA, from the same recipe trained as plain SFT through the
existing path, which the stage must multiply exactly as the framework runs it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flopcount.model.formulas import training_flops

from test_recipe_formats import one_line_everywhere
from test_recipes import LLAMA31_8B, QWEN3_4B, RECIPES, ROOT, imported

AXOLOTL = RECIPES / "axolotl"
LF = RECIPES / "llamafactory"
QWEN25_05B = AXOLOTL / "qwen2.5-0.5b-config.json"
LLAMA32_1B = RECIPES / "megatron-bridge" / "llama-3.2-1b-config.json"
MISTRAL_7B = ROOT / "examples" / "configs" / "mistral-7b.json"


def shapes(config: Path) -> tuple[int, ...]:
    """(L, d, H, head_dim, kv heads, ffn, V) read from a config.json, not through flopcount."""
    c = json.loads(config.read_text())
    hd = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    return (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], hd, c["num_key_value_heads"],
            c["intermediate_size"], c["vocab_size"])


def matmul_weights(L, d, H, hd, kv, ffn, V) -> int:
    """Weights each token is multiplied by: q, k, v, o, the gated MLP, the output layer."""
    return L * (d * H * hd + 2 * d * kv * hd + H * hd * d + 3 * d * ffn) + d * V


def train_per_token(config: Path, T: int) -> int:
    """Forward + backward per token, as flopcount's docs define it: 6 × matmul weights plus
    attention over the full T² square, 12·L·T·H·head_dim."""
    L, d, H, hd, *_ = s = shapes(config)
    return 6 * matmul_weights(*s) + 12 * L * T * H * hd


def forward_per_token(config: Path, T: int) -> int:
    """One forward: 2 × matmul weights + 4·L·T·H·head_dim."""
    L, d, H, hd, *_ = s = shapes(config)
    return 2 * matmul_weights(*s) + 4 * L * T * H * hd


def generation_per_sequence(config: Path, T: int) -> int:
    """A KV-cached generation of T tokens: 2 × weights per token, attention over the
    T(T+1)/2 causal pairs, 2·H·(d_qk + d_v) per pair and layer."""
    L, d, H, hd, *_ = s = shapes(config)
    return T * 2 * matmul_weights(*s) + L * 2 * H * (T * (T + 1) // 2) * (2 * hd)


def totals(est) -> dict[str, int]:
    return {pr.phase.name: pr.estimates["full"].total for pr in est.phases}


def phases(plan) -> list[tuple]:
    return [(p.name, p.kind.id, p.work, p.tokens, p.upper_bound) for p in plan.phases]


def never_crossed(est) -> None:
    assert all(ev.status != "crossed" for ev in est.evaluations)


def sft_twin(tmp_path: Path, recipe: Path, line: str) -> Path:
    """The same recipe without its stage line: plain SFT through the existing path."""
    text = recipe.read_text()
    assert line in text
    twin = tmp_path / recipe.name
    twin.write_text(text.replace(line, ""))
    return twin


def test_the_qwen25_05b_config_has_the_published_size():
    """Qwen2.5-0.5B (the base of Axolotl's qwen2/dpo.yaml), counted by transformers on the
    meta device: 494,032,768 parameters, the published 0.49B."""
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig, AutoModelForCausalLM
    data = json.loads(QWEN25_05B.read_text())
    config = AutoConfig.for_model(data.pop("model_type"), **data)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    assert sum(p.numel() for p in model.parameters()) == 494_032_768


# --- Axolotl ----------------------------------------------------------------------------------

def test_axolotl_full_dpo_qwen25():
    """qwen2/dpo.yaml (full DPO of Qwen2.5-0.5B): 4 epochs × 2,000 pairs (--samples) × 2
    (chosen + rejected) × sequence_len 2,048 = 32,768,000 tokens trained; Axolotl loads a second
    copy as the reference, which runs forward over the same 32,768,000. Per token: 6 × 493,961,216
    matmul weights + 12·24·2048·14·64 = 3,492,249,600 trained, 2 × 493,961,216 + 4·24·2048·14·64 =
    1,164,083,200 forward. Only the update is training compute (the reference is auxiliary)."""
    result, plan, est = imported(AXOLOTL / "qwen2-dpo.yaml", base_config=str(QWEN25_05B), samples="2000")
    assert phases(plan) == [("DPO update", "fine-tuning", "train", 32_768_000, True),
                            ("reference model", "auxiliary-model", "forward", 32_768_000, True)]
    assert train_per_token(QWEN25_05B, 2048) == 3_492_249_600
    assert forward_per_token(QWEN25_05B, 2048) == 1_164_083_200
    by_phase = totals(est)
    assert by_phase == {"DPO update": 32_768_000 * 3_492_249_600, "reference model": 32_768_000 * 1_164_083_200}
    assert est.training.total == est.cumulative.total == 114_434_034_892_800_000
    assert result.trace["phases[0].tokens"] == ("2 sequences (chosen, rejected) × num_epochs × --samples × "
                                                "sequence_len")
    never_crossed(est)


def test_axolotl_dpo_over_a_line_reads_at_most_until_tokens_are_given():
    """The same DPO with 10^9 pairs: 4 × 10^9 × 2 × 2,048 = 16,384,000,000,000 tokens ×
    3,492,249,600 = 5.7×10^22, over the one-third modification line (3.3×10^22): a count from
    the sequence caps is a maximum, so the row reads "at most", never "crossed". Given the same
    figure as --tokens (the tokens it trained), it is a count, and crossed."""
    _, plan, est = imported(AXOLOTL / "qwen2-dpo.yaml", base_config=str(QWEN25_05B), samples="1000000000")
    assert est.training.total == 16_384_000_000_000 * 3_492_249_600
    rows = {ev.threshold.id: ev for ev in est.evaluations}
    assert (rows["eu-modification"].status, rows["eu-modification"].bound) == ("at most", "upper")
    never_crossed(est)
    _, plan, est = imported(AXOLOTL / "qwen2-dpo.yaml", base_config=str(QWEN25_05B), tokens="16384000000000")
    assert not any(p.upper_bound for p in plan.phases)
    assert {ev.threshold.id: ev for ev in est.evaluations}["eu-modification"].status == "crossed"


def test_axolotl_lora_dpo_is_twice_the_same_lora_sft(tmp_path):
    """llama-3/instruct-dpo-lora-8b.yml: LoRA rank 32 on every linear layer of Llama 3 8B, 4
    epochs × 1,900 pairs (2,000 less val_set_size 5%) × 2 × 4,096 = 62,259,200 tokens. Each pair
    is two sequences of the SFT twin (the same file without `rl: dpo`: 4 × 1,900 × 4,096 =
    31,129,600 tokens), so the update is exactly twice its total. The reference is the policy
    with adapters disabled: the base's forward, 2 × 7,504,658,432 + 4·32·4096·4096 =
    17,156,800,512 per token."""
    recipe = AXOLOTL / "instruct-dpo-lora-8b.yml"
    _, plan, est = imported(recipe, base_config=str(LLAMA31_8B), samples="1900")
    assert phases(plan) == [("DPO update", "fine-tuning", "train", 62_259_200, True),
                            ("reference model", "auxiliary-model", "forward", 62_259_200, True)]
    assert plan.phases[0].trainable.lora_rank == 32
    _, sft, sft_est = imported(sft_twin(tmp_path, recipe, "rl: dpo\n"), base_config=str(LLAMA31_8B), samples="1900")
    assert sft.phases[0].tokens == 31_129_600
    by_phase = totals(est)
    assert by_phase["DPO update"] == 2 * sft_est.training.total == est.training.total
    assert forward_per_token(LLAMA31_8B, 4096) == 17_156_800_512
    assert by_phase["reference model"] == 62_259_200 * 17_156_800_512
    never_crossed(est)


def test_axolotl_orpo_runs_no_reference(tmp_path):
    """mistral/orpo/mistral-qlora-orpo.yml: ORPO (Axolotl loads no reference for it), QLoRA
    rank 32 on Mistral 7B. 1 epoch × 1,000 pairs × 2 × 4,096 = 8,192,000 tokens: one phase,
    exactly twice the SFT twin (1 × 1,000 × 4,096)."""
    recipe = AXOLOTL / "mistral-qlora-orpo.yml"
    result, plan, est = imported(recipe, base_config=str(MISTRAL_7B), samples="1000")
    assert phases(plan) == [("ORPO update", "fine-tuning", "train", 8_192_000, True)]
    _, _, sft_est = imported(sft_twin(tmp_path, recipe, "rl: orpo\n"), base_config=str(MISTRAL_7B), samples="1000")
    assert est.training.total == 2 * sft_est.training.total
    assert any(n.startswith("ORPO: 2 trained sequences per example, no reference model") for n in result.notes)


def test_axolotl_kto_update_kl_forward_and_reference(tmp_path):
    """llama-3/qlora-1b-kto.yaml: KTO on Llama 3.2 1B, 1 epoch × 10,000 examples × 2,048 =
    20,480,000 tokens trained (one completion each: the SFT twin's total exactly); TRL's KL term
    runs the policy without gradients over one mismatched completion per example (20,480,000
    tokens, training compute, 2 × 1,235,746,816 + 4·16·2048·2048 = 2,739,929,088 per token);
    the reference runs over both (40,960,000)."""
    recipe = AXOLOTL / "qlora-1b-kto.yaml"
    result, plan, est = imported(recipe, base_config=str(LLAMA32_1B), samples="10000")
    assert phases(plan) == [("KTO update", "fine-tuning", "train", 20_480_000, True),
                            ("KL completions", "fine-tuning", "forward", 20_480_000, True),
                            ("reference model", "auxiliary-model", "forward", 40_960_000, True)]
    _, _, sft_est = imported(sft_twin(tmp_path, recipe, "rl: kto\n"), base_config=str(LLAMA32_1B), samples="10000")
    by_phase = totals(est)
    assert forward_per_token(LLAMA32_1B, 2048) == 2_739_929_088
    assert by_phase == {"KTO update": sft_est.training.total, "KL completions": 20_480_000 * 2_739_929_088,
                        "reference model": 40_960_000 * 2_739_929_088}
    assert est.training.total == by_phase["KTO update"] + by_phase["KL completions"]
    assert any("adapter's own forward" in n for n in result.notes)


def test_axolotl_gdpo_is_grpo_with_the_length_asked_for(tmp_path):
    """llama-3/qlora-1b-gdpo.yaml (full, Llama 3.2 1B Instruct): max_steps 100 × micro 1 ×
    accumulation 8 × 1 device = 800 completions, num_iterations 1. Axolotl gives TRL no prompt
    cap, so --seq-len is asked for: 640 (512 prompt + max_completion_length 128) → 512,000
    tokens. Rollouts 1,608,641,413,120 per sequence (640 × 2 × 1,235,746,816 + 16·2·32·
    (640·641/2)·128); update 6 × 1,235,746,816 + 12·16·640·2048 = 7,666,139,136 per token;
    trl.beta 0.001 > 0: a reference forward (2,555,379,712 per token). No old-policy pass:
    accumulation 8 % (steps_per_generation 8 × 1) = 0 and no vLLM."""
    recipe = AXOLOTL / "qlora-1b-gdpo.yaml"
    _, plan, est = imported(recipe, base_config=str(LLAMA32_1B), gpus="1", seq_len="640")
    assert phases(plan) == [("rollouts", "rl", "generate", 512_000, True),
                            ("policy update", "rl", "train", 512_000, True),
                            ("reference model", "auxiliary-model", "forward", 512_000, True)]
    assert generation_per_sequence(LLAMA32_1B, 640) == 1_608_641_413_120
    assert train_per_token(LLAMA32_1B, 640) == 7_666_139_136
    assert totals(est) == {"rollouts": 800 * 1_608_641_413_120, "policy update": 512_000 * 7_666_139_136,
                           "reference model": 512_000 * forward_per_token(LLAMA32_1B, 640)}
    never_crossed(est)
    line = one_line_everywhere(recipe, tmp_path, "--base-config", str(LLAMA32_1B), "--gpus", "1")
    assert "--seq-len" in line and "qlora-1b-gdpo.yaml" in line


# --- LLaMA-Factory ----------------------------------------------------------------------------

def test_max_samples_caps_each_dataset(tmp_path):
    """qwen3_full_sft.yaml names two datasets (identity, alpaca_en_demo) with max_samples 1,000:
    LLaMA-Factory keeps the first 1,000 rows of each (data/loader.py), so an epoch holds at most
    2,000 samples: 3 × 2,000 × 2,048 = 12,288,000 tokens, an upper bound, without --samples.
    --samples within it is used; above it is refused. pt and interleave_over are no bound."""
    result, plan, _ = imported(LF / "qwen3_full_sft.yaml", base_config=str(QWEN3_4B))
    assert (plan.phases[0].tokens, plan.phases[0].upper_bound) == (12_288_000, True)
    assert result.trace["phases[0].tokens"] == "num_train_epochs × max_samples × 2 datasets × cutoff_len"
    _, plan, _ = imported(LF / "qwen3_full_sft.yaml", base_config=str(QWEN3_4B), samples="1500")
    assert plan.phases[0].tokens == 3 * 1500 * 2048
    line = one_line_everywhere(LF / "qwen3_full_sft.yaml", tmp_path, "--base-config", str(QWEN3_4B),
                               "--samples", "2001")
    assert "--samples" in line and "max_samples × 2 datasets allows (2,000)" in line
    over = tmp_path / "over.yaml"
    over.write_text((LF / "qwen3_full_sft.yaml").read_text() + "mix_strategy: interleave_over\n")
    assert "--samples" in one_line_everywhere(over, tmp_path, "--base-config", str(QWEN3_4B))


def test_llamafactory_lora_dpo_is_twice_the_lora_sft():
    """qwen3_lora_dpo.yaml: dataset dpo_en_demo capped at max_samples 1,000, 3 epochs × 1,000
    pairs × 2 rows × cutoff_len 2,048 = 12,288,000 tokens; rank 8 on all linear layers of
    Qwen3-4B, as qwen3_lora_sft.yaml, whose 3 × 1,000 × 2,048 = 6,144,000 tokens cost exactly
    half. pref_loss sigmoid: the reference (the base, adapters disabled) runs forward over both
    rows, 2 × 4,022,272,000 + 4·36·2048·32·128 = 9,252,503,552 per token."""
    result, plan, est = imported(LF / "qwen3_lora_dpo.yaml", base_config=str(QWEN3_4B))
    assert phases(plan) == [("DPO update", "fine-tuning", "train", 12_288_000, True),
                            ("reference model", "auxiliary-model", "forward", 12_288_000, True)]
    _, _, sft_est = imported(LF / "qwen3_lora_sft.yaml", base_config=str(QWEN3_4B), samples="1000")
    by_phase = totals(est)
    assert by_phase["DPO update"] == 2 * sft_est.training.total == est.training.total
    assert forward_per_token(QWEN3_4B, 2048) == 9_252_503_552
    assert by_phase["reference model"] == 12_288_000 * 9_252_503_552
    never_crossed(est)


@pytest.mark.parametrize("loss, name", [("orpo", "ORPO"), ("simpo", "SimPO")])
def test_llamafactory_orpo_and_simpo_run_no_reference(tmp_path, loss, name):
    """pref_loss orpo or simpo: `use_ref_model` is false (finetuning_args.py): the update only."""
    recipe = tmp_path / "dpo.yaml"
    recipe.write_text((LF / "qwen3_lora_dpo.yaml").read_text().replace("pref_loss: sigmoid", f"pref_loss: {loss}"))
    _, plan, _ = imported(recipe, base_config=str(QWEN3_4B))
    assert phases(plan) == [(f"{name} update", "fine-tuning", "train", 12_288_000, True)]


def test_llamafactory_kto():
    """qwen3_lora_kto.yaml: 3 × 1,000 (max_samples, one dataset) × 2,048 = 6,144,000 tokens
    trained — the SFT recipe's total exactly; the KL completions' no-grad forward over as many;
    the reference over both, 12,288,000, at 9,252,503,552 per token."""
    _, plan, est = imported(LF / "qwen3_lora_kto.yaml", base_config=str(QWEN3_4B))
    assert phases(plan) == [("KTO update", "fine-tuning", "train", 6_144_000, True),
                            ("KL completions", "fine-tuning", "forward", 6_144_000, True),
                            ("reference model", "auxiliary-model", "forward", 12_288_000, True)]
    _, _, sft_est = imported(LF / "qwen3_lora_sft.yaml", base_config=str(QWEN3_4B), samples="1000")
    assert totals(est) == {"KTO update": sft_est.training.total, "KL completions": 6_144_000 * 9_252_503_552,
                           "reference model": 12_288_000 * 9_252_503_552}


def test_llamafactory_reward_model():
    """qwen3_lora_reward.yaml: pairs as two rows, no reference: 3 × 1,000 × 2 × 2,048 =
    12,288,000 tokens, the DPO update's total (same model, adapter, rows); the head's backward
    it counts but the value-head model does not run is said (an upper bound)."""
    result, plan, est = imported(LF / "qwen3_lora_reward.yaml", base_config=str(QWEN3_4B))
    assert phases(plan) == [("reward model update", "fine-tuning", "train", 12_288_000, True)]
    _, _, dpo = imported(LF / "qwen3_lora_dpo.yaml", base_config=str(QWEN3_4B))
    assert est.training.total == dpo.training.total
    assert any("LM head gets no gradient" in n for n in result.notes)


def test_llamafactory_ppo():
    """llama3_lora_ppo.yaml (LLaMA-Factory's own, removed from examples/ in 95ac3f2): 2
    datasets × max_samples 1,000 = 2,000 prompts × 3 epochs = 6,000 generated sequences of at
    most cutoff_len 2,048 + max_new_tokens 512 = 2,560 tokens = 15,360,000. TRL 0.9.6's step:
    rollouts (40,142,509,178,880 per sequence: 2,560 × 2 × 7,504,658,432 + 32·2·32·(2560·2561/2)
    ·256), a policy forward for old log-probabilities and values (16,351,494,144 per token), a
    reference forward, and ppo_epochs 4 updates: 61,440,000 tokens of LoRA training, each as
    flopcount trains LoRA rank 8 at 2,560."""
    result, plan, est = imported(LF / "llama3_lora_ppo.yaml", base_config=str(LLAMA31_8B))
    assert plan.seq_len == 2560
    assert phases(plan) == [("rollouts", "rl", "generate", 15_360_000, True),
                            ("policy update", "rl", "train", 61_440_000, True),
                            ("old-policy log-probabilities", "rl", "forward", 15_360_000, True),
                            ("reference model", "auxiliary-model", "forward", 15_360_000, True)]
    assert generation_per_sequence(LLAMA31_8B, 2560) == 40_142_509_178_880
    assert forward_per_token(LLAMA31_8B, 2560) == 16_351_494_144
    lora = (8, tuple(plan.phases[1].trainable.lora_targets))
    assert totals(est) == {
        "rollouts": 6000 * 40_142_509_178_880,
        "policy update": 6000 * 4 * training_flops(plan.model.spec, 2560, plan.phases[1].attention, lora=lora).total,
        "old-policy log-probabilities": 15_360_000 * 16_351_494_144,
        "reference model": 15_360_000 * 16_351_494_144}
    assert result.trace["seq_len"] == "cutoff_len + max_new_tokens"
    assert any("value head" in n and "6 × 4096" in n for n in result.notes)
    never_crossed(est)


def test_llamafactory_ppo_steps_count_the_buffer(tmp_path):
    """The PPO recipe with max_steps 5 and ppo_buffer_size 2 on 4 devices: a step generates for
    per-device 1 × accumulation 8 × buffer 2 × 4 devices = 64 prompts (ppo/trainer.py
    total_train_batch_size), so 5 × 64 = 320 sequences × 2,560 = 819,200 tokens, updated
    4 times (3,276,800). max_samples bounds no max_steps run: no note says it does."""
    recipe = tmp_path / "ppo.yaml"
    recipe.write_text((LF / "llama3_lora_ppo.yaml").read_text().replace("num_train_epochs: 3.0",
                                                                         "max_steps: 5\nppo_buffer_size: 2"))
    result, plan, _ = imported(recipe, base_config=str(LLAMA31_8B), gpus="4")
    assert [p.tokens for p in plan.phases] == [819_200, 3_276_800, 819_200, 819_200]
    assert result.trace["phases[0].tokens"].endswith("× --gpus × ppo_buffer_size × (cutoff_len + max_new_tokens)")
    assert result.trace["phases[1].tokens"] == "phases[0].tokens × ppo_epochs (LLaMA-Factory default 4)"
    assert not any("caps each" in n for n in result.notes)


# --- LLaMA-Factory v1 -------------------------------------------------------------------------

def test_v1_dpo_one_row_per_pair_is_the_v1_sft(tmp_path):
    """v1/train_lora_dpo.yaml, run as `llamafactory-cli dpo` (--trainer dpo): max_steps 10 ×
    micro_batch_size 1 × 8 devices = 80 pairs, chosen and rejected concatenated in one row of
    at most cutoff_len 2,048: 163,840 tokens, the same as v1/train_lora_sft.yaml (same model,
    LoRA r 16 on all linear layers) trains; sigmoid DPO adds the reference forward."""
    _, plan, est = imported(LF / "v1" / "train_lora_dpo.yaml", base_config=str(QWEN3_4B), trainer="dpo", gpus="8")
    assert phases(plan) == [("DPO update", "fine-tuning", "train", 163_840, True),
                            ("reference model", "auxiliary-model", "forward", 163_840, True)]
    assert plan.phases[0].trainable.lora_rank == 16
    _, sft, sft_est = imported(LF / "v1" / "train_lora_sft.yaml", base_config=str(QWEN3_4B), trainer="sft", gpus="8")
    assert phases(sft) == [("fine-tuning", "fine-tuning", "train", 163_840, True)]
    assert est.training.total == sft_est.training.total
    assert totals(est)["reference model"] == 163_840 * 9_252_503_552
    global_batch = tmp_path / "gb.yaml"
    global_batch.write_text((LF / "v1" / "train_lora_sft.yaml").read_text() + "global_batch_size: 32\n")
    _, plan, _ = imported(global_batch, base_config=str(QWEN3_4B), trainer="sft")
    assert plan.phases[0].tokens == 10 * 32 * 2048


@pytest.mark.parametrize("edit, flags, needles", [
    (lambda t: t, [], ("--trainer", "holds no stage")),
    (lambda t: t, ["--trainer", "sft"], ("--gpus",)),
    (lambda t: t.replace("max_steps: 10\n", ""), ["--trainer", "sft"], ("--samples", "data/v1_sft_demo.yaml")),
    (lambda t: t + "batching_strategy: dynamic_batching\n", ["--trainer", "sft", "--gpus", "8"],
     ("batching_strategy", "by tokens")),
    (lambda t: t.replace("name: lora", "name: freeze"), ["--trainer", "sft", "--gpus", "8"], ("peft_config.name",)),
])
def test_v1_refusals_are_one_line(tmp_path, edit, flags, needles):
    recipe = tmp_path / "train_lora_sft.yaml"
    recipe.write_text(edit((LF / "v1" / "train_lora_sft.yaml").read_text()))
    line = one_line_everywhere(recipe, tmp_path, "--base-config", str(QWEN3_4B), *flags)
    assert all(n in line for n in needles) and "train_lora_sft.yaml" in line, line


# --- what is refused --------------------------------------------------------------------------

@pytest.mark.parametrize("recipe, old, new, needles", [
    (AXOLOTL / "qwen2-dpo.yaml", "rl: dpo", "rl: ebft", ("rl", "'ebft'", "not model")),
    (AXOLOTL / "qwen2-dpo.yaml", "sample_packing: false", "sample_packing: true", ("sample_packing",)),
    (AXOLOTL / "qlora-1b-gdpo.yaml", "  use_vllm: false", "  use_vllm: false\n  async_prefetch: true",
     ("trl.async_prefetch",)),
    (LF / "qwen3_lora_dpo.yaml", "stage: dpo", "stage: grpo", ("stage", "'grpo'")),
])
def test_stages_flopcount_cannot_count_are_one_line(tmp_path, recipe, old, new, needles):
    text = recipe.read_text()
    assert old in text
    path = tmp_path / recipe.name
    path.write_text(text.replace(old, new))
    line = one_line_everywhere(path, tmp_path, "--base-config", str(QWEN3_4B), "--samples", "10", "--gpus", "1",
                               "--seq-len", "640")
    assert all(n in line for n in needles) and recipe.name in line, line
