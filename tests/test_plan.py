"""Run plans: phase classification, totals, lineage and the modification rule."""
from __future__ import annotations

import pytest
import yaml

from flopcount.data.phases import PHASE_KINDS
from flopcount.boundary.errors import InputError
from flopcount import estimate
from flopcount.inputs.plan import load_plan, plan_from_mapping

from conftest import ROOT


def plan(text: str, tmp_path=None):
    return plan_from_mapping(yaml.safe_load(text), "plan.yaml", ROOT / "examples" / "plans")


def test_every_phase_kind_is_classified():
    ids = {k.id for k in PHASE_KINDS}
    assert {"pre-training", "continued-pre-training", "fine-tuning", "rl", "synthetic-data",
            "synthetic-data-public", "evaluation", "distillation-teacher", "merged-weights",
            "initialising-weights", "activation-recomputation"} <= ids
    excluded = {k.id for k in PHASE_KINDS if not k.training and not k.cumulative}
    assert {"evaluation", "synthetic-data-public", "distillation-teacher", "activation-recomputation"} <= excluded
    assert all(k.source for k in PHASE_KINDS)


def test_totals_follow_the_classification():
    """N = 1e9 (6ND): pre-training 1e12 tokens -> 6e21; private synthetic data 1e11
    generated tokens -> 2·1e9·1e11 = 2e20 (cumulative only); public synthetic data and
    evaluation -> neither; merged weights 5e21 reported -> cumulative only.
    training = 6e21; cumulative = 6e21 + 2e20 + 5e21 = 1.12e22."""
    p = plan("""
flopcount_plan: 1
model: {params: 1B}
phases:
  - {name: pt, kind: pre-training, tokens: 1T}
  - {name: synth, kind: synthetic-data, public: false, tokens: 100B}
  - {name: synth-pub, kind: synthetic-data, public: true, tokens: 100B}
  - {name: eval, kind: evaluation, tokens: 10B}
  - {name: merge, kind: merged-weights, flops: 5e21}
""")
    r = estimate(p)
    assert r.training.total == 6 * 10**21
    assert r.cumulative.total == 6 * 10**21 + 2 * 10**20 + 5 * 10**21
    assert [pr.phase.kind.id for pr in r.phases][2] == "synthetic-data-public"
    assert r.by_method["6ND"].total == 6 * 10**21 + 2 * 10**20
    assert r.covered["6ND"] == ("pt", "synth")


def test_steps_batch_seq_len_and_lora_plan():
    p = load_plan(ROOT / "examples/plans/finetune-llama-3.1-8b.yaml")
    sft = next(ph for ph in p.phases if ph.name == "SFT")
    assert sft.tokens == 3000 * 64 * 4096
    lora = next(ph for ph in p.phases if ph.name == "LoRA domain adapter")
    # rank 16 on q,k,v,o (4096→4096, 4096→1024 ×2, 4096→4096) and gate,up,down (4096↔14336), 32 layers
    per_layer = 16 * ((4096 + 4096) + 2 * (4096 + 1024) + (4096 + 4096) + 3 * (4096 + 14336))
    assert lora.trainable.adapter_weights == 32 * per_layer
    r = estimate(p)
    mod = next(e for e in r.evaluations if e.threshold.id == "eu-modification")
    assert mod.line == 240 * 10**21  # 7.2e23 / 3
    assert mod.compared == r.training.total
    assert r.lineage_cumulative.total == r.cumulative.total + 72 * 10**22


def test_hardware_only_phase_and_method_preference():
    p = plan("""
flopcount_plan: 1
model: {params: 7B}
phases:
  - name: run
    kind: pre-training
    tokens: 1T
    hardware: {accelerator: a100, gpus: 1000, days: 10, utilization: 0.4}
""")
    r = estimate(p)
    assert r.phases[0].primary == "6ND"
    hw = r.phases[0].estimates["hardware"]
    assert hw.total == pytest.approx(1000 * 240 * 3600 * 312e12 * 0.4)
    assert estimate(p, prefer="hardware").training.total == pytest.approx(hw.total)


def test_work_forward_and_generate_in_a_training_kind():
    """An RL run's three kinds of work on one model (the bundled Llama 3.1 8B config):
    rollouts generate (forward_flops at causal pairs, what a KV cache computes), log-probability
    passes run one forward at the phase's convention, the update runs forward and backward;
    all three count as training (kind rl). 6ND: 2·N·D for both forward-only kinds."""
    from flopcount.model.formulas import forward_flops, training_flops
    p = plan("""
flopcount_plan: 1
model: {config: ../configs/llama-3.1-8b.json}
seq_len: 1024
phases:
  - {name: rollouts, kind: rl, work: generate, tokens: 1024000}
  - {name: logprobs, kind: rl, work: forward, tokens: 1024000}
  - {name: update, kind: rl, tokens: 1024000}
""")
    spec = p.model.spec
    r = estimate(p)
    full = {pr.phase.name: pr.estimates["full"].total for pr in r.phases}
    assert full["rollouts"] == 1000 * forward_flops(spec, 1024, "causal").total
    assert full["logprobs"] == 1000 * forward_flops(spec, 1024, "full").total > full["rollouts"]
    assert full["update"] == 1000 * training_flops(spec, 1024, "full").total
    assert r.training.total == sum(full.values())
    N = r.parameters.active
    assert [pr.estimates["6ND"].total for pr in r.phases] == [2 * N * 1024000, 2 * N * 1024000, 6 * N * 1024000]


@pytest.mark.parametrize("snippet,needle", [
    ("phases: [{kind: evaluation, work: train, tokens: 1B}]", "phases[0].work: evaluation phases generate"),
    ("phases: [{kind: rl, work: sample, tokens: 1B}]", "phases[0].work: "),
    ("phases: [{kind: rl, work: forward, tokens: 1B, trainable: all}]", "updates no weights"),
    ("phases: []", "phases: must be a non-empty list"),
    ("phases: [{kind: synthetic-data, tokens: 1B}]", "phases[0].public: required"),
    ("phases: [{kind: pre-training}]", "give at least one of tokens"),
    ("phases: [{kind: pre-training, tokens: 1B, steps: 3, batch_size: 2}]", "phases[0].tokens: give tokens, or steps"),
    ("phases: [{kind: pre-training, hardware: {accelerator: a100, gpus: 8}}]", "give gpu_hours, or gpus"),
    ("phases: [{name: a, kind: rl, tokens: 1}, {name: a, kind: rl, tokens: 1}]", "repeated: a"),
    ("phases: [{kind: fine-tuning, tokens: 1B, trainable: {lora: {rank: 8}}}]", "needs the model's architecture"),
    ("phases: [{kind: pre-training, tokens: 1B, start: '2024-13-01'}]", "phases[0].start: must be a date"),
    ("phases: [{kind: pre-training, tokens: 1B, start: 2024-03-01, end: 2024-02-01}]", "is before start"),
])
def test_plan_errors_name_the_field(snippet, needle):
    with pytest.raises(InputError) as info:
        plan("flopcount_plan: 1\nmodel: {params: 7B}\n" + snippet)
    assert needle in str(info.value) and str(info.value).startswith("plan.yaml: ")


def test_model_config_error_names_the_config_file(tmp_path):
    (tmp_path / "c.json").write_text('{"model_type": "llama", "hidden_size": 64}')
    with pytest.raises(InputError, match=r"c\.json: num_attention_heads: required"):
        plan_from_mapping({"flopcount_plan": 1, "model": {"config": "c.json"},
                           "phases": [{"kind": "pre-training", "tokens": 10}]}, str(tmp_path / "p.yaml"))


def test_invalid_yaml_date_is_a_clean_error(tmp_path):
    from flopcount.boundary.fields import load_mapping
    path = tmp_path / "p.yaml"
    path.write_text("start: 2024-13-01\n")
    with pytest.raises(InputError, match=r"p.yaml: malformed YAML at line 1 column 8: '2024-13-01' is not a date \(month must be in 1..12\)"):
        load_mapping(path)
