"""NeMo-RL YAML recipes (NVIDIA-NeMo/RL `examples/configs/`, commit 7ea279a; cited in
tests/recipes/SOURCES.md) imported through their `defaults:` chains; tokens worked by hand,
and NeMo-RL's own training-FLOP formulas (nemo_rl/utils/flops_formulas.py) compared."""
from __future__ import annotations

from fractions import Fraction

import pytest

from flopcount.model.formulas import forward_flops, generation_flops, training_flops
from flopcount.importers import find

from test_recipes import LLAMA31_8B, RECIPES, cli, imported
from test_trl_recipes import R1_DISTILL_15B

LLM = RECIPES / "nemo-rl" / "examples" / "configs" / "recipes" / "llm"
SFT = LLM / "sft-llama3.1-8b-1n4g-fsdp2tp1-long.yaml"
GRPO = LLM / "grpo-deepscaler-1.5b-8K.yaml"
DPO = LLM / "dpo-llama3.1-8b-tulu3-1n8g-fsdp2tp1.yaml"


def nemo_rl_llama(gbs, s, L, h, g, a, ffn, V) -> Fraction:
    """NeMo-RL's `llama` model FLOPs (flops_formulas.py), exact: gbs·s·L·h²·(12 + 12·g/a +
    18·ffn/h + 6·s/h + 6·V/(L·h)) — the causal half of the attention square."""
    return gbs * s * L * h * h * (12 + Fraction(12 * g, a) + Fraction(18 * ffn, h) + Fraction(6 * s, h)
                                  + Fraction(6 * V, L * h))


def nemo_rl_qwen2(gbs, s, L, h, ffn, V) -> Fraction:
    """NeMo-RL's `qwen2` model FLOPs, exact: 6·gbs·L·s·h²·((2+1) + s/h + 1) + 6·gbs·L·s·h·3·ffn +
    6·gbs·s·h·V. Its "QKV gemm" term (2+1)·h² sizes K and V as h×h, whatever the KV heads."""
    attention = 6 * gbs * L * s * h * h * (3 + Fraction(s, h) + 1)
    return attention + 6 * gbs * L * s * h * 3 * ffn + 6 * gbs * s * h * V


def test_sft_chain_steps_and_nemo_rl_figure():
    """sft-llama3.1-8b-1n4g…-long.yaml → …-1n8g…-long.yaml → sft.yaml: max_num_steps 10,000,
    global batch 512, 4096 tokens. With 950,000 training samples (OpenMathInstruct-2 train_1M
    less the 5% validation split) one epoch is ⌊950,000 / 512⌋ = 1,855 steps, fewer than
    10,000: 1,855 × 512 × 4096 = 3,890,216,960 tokens. NeMo-RL's llama formula per token at
    4096 is flopcount's less 6·s·h·L = 3,221,225,472 (the other half of the attention square),
    exactly."""
    result, plan, est = imported(SFT, base_config=str(LLAMA31_8B), samples="950000")
    assert plan.phases[0].tokens == 1855 * 512 * 4096 == 3_890_216_960
    assert plan.phases[0].kind.id == "fine-tuning" and plan.seq_len == 4096
    theirs = nemo_rl_llama(1, 4096, 32, 4096, 8, 32, 14336, 128256)
    ours = training_flops(plan.model.spec, 4096, "full").total
    assert ours == theirs + 4096 * (6 * 4096 * 4096 * 32)  # per token 6·s·h·L, × s tokens
    assert est.training.total == 1855 * 512 * ours
    _, plan, _ = imported(SFT, base_config=str(LLAMA31_8B))
    assert plan.phases[0].tokens == 10_000 * 512 * 4096


def test_grpo_deepscaler_passes_and_nemo_rl_figure():
    """grpo-deepscaler-1.5b-8K.yaml → grpo_math_1B.yaml: 128 prompts × 8 generations per step;
    DeepScaler's 40,315 problems give ⌊40,315 / 128⌋ = 314 steps (max_num_steps 1,000,000):
    321,536 sequences × 8192 = 2,634,022,912 tokens per pass. reference_policy_kl_penalty 0.0:
    no reference; the previous-log-probability forward runs. NeMo-RL's qwen2 formula counts the
    update only, with K and V sized as h×h: per token it is flopcount's − 6·s·h·L (causal half,
    2,113,929,216) + 12·h·(h − 256)·L (660,602,880: K, V are 1536→256 here, not 1536→1536),
    exactly; NeMo-RL overstates this GQA model's projections."""
    result, plan, est = imported(GRPO, base_config=str(R1_DISTILL_15B), samples="40315")
    assert [(p.name, p.work, p.tokens) for p in plan.phases] == [
        ("rollouts", "generate", 2_634_022_912), ("policy update", "train", 2_634_022_912),
        ("old-policy log-probabilities", "forward", 2_634_022_912)]
    spec, s = plan.model.spec, 8192
    n = 314 * 128 * 8
    assert est.training.total == n * (generation_flops(spec, s) + training_flops(spec, s, "full").total
                                      + forward_flops(spec, s, "full").total)
    theirs = nemo_rl_qwen2(1, s, 28, 1536, 8960, 151936)
    assert training_flops(spec, s, "full").total == theirs + s * (6 * s * 1536 * 28 - 12 * 1536 * (1536 - 256) * 28)
    assert any("activation checkpointing" in note for note in result.notes)


def test_dpo_tulu3_reference_and_steps():
    """dpo-llama3.1-8b-tulu3….yaml → dpo.yaml: 2,110 steps × 128 pairs × 2 sequences × 2048
    = 1,106,247,680 tokens, and the reference forward over the same (auxiliary-model)."""
    result, plan, est = imported(DPO, base_config=str(LLAMA31_8B))
    assert [(p.name, p.kind.id, p.tokens) for p in plan.phases] == [
        ("DPO update", "fine-tuning", 1_106_247_680), ("reference model", "auxiliary-model", 1_106_247_680)]
    assert est.training.total == 2110 * 256 * training_flops(plan.model.spec, 2048, plan.attention).total
    assert any("max_num_steps (2,110)" in n and "--samples" in n for n in result.notes)


def test_grpo_deepscaler_without_samples_is_at_most_never_crossed(tmp_path):
    """Without --samples the DeepScaler recipe runs grpo.max_num_steps: 1,000,000 × 128 × 8 =
    1,024,000,000 sequences of at most 8,192 tokens (8,388,608,000,000). Per sequence
    31,062,981,869,568 (rollout) + 110,504,139,816,960 (update) + 36,834,713,272,320
    (old-policy forward) = 178,401,834,958,848; × 1,024,000,000 = 182,683,478,997,860,352,000,000
    = 1.8×10^23, ×1.83 the GPAI line. Both caps (steps, sequence length) make it a maximum:
    AT MOST, in estimate and in the record, which --check accepts; before, CROSSED. The same
    tokens given as --tokens are a count, and cross."""
    result, plan, est = imported(GRPO, base_config=str(R1_DISTILL_15B))
    assert [(p.tokens, p.upper_bound) for p in plan.phases] == [(8_388_608_000_000, True)] * 3
    assert result.trace["phases[0].upper_bound"] == "policy.max_total_sequence_length, grpo.max_num_steps"
    spec = plan.model.spec
    per_sequence = (generation_flops(spec, 8192) + training_flops(spec, 8192, "full").total
                    + forward_flops(spec, 8192, "full").total)
    assert per_sequence == 31_062_981_869_568 + 110_504_139_816_960 + 36_834_713_272_320 == 178_401_834_958_848
    assert est.training.total == 1_024_000_000 * per_sequence == 182_683_478_997_860_352_000_000
    rows = {ev.threshold.id: ev for ev in est.evaluations}
    assert (rows["eu-gpai"].status, rows["eu-gpai"].bound) == ("at most", "upper")
    assert all(ev.status != "crossed" for ev in est.evaluations)
    # with the dataset size the steps are known (314); the sequence cap still bounds the count
    result, plan, _ = imported(GRPO, base_config=str(R1_DISTILL_15B), samples="40315")
    assert all(p.upper_bound for p in plan.phases)
    assert result.trace["phases[0].upper_bound"] == "policy.max_total_sequence_length"
    _, plan, est = imported(GRPO, base_config=str(R1_DISTILL_15B), tokens="8388608000000")
    assert not any(p.upper_bound for p in plan.phases)
    assert est.training.total == 182_683_478_997_860_352_000_000
    assert next(ev for ev in est.evaluations if ev.threshold.id == "eu-gpai").status == "crossed"
    stem = tmp_path / "r"
    out = cli("record", "--plan", str(GRPO), "--base-config", str(R1_DISTILL_15B), "-o", str(stem))
    assert out.returncode == 0, out.stderr
    text = stem.with_suffix(".json").read_text()
    assert '"crossed"' not in text and '"status": "at most"' in text
    check = cli("record", "--check", str(stem.with_suffix(".json")))
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("path", [SFT, GRPO, DPO, RECIPES / "nemo-rl" / "examples" / "configs" / "sft.yaml"])
def test_nemo_rl_recipes_are_sniffed(path):
    assert find(path).name == "nemo-rl"


def test_bad_nemo_rl_configs_are_one_line(tmp_path):
    (tmp_path / "a.yaml").write_text("defaults: b.yaml\n")
    (tmp_path / "b.yaml").write_text("defaults: a.yaml\npolicy: {model_name: x}\nsft: {max_num_steps: 1}\n")
    base = (RECIPES / "nemo-rl" / "examples" / "configs" / "grpo_math_1B.yaml").read_text()
    (tmp_path / "ppo.yaml").write_text(base.replace("grpo:\n", "ppo:\n", 1))
    (tmp_path / "missing.yaml").write_text(f"defaults: {SFT}\npolicy:\n  max_total_sequence_length: 1,5K\n")
    for name, needle in (("a.yaml", "not a recipe"), ("ppo.yaml", "ppo config"),
                         ("missing.yaml", "policy.max_total_sequence_length")):
        out = cli("import", str(tmp_path / name), "--base-config", str(LLAMA31_8B))
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and needle in lines[0], (name, out.stderr)
