"""The analytic full count equals torch's FlopCounterMode on the transformers model.

FlopCounterMode counts matmuls (mm/addmm/bmm) and, for eager attention, the two attention
matmuls at full T²: the "full" convention. Measured on the meta device: shapes only.
"""
from __future__ import annotations

import json

import pytest

from flopcount.model.configs import load_spec
from flopcount.model.formulas import attention_pairs, forward_flops, training_flops

from conftest import ALL_CONFIGS, hf_model, is_moe

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

# The 2023-era dense configs, against plain FlopCounterMode (the 2024-2026 families are
# checked against flopcount's corrected counter in test_architectures.py: plain
# FlopCounterMode miscounts depthwise-convolution backward (Mamba) and cannot run VLMs).
NEW = {"mamba", "falcon_mamba", "t5", "mt5", "vit", "gemma3", "gemma3_text", "gemma2", "qwen3", "phi3", "olmo2",
       "deepseek_v2", "deepseek_v3", "gpt_oss", "llama4_text", "olmoe", "qwen3_moe", "mamba2", "nemotron_h",
       "qwen2_vl", "qwen2_5_vl", "llama4"}
DENSE = [p for p in ALL_CONFIGS if not is_moe(p) and json.loads(p.read_text())["model_type"] not in NEW]
SEQ = 32


def measure(model, seq_len: int, backward: bool) -> int:
    ids = torch.zeros(2, seq_len, dtype=torch.long, device="meta")  # batch 2: per-sequence = total / 2
    with FlopCounterMode(display=False) as counter:
        logits = model(input_ids=ids).logits
        if backward:
            logits.sum().backward()
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("path", DENSE, ids=lambda p: p.stem)
def test_training_step_matches_flop_counter(path):
    model = hf_model(path)
    spec = load_spec(path)
    reference = measure(model, SEQ, backward=True)
    ours = training_flops(spec, SEQ, "full").total
    assert abs(ours - reference) <= 0.01 * reference  # the bar
    assert ours == reference  # and in fact exact: the same matmuls, counted the same way


@pytest.mark.parametrize("path", DENSE[:3], ids=lambda p: p.stem)
def test_forward_matches_and_backward_is_twice(path):
    model = hf_model(path)
    spec = load_spec(path)
    fwd = measure(model, SEQ, backward=False)
    assert forward_flops(spec, SEQ).total == fwd
    assert training_flops(spec, SEQ).backward == 2 * fwd


def test_causal_convention_halves_attention_by_hand():
    """Llama-2-7B, T=4096: full attention = 2 matmuls · 2 FLOP · L·H·h · T²
    = 524,288 · 16,777,216 = 8,796,093,022,208 per sequence forward; causal keeps
    T(T+1)/2 = 8,390,656 pairs per head: 524,288 · 8,390,656 = 4,399,120,252,928."""
    from conftest import ROOT
    spec = load_spec(ROOT / "examples/configs/llama-2-7b.json")
    full, causal = forward_flops(spec, 4096, "full"), forward_flops(spec, 4096, "causal")
    assert full.attention == 8_796_093_022_208
    assert causal.attention == 4_399_120_252_928
    assert full.linear == causal.linear and full.logits == causal.logits
    assert attention_pairs(4096, "causal", causal_model=False) == 4096**2  # encoders keep every pair
