"""PEFT adapter configs, model ids from the local Hugging Face cache, quantization_config.

The adapter files follow PEFT's `LoraConfig.save_pretrained` layout (the fields of a
published `adapter_config.json`); the reference count of adapter weights is taken from the
transformers model itself: r · (in + out) for every nn.Linear whose name ends with a target.
"""
from __future__ import annotations

import json

import pytest

from flopcount.cli import main

from conftest import ROOT

CONFIGS = ROOT / "examples" / "configs"
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def adapter(tmp_path, **fields):
    data = {"base_model_name_or_path": "Qwen/Qwen3-8B", "bias": "none", "fan_in_fan_out": False,
            "inference_mode": True, "lora_alpha": 32, "lora_dropout": 0.05, "modules_to_save": None,
            "peft_type": "LORA", "r": 16, "rank_pattern": {}, "alpha_pattern": {}, "use_dora": False,
            "use_rslora": False, "target_modules": ALL_LINEAR, "task_type": "CAUSAL_LM", **fields}
    path = tmp_path / "adapter_config.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """A local hub cache holding Qwen/Qwen3-8B's config.json, as huggingface_hub lays it out."""
    repo = tmp_path / "hub" / "models--Qwen--Qwen3-8B"
    (repo / "snapshots" / "0a1b2c").mkdir(parents=True)
    (repo / "snapshots" / "0a1b2c" / "config.json").write_text((CONFIGS / "qwen3-8b.json").read_text())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0a1b2c")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    return repo


def run(capsys, *argv):
    assert main(["estimate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_adapter_weights_equal_the_transformers_modules(tmp_path, hf_cache, capsys):
    """Qwen3-8B, r=16 on all seven projections: 43,646,976 adapter weights (what PEFT's
    print_trainable_parameters reports for this adapter), equal to Σ r·(in+out) over the
    model's own nn.Linear modules named *_proj; the run is a LoRA fine-tune."""
    torch = pytest.importorskip("torch")
    from conftest import hf_model
    model = hf_model(CONFIGS / "qwen3-8b.json")
    expected = sum(16 * (m.in_features + m.out_features) for n, m in model.named_modules()
                   if isinstance(m, torch.nn.Linear) and n.rsplit(".", 1)[-1] in ALL_LINEAR)
    out = run(capsys, str(adapter(tmp_path)), "--tokens", "1e9")
    phase = out["phases"][0]
    assert expected == 43_646_976
    assert phase["trainable"] == "lora" and phase["kind"] == "fine-tuning"
    assert f"{expected:,} trained weights" in phase["estimates"]["full"]["formula"]
    assert out["model"]["name"] == "Qwen/Qwen3-8B"
    assert any("LoRA rank 16" in n and "changes no FLOP" in n for n in out["notes"])


def test_adapter_equals_the_same_run_plan(tmp_path, hf_cache, capsys):
    """The adapter path and a run plan with trainable: {lora: ...} give the same FLOP."""
    via_adapter = run(capsys, str(adapter(tmp_path, target_modules=["q_proj", "v_proj"], r=8)), "--tokens", "5e8",
                      "--seq-len", "4096")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"flopcount_plan: 1\nname: lora\nseq_len: 4096\nmodel: {{config: {CONFIGS / 'qwen3-8b.json'}}}\nphases:\n"
                    "  - {kind: fine-tuning, tokens: 5e8, trainable: {lora: {rank: 8, targets: [q, v]}}}\n")
    via_plan = run(capsys, str(plan))
    assert via_adapter["compute"]["training"] == via_plan["compute"]["training"]


def test_regex_and_all_linear_targets(tmp_path, hf_cache, capsys):
    """PEFT accepts a regex (full match on module names) and "all-linear" (every linear
    layer but the output head): both resolve to the same seven projections here."""
    full = run(capsys, str(adapter(tmp_path)), "--tokens", "1e9")["compute"]["training"]
    regex = run(capsys, str(adapter(tmp_path, target_modules=r".*\.(q|k|v|o|gate|up|down)_proj")),
                "--tokens", "1e9")["compute"]["training"]
    linear = run(capsys, str(adapter(tmp_path, target_modules="all-linear")), "--tokens", "1e9")["compute"]["training"]
    assert full == regex == linear


def test_model_id_from_cache_and_snapshot_folder(hf_cache, capsys):
    by_id = run(capsys, "Qwen/Qwen3-8B", "--tokens", "1e12")
    by_dir = run(capsys, str(hf_cache / "snapshots" / "0a1b2c"), "--tokens", "1e12")
    assert by_id["compute"] == by_dir["compute"] and by_id["model"]["name"] == "Qwen/Qwen3-8B"


@pytest.mark.parametrize("fields,needle", [
    ({"peft_type": "IA3"}, "peft_type: 'IA3' adapters are not modelled"),
    ({"r": 0}, "r:"),
    ({"target_modules": ["q_proj", "lm_head"]}, "target_modules[1]: module 'lm_head'"),
    ({"target_modules": ["qkv_proj"]}, "fused module"),
    ({"target_modules": "(("}, "not a valid regular expression"),
    ({"target_modules": None}, "target_modules: missing"),
    ({"use_dora": True}, "use_dora: DoRA"),
    ({"rank_pattern": {"q_proj": 4}}, "rank_pattern: per-module ranks not modelled"),
    ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
    ({"base_model_name_or_path": "nobody/not-cached"}, "not in the local Hugging Face cache"),
])
def test_bad_adapters_one_line(tmp_path, hf_cache, capsys, fields, needle):
    assert main(["estimate", str(adapter(tmp_path, **fields)), "--tokens", "1e9"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "adapter_config.json" in err and "Traceback" not in err and err.count("\n") == 1


def test_corrupt_adapter_and_misplaced_base_config(tmp_path, capsys):
    bad = tmp_path / "adapter_config.json"
    bad.write_text('{"peft_type": "LORA", "r": 8,')
    assert main(["estimate", str(bad), "--tokens", "1e9"]) == 2
    assert "malformed JSON" in capsys.readouterr().err
    assert main(["estimate", str(CONFIGS / "qwen3-8b.json"), "--base-config", "x.json", "--tokens", "1e9"]) == 2
    assert "--base-config: applies to a PEFT adapter_config.json only" in capsys.readouterr().err


def test_quantization_config_is_stated(tmp_path, capsys):
    """DeepSeek-V3 as published carries an fp8 quantization_config: the FLOP are unchanged
    and the output says why."""
    data = json.loads((CONFIGS / "deepseek-v3.json").read_text())
    plain = run(capsys, str(CONFIGS / "deepseek-v3.json"), "--tokens", "1e12")
    data["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                   "weight_block_size": [128, 128]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    quantized = run(capsys, str(path), "--tokens", "1e12")
    assert quantized["compute"] == plain["compute"]
    assert any(n.startswith("quantization_config (fp8)") for n in quantized["notes"])
