"""LoRA targets as real recipes name them (issue 28 item 1): transformers' and Megatron's
module names mapped onto the block matrices, fused projections counted as one adapter over
their fused output, groups resolved against the model's own modules.

References: hand arithmetic in the comments; PEFT's own trainable-parameter count on the
transformers model built on meta (skipped where peft is not installed); the measured step
of tiny transformers models with one LoRA adapter wrapped around each targeted module
(skipped without torch/transformers). Real recipes: NeMo 2's DeepSeek-V3 and Llama 3 8B
fine-tuning recipes and Megatron-Bridge's Llama 3.2 1B override file (tests/recipes/SOURCES.md).
"""
from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import pytest

from flopcount.cli import main
from flopcount.inputs.configs import load_spec, spec_from_mapping
from flopcount.data.lora_targets import MEGATRON_DEFAULT_DIM, MEGATRON_DEFAULT_TARGETS, MODULES
from flopcount.boundary.errors import InputError
from flopcount.model.formulas import forward_flops, lora_weights, training_flops

from conftest import ROOT

EX, RECIPES = ROOT / "examples" / "configs", ROOT / "tests" / "recipes"
PHI3, PYTHIA, DSV3, LLAMA31_8B = (EX / f"{n}.json" for n in ("phi-3-mini-4k", "pythia-1.4b", "deepseek-v3",
                                                             "llama-3.1-8b"))
MLA_NAMES = ("q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj")


def peft_count(config: Path, rank: int, targets) -> int:
    """PEFT's own trainable-parameter count for this LoRA on the transformers model (meta)."""
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from conftest import hf_model
    model = get_peft_model(hf_model(config), LoraConfig(r=rank, target_modules=targets))
    return model.get_nb_trainable_parameters()[0]


# --- fused projections, by hand and against PEFT -----------------------------------------

def test_phi3_fused_projections_are_one_adapter_each():
    """Phi-3-mini (32 layers, d 3072, 32 heads × 96 = 3072 for q, k and v, MLP 8192), r=16 on
    qkv_proj, o_proj, gate_up_proj, down_proj: 32 × 16 × [(3072 + 9216) + (3072 + 3072) +
    (3072 + 16384) + (8192 + 3072)] = 32 × 16 × 49,152 = 25,165,824 — not the 29,884,416 of
    separate adapters on q, k, v, o, gate, up, down (32 × 16 × 58,368)."""
    spec = load_spec(PHI3)
    fused = lora_weights(spec, 16, ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"))
    assert fused == 32 * 16 * 49_152 == 25_165_824
    assert lora_weights(spec, 16, ("q", "k", "v", "o", "gate", "up", "down")) == 32 * 16 * 58_368 == 29_884_416
    assert lora_weights(spec, 16, ("all-linear",)) == fused  # PEFT's all-linear wraps Phi-3's fused modules


def test_gpt_neox_query_key_value():
    """Pythia-1.4B (24 layers, d 2048, plain MLP 8192), r=16 on query_key_value (as Axolotl's
    pythia LoRA example names it): 24 × 16 × (2048 + 3·2048) = 3,145,728; all-linear adds
    dense, dense_h_to_4h, dense_4h_to_h: 24 × 16 × (8192 + 4096 + 10240 + 10240) = 12,582,912."""
    spec = load_spec(PYTHIA)
    assert lora_weights(spec, 16, ("query_key_value",)) == 24 * 16 * 8192 == 3_145_728
    assert lora_weights(spec, 16, ("all-linear",)) == 24 * 16 * 32_768 == 12_582_912


@pytest.mark.parametrize("config, targets, expected", [
    (PHI3, ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"], 25_165_824),
    (PHI3, "all-linear", 25_165_824),
    (PYTHIA, ["query_key_value"], 3_145_728),
    (PYTHIA, "all-linear", 12_582_912),
    (DSV3, list(MLA_NAMES), 97_006_592),
])
def test_adapter_weights_equal_peft(config, targets, expected):
    """PEFT wraps each matched module in one adapter of that module's shape."""
    assert peft_count(config, 16, targets) == expected
    names = (targets,) if isinstance(targets, str) else tuple(targets)
    assert lora_weights(load_spec(config), 16, names) == expected


# --- DeepSeek-V3: latent attention, never a target `q` -----------------------------------

def test_deepseek_v3_attention_by_hand():
    """DeepSeek-V3 (61 layers, d 7168, 128 heads, q_lora_rank 1536, kv_lora_rank 512, qk 128 +
    64 rope, v 128), r=16 on the five attention matrices: 61 × 16 × [(7168 + 1536) q_a +
    (1536 + 128·192) q_b + (7168 + 576) kv_a + (512 + 128·256) kv_b + (128·128 + 7168) o]
    = 61 × 16 × 99,392 = 97,006,592. The same through Megatron's names and the `attention`
    group, which resolve against the model's own matrices (no q, k, v there)."""
    spec = load_spec(DSV3)
    per_layer = (7168 + 1536) + (1536 + 128 * 192) + (7168 + 576) + (512 + 128 * 256) + (128 * 128 + 7168)
    assert per_layer == 99_392
    assert lora_weights(spec, 16, MLA_NAMES) == 61 * 16 * per_layer == 97_006_592
    megatron = ("linear_q_down_proj", "linear_q_up_proj", "linear_kv_down_proj", "linear_kv_up_proj", "linear_proj")
    assert lora_weights(spec, 16, megatron) == lora_weights(spec, 16, ("attention",)) == 97_006_592


def test_deepseek_v3_mlp_names_refused_on_moe():
    """PEFT's gate_proj / all-linear on DeepSeek-V3 also adapt the shared experts of its 58
    MoE layers (transformers builds them as nn.Linear), which is not modelled: one line."""
    spec = load_spec(DSV3)
    for targets in (("all-linear",), ("gate_proj",), ("linear_fc1",)):
        with pytest.raises(InputError, match="mixture-of-experts layers"):
            lora_weights(spec, 16, targets)


def _peft_assignments(path: Path) -> dict[str, object]:
    """`recipe.peft.X = <literal>` assignments of a NeMo 2 recipe, read with ast (never run)."""
    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute):
            target = node.targets[0]
            if ast.unparse(target.value) == "recipe.peft":
                found[target.attr] = ast.literal_eval(node.value)
    return found


def estimate_plan(tmp_path, config: Path, rank: int, targets, seq_len: int = 2048) -> dict:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"flopcount_plan": 1, "name": "lora", "seq_len": seq_len,
                                "model": {"config": str(config)},
                                "phases": [{"kind": "fine-tuning", "tokens": 2048,
                                            "trainable": {"lora": {"rank": rank, "targets": list(targets)}}}]}))
    assert main(["estimate", str(plan), "--json"]) == 0
    return plan


def test_nemo2_deepseek_v3_lora_recipe(tmp_path, capsys):
    """NeMo 2's DeepSeek-V3 fine-tuning recipe (tests/recipes/nemo/deepseek_v3.py) adapts the
    five MLA projections at LoRA's default dim 32: 61 × 32 × 99,392 = 194,013,184 weights. Per
    sequence of T = 2048: frozen base forward F, backward F_linear + F_logits + 2 F_attention
    (activation gradients only), adapters 3 × 2 × T × W, minus what layer 0 skips: q_a and kv_a
    read the frozen embeddings, so no input gradient for them, 2T·7168·(1536 + 576), nor for
    their adapters' A, 2T·7168·32 each."""
    found = _peft_assignments(RECIPES / "nemo" / "deepseek_v3.py")
    targets, rank = found["target_modules"], found.get("dim", MEGATRON_DEFAULT_DIM)
    assert targets == ["linear_q_down_proj", "linear_q_up_proj", "linear_kv_down_proj", "linear_kv_up_proj",
                       "linear_proj"] and rank == 32
    spec = load_spec(DSV3)
    weights = lora_weights(spec, rank, tuple(targets))
    assert weights == 61 * 32 * 99_392 == 194_013_184
    T = 2048
    fwd = forward_flops(spec, T)
    saved = 2 * T * 7168 * (1536 + 576) + 2 * (2 * T * 7168 * 32)
    expected = fwd.total + fwd.linear + fwd.logits + 2 * fwd.attention + 3 * 2 * T * weights - saved
    assert training_flops(spec, T, lora=(rank, tuple(targets))).total == expected
    estimate_plan(tmp_path, DSV3, rank, targets)
    assert "194,013,184 trained weights" in json.loads(capsys.readouterr().out)["phases"][0]["estimates"]["full"][
        "formula"]


def test_nemo2_llama3_8b_lora_recipe():
    """NeMo 2's Llama 3 8B recipe sets dim 8 and keeps LoRA's default targets (linear_qkv,
    linear_proj, linear_fc1, linear_fc2); its performance mode narrows them to linear_qkv.
    Llama 3 8B (32 layers, d 4096, 32 heads, 8 KV heads × 128, gated MLP 14336):
    32 × 8 × [(4096 + 6144) + (4096 + 4096) + (4096 + 28672) + (14336 + 4096)] = 32 × 8 × 69,632
    = 17,825,792 (separate adapters per matrix would be 32 × 8 × 81,920 = 20,971,520);
    linear_qkv alone 32 × 8 × 10,240 = 2,621,440."""
    found = _peft_assignments(RECIPES / "nemo" / "llama3_8b.py")
    assert found["dim"] == 8 and found["target_modules"] == ["linear_qkv"]
    spec = load_spec(LLAMA31_8B)  # Llama 3.1 8B: the same matrices as Llama 3 8B
    assert lora_weights(spec, 8, MEGATRON_DEFAULT_TARGETS) == 32 * 8 * 69_632 == 17_825_792
    assert lora_weights(spec, 8, ("q", "k", "v", "o", "gate", "up", "down")) == 32 * 8 * 81_920
    assert lora_weights(spec, 8, tuple(found["target_modules"])) == 32 * 8 * 10_240 == 2_621_440


# --- Megatron-Bridge override files --------------------------------------------------------

BRIDGE = RECIPES / "megatron-bridge"


def test_megatron_bridge_peft_section(capsys):
    """llama32_1b_finetune.yaml: `peft: {dim: 8, alpha: 16}`, targets left to LoRA's default.
    Llama 3.2 1B (16 layers, d 2048, 32 heads, 8 KV heads × 64, gated MLP 8192):
    16 × 8 × [(2048 + 3072) + (2048 + 2048) + (2048 + 16384) + (8192 + 2048)] = 16 × 8 × 37,888
    = 4,849,664 adapter weights; a fine-tune of 100 × 128 × 4096 tokens."""
    assert main(["estimate", str(BRIDGE / "llama32_1b_finetune.yaml"), "--base-config",
                 str(BRIDGE / "llama-3.2-1b-config.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    phase = out["phases"][0]
    assert phase["trainable"] == "lora" and phase["kind"] == "fine-tuning"
    assert f"{16 * 8 * 37_888:,} trained weights" in phase["estimates"]["full"]["formula"]
    assert any("Megatron-Bridge's LoRA default" in n for n in out["notes"])


@pytest.mark.parametrize("peft, needle", [
    ("{_target_: megatron.bridge.peft.dora.DoRA}", "peft._target_: 'megatron.bridge.peft.dora.DoRA' is not modelled"),
    ("{target_modules: ['*.layers.0.*.linear_qkv']}", "targets limited to some layers"),
    ("{target_modules: [q_proj]}", "peft.target_modules[0]: module 'q_proj' is not modelled"),
    ("{exclude_modules: [linear_fc2]}", "peft.exclude_modules"),
    ("{target_modules: ['*']}", "'*' (every linear module, the output layer and experts included) is not modelled"),
])
def test_megatron_bridge_peft_refusals(tmp_path, capsys, peft, needle):
    path = tmp_path / "finetune.yaml"
    path.write_text(f"train: {{train_iters: 10, global_batch_size: 8}}\ndataset: {{seq_length: 512}}\npeft: {peft}\n")
    assert main(["import", str(path), "--base-config", str(BRIDGE / "llama-3.2-1b-config.json")]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err


def test_megatron_bridge_wildcard_for_every_layer(tmp_path, capsys):
    """`*.linear_qkv` matches linear_qkv in every layer (Megatron's wildcard_match): linear_qkv."""
    path = tmp_path / "finetune.yaml"
    path.write_text("train: {train_iters: 10, global_batch_size: 8}\ndataset: {seq_length: 512}\n"
                    "peft: {dim: 8, target_modules: ['*.linear_qkv']}\n")
    assert main(["estimate", str(path), "--base-config", str(BRIDGE / "llama-3.2-1b-config.json"), "--json"]) == 0
    formula = json.loads(capsys.readouterr().out)["phases"][0]["estimates"]["full"]["formula"]
    assert f"{16 * 8 * (2048 + 3072):,} trained weights" in formula


# --- names checked against the model's modules ----------------------------------------------

def test_names_the_model_lacks_are_refused():
    """Qwen3 has q_proj ... down_proj, no fused qkv_proj: PEFT would find nothing to adapt."""
    spec = load_spec(EX / "qwen3-8b.json")
    with pytest.raises(InputError, match="fused module 'qkv_proj' is not in qwen3-8b"):
        lora_weights(spec, 8, ("qkv_proj",))
    with pytest.raises(InputError, match="adapt q twice"):
        lora_weights(spec, 8, ("qkv", "q"))


@pytest.mark.parametrize("config, pattern, expected", [
    # PEFT full-matches the regex against each module's full name; the model's own modules
    (EX / "qwen3-8b.json", r".*_proj", 43_646_976),      # q_proj ... down_proj
    (PHI3, r".*_proj", 25_165_824),                       # qkv_proj, o_proj, gate_up_proj, down_proj
    (PYTHIA, r".*attention\.query_key_value", 3_145_728),
])
def test_regex_targets_resolve_against_the_model(config, pattern, expected):
    """Qwen3-8B (36 layers, d 4096, 32 × 128 q, 8 × 128 k and v, MLP 12288), r=16 on every
    *_proj: 36 × 16 × 75,776 = 43,646,976; the same regex on Phi-3 picks its fused modules."""
    assert 36 * 16 * (2 * (4096 + 4096) + 2 * (4096 + 1024) + 3 * (4096 + 12288)) == 36 * 16 * 75_776 == 43_646_976
    assert lora_weights(load_spec(config), 16, ("re:" + pattern,)) == expected
    assert peft_count(config, 16, pattern) == expected


def test_module_table_matches_transformers():
    """Every `MODULES` row is the set of nn.Linear / Conv1D leaf names (lm_head aside)
    transformers builds for that model_type's default config (two layers, on meta)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from transformers.pytorch_utils import Conv1D
    for model_type, names in MODULES.items():
        config = transformers.AutoConfig.for_model(model_type)
        for key in ("num_hidden_layers", "n_layer", "num_layers"):
            if isinstance(getattr(config, key, None), int):
                setattr(config, key, 2)
        with warnings.catch_warnings(), torch.device("meta"):
            warnings.simplefilter("ignore")
            model = transformers.AutoModelForCausalLM.from_config(config)
        built = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, (torch.nn.Linear, Conv1D))}
        assert built - {"lm_head"} == set(names), model_type


# --- first-layer savings, measured ---------------------------------------------------------

def _tiny(model_type: str, **sizes):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    config = transformers.AutoConfig.for_model(model_type, vocab_size=300, pad_token_id=0, num_hidden_layers=3,
                                               num_attention_heads=4, hidden_size=64, intermediate_size=128, **sizes)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.AutoModelForCausalLM.from_config(config)
    return config, model


def _measured(model, names: tuple[str, ...], rank: int = 4, seq: int = 16) -> int:
    """The measured training step with one adapter (benchmarks' LoRALinear) around each
    module named, the base frozen."""
    import torch
    from benchmarks.accuracy import LoRALinear
    from flopcount.measure import count_step
    model.requires_grad_(False)
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name in names:
                if isinstance(getattr(parent, name, None), torch.nn.Linear):
                    setattr(parent, name, LoRALinear(getattr(parent, name), rank))
    return count_step(model, {"input_ids": torch.zeros(1, seq, dtype=torch.long)}).total


@pytest.mark.parametrize("names", [("qkv_proj",), ("gate_up_proj",), ("o_proj",), ("down_proj",),
                                   ("gate_up_proj", "down_proj"), ("qkv_proj", "o_proj", "gate_up_proj", "down_proj")])
def test_phi3_fused_lora_equals_measured(names):
    """A fused adapter has one A over the layer input, so layer 0 skips one input gradient
    for it, not three: the analytic step equals the measured one exactly."""
    config, model = _tiny("phi3", num_key_value_heads=2)
    measured = _measured(model, names)
    assert training_flops(spec_from_mapping(config.to_dict()), 16, lora=(4, names)).total == measured


MLA = dict(num_key_value_heads=4, first_k_dense_replace=3, q_lora_rank=16, kv_lora_rank=8, qk_nope_head_dim=8,
           qk_rope_head_dim=4, v_head_dim=8, moe_intermediate_size=32, n_routed_experts=4, num_experts_per_tok=2,
           n_group=1, topk_group=1)


@pytest.mark.parametrize("names", [("o_proj",), ("q_b_proj", "kv_b_proj"), MLA_NAMES, ("down_proj",),
                                   ("gate_proj", "up_proj", "down_proj")])
def test_deepseek_v3_lora_equals_measured(names):
    """Latent attention in layer 0 (all layers dense here): q_a and kv_a read the frozen
    input; q_b and kv_b follow them; the analytic step equals the measured one."""
    config, model = _tiny("deepseek_v3", **MLA)
    measured = _measured(model, names)
    assert training_flops(spec_from_mapping(config.to_dict()), 16, lora=(4, names)).total == measured


@pytest.mark.parametrize("names, skipped", [
    # only queries need a gradient: dK = dSᵀ·Q and dV = Aᵀ·dO are not computed,
    # 2 × 4 heads × 16² pairs × (12 + 8) = 40,960
    (("q_a_proj",), 2 * 4 * 16 * 16 * (12 + 8)), (("q_b_proj",), 2 * 4 * 16 * 16 * (12 + 8)),
    # only keys and values need one: dQ = dS·K is not computed, 2 × 4 × 16² × 12 = 24,576
    (("kv_a_proj_with_mqa",), 2 * 4 * 16 * 16 * 12), (("kv_b_proj",), 2 * 4 * 16 * 16 * 12),
])
def test_deepseek_v3_one_sided_attention_on_cpu(names, skipped):
    """flopcount counts attention's backward whole once any of q, k, v needs a gradient (a
    fused kernel computes dQ, dK, dV together). With unequal q/k and v head dims, CPU SDPA
    runs the math path, which skips the gradients of inputs that need none: the measured
    step is lower by exactly those matmuls."""
    config, model = _tiny("deepseek_v3", **MLA)
    measured = _measured(model, names)
    assert training_flops(spec_from_mapping(config.to_dict()), 16, lora=(4, names)).total - skipped == measured


# --- real PEFT adapters ----------------------------------------------------------------------

PEFT_DIR = RECIPES / "peft"


def test_published_phi2_adapter(capsys):
    """A published adapter_config.json (PEFT 0.18.0): r=16 on q_proj, v_proj of Phi-2
    (32 layers, d 2560, 32 heads × 80): 32 × 16 × 2 × (2560 + 2560) = 5,242,880."""
    assert main(["estimate", str(PEFT_DIR / "phi-2-smart-tutor" / "adapter_config.json"), "--base-config",
                 str(EX / "phi-2.json"), "--tokens", "1e6", "--json"]) == 0
    formula = json.loads(capsys.readouterr().out)["phases"][0]["estimates"]["full"]["formula"]
    assert 32 * 16 * 2 * (2560 + 2560) == 5_242_880 and "5,242,880 trained weights" in formula
    assert peft_count(EX / "phi-2.json", 16, ["q_proj", "v_proj"]) == 5_242_880


def test_published_phi15_adapter_names_remote_code_modules(capsys):
    """An adapter trained on phi-1_5's remote code (MixFormer: Wqkv, out_proj, fc1, fc2):
    transformers' Phi has no Wqkv, so it is refused with one line naming the known names."""
    assert main(["estimate", str(PEFT_DIR / "phi-1_5-finetuned" / "adapter_config.json"), "--base-config",
                 str(EX / "phi-2.json"), "--tokens", "1e6"]) == 2
    err = capsys.readouterr().err
    assert "target_modules[2]: module 'Wqkv' is not one flopcount maps" in err and err.count("\n") == 1
