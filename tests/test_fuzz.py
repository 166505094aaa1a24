"""Property-based: parsers given random or malformed input return a result or raise
`InputError` (a clean one-line message) — never any other exception."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings, strategies as st

from flopcount.model.configs import READERS, spec_from_mapping
from flopcount.boundary.errors import InputError
from flopcount import estimate
from flopcount.boundary.fields import load_mapping
from flopcount.model.formulas import training_flops
from flopcount.inputs.plan import plan_from_mapping
from flopcount.model.spec import count_parameters

from conftest import ROOT

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["2T", "300B", "1.5e12", "-1", "nan", "", "12x", "0", "1_000", "unknown", "0.4:0.5"]),
    st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)

CONFIG_KEYS = ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
               "vocab_size", "head_dim", "tie_word_embeddings", "attention_bias", "mlp_bias", "n_embd", "n_layer",
               "n_head", "n_inner", "n_positions", "num_local_experts", "num_experts", "num_experts_per_tok",
               "moe_intermediate_size", "shared_expert_intermediate_size", "decoder_sparse_step", "mlp_only_layers",
               "multi_query", "new_decoder_architecture", "num_kv_heads", "parallel_attn", "bias",
               "ffn_hidden_size", "qk_layernorm", "max_position_embeddings", "type_vocab_size"]
small_ints = st.one_of(st.integers(1, 64), values)


VALID_CONFIGS = [json.loads(p.read_text()) for p in sorted((ROOT / "tests" / "configs").glob("*.json"))]


@st.composite
def mutated(draw, base: dict, keys: list[str], value_for) -> dict:
    """A valid mapping with 0-3 keys deleted or replaced by random values: mostly-valid input
    reaches the deep paths that a purely random mapping never would."""
    data = dict(base)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
        if draw(st.booleans()) and key in data:
            del data[key]
        else:
            data[key] = draw(value_for(key))
    return data


@st.composite
def hf_configs(draw):
    base = draw(st.sampled_from(VALID_CONFIGS))
    model_types = st.one_of(st.sampled_from(sorted(READERS)), st.text(max_size=6), values)
    return draw(mutated(base, CONFIG_KEYS + ["model_type"],
                        lambda k: model_types if k == "model_type" else small_ints))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hf_configs())
@example(
    config={'architectures': ['Llama4ForCausalLM'],
     'model_type': 'llama4_text',
     'hidden_size': 64,
     'intermediate_size': 96,
     'intermediate_size_mlp': 128,
     'num_hidden_layers': '300B',
     'num_attention_heads': 4,
     'num_key_value_heads': 2,
     'head_dim': 16,
     'vocab_size': 300,
     'num_local_experts': 4,
     'num_experts_per_tok': 1,
     'interleave_moe_layer_step': 2,
     'attention_chunk_size': 24,
     'no_rope_layer_interval': 2},
).via("300B layers: per-layer lists exhausted memory (MemoryError) before the layer bound")
def test_config_parser_never_crashes(config):
    try:
        spec = spec_from_mapping(config, "config.json")
    except InputError as exc:
        assert str(exc).startswith("config.json")
        return
    params = count_parameters(spec)
    assert params.total >= params.active > 0
    assert training_flops(spec, 8).total > 0


PHASE_KEYS = ["name", "kind", "public", "tokens", "steps", "batch_size", "seq_len", "attention", "trainable",
              "hardware", "flops", "start", "end", "note", "tken"]
phase_values = {
    "kind": st.one_of(st.sampled_from(["pre-training", "fine-tuning", "synthetic-data", "evaluation", "rl",
                                       "merged-weights", "pretraining"]), values),
    "hardware": st.one_of(st.fixed_dictionaries({}, optional={
        "accelerator": st.sampled_from(["h100", "a100", "tpu-v5p", "h900", "v100"]),
        "gpu_hours": values, "gpus": small_ints, "hours": values, "days": values,
        "precision": st.sampled_from(["bf16", "fp8", "fp64", "int4"]), "utilization": values}), values),
    "trainable": st.one_of(st.just("all"), st.fixed_dictionaries({}, optional={
        "lora": st.fixed_dictionaries({}, optional={"rank": small_ints, "targets": values}),
        "weights": values}), values),
}


VALID_PHASES = [
    {"name": "pt", "kind": "pre-training", "tokens": "1T",
     "hardware": {"accelerator": "h100", "gpus": 64, "days": 3, "utilization": "0.3:0.4"}},
    {"name": "sft", "kind": "fine-tuning", "steps": 100, "batch_size": 8, "seq_len": 1024},
    {"name": "lora", "kind": "fine-tuning", "tokens": "1B", "trainable": {"lora": {"rank": 8, "targets": ["q"]}}},
    {"name": "synth", "kind": "synthetic-data", "public": False, "tokens": "5B"},
    {"name": "merge", "kind": "merged-weights", "flops": 1e22},
]


@st.composite
def plans(draw):
    phases = [draw(mutated(p, PHASE_KEYS, lambda k: phase_values.get(k, small_ints)))
              for p in draw(st.lists(st.sampled_from(VALID_PHASES), max_size=3, unique_by=lambda p: p["name"]))]
    model = draw(st.sampled_from([{"config": "../configs/llama-2-7b.json"}, {"params": "7B"}, None]))
    if model is None:
        model = draw(st.one_of(st.fixed_dictionaries({}, optional={"params": values, "config": values}), values))
    base = {"flopcount_plan": 1, "model": model, "phases": phases, "seq_len": 2048, "attention": "causal",
            "base_model": {"training_compute": "unknown", "systemic_risk": True}}
    return draw(mutated(base, ["flopcount_plan", "seq_len", "attention", "base_model", "name"],
                        lambda k: values))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_plan_parser_never_crashes(data):
    try:
        plan = plan_from_mapping(data, "plan.yaml", ROOT / "examples" / "plans")
    except InputError as exc:
        assert str(exc).startswith(("plan.yaml", str(ROOT)))
        return
    result = estimate(plan)
    assert result.cumulative.total >= 0


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                 values.map(lambda v: json.dumps(v, allow_nan=True).encode())),
       st.sampled_from(["x.json", "x.yaml"]))
def test_any_file_loads_or_fails_cleanly(tmp_path_factory, content, name):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(content)
    try:
        assert isinstance(load_mapping(path), dict)
    except InputError as exc:
        assert str(path) in str(exc)
