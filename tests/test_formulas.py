"""Formulas against arithmetic worked by hand."""
from __future__ import annotations

import pytest

from flopcount.model.formulas import (forward_flops, generation_flops, kaplan_6nd, lora_weights, training_flops)
from flopcount.model.spec import count_parameters, decoder

TINY = decoder(name="tiny", n_layers=2, d_model=64, n_heads=4, n_kv_heads=2, head_dim=16, d_ff=128,
                 vocab_size=1000)


def test_tiny_llama_by_hand():
    """Per layer: q 64·64 + k 32·64 + v 32·64 + o 64·64 = 12,288; MLP 3·64·128 = 24,576;
    2 layers · 36,864 · 2 FLOP = 147,456 per token. Attention (full, T=16):
    2 matmuls · 2 · L=2 · H=4 · h=16 · T=16 keys = 8,192 per token. Logits 2·64·1000 = 128,000.
    Forward per token 283,648; per sequence ·16 = 4,538,368; training ·3 = 13,615,104
    (which FlopCounterMode also reports for LlamaForCausalLM of this config)."""
    fwd = forward_flops(TINY, 16)
    assert (fwd.linear, fwd.attention, fwd.logits) == (147_456 * 16, 8_192 * 16, 128_000 * 16)
    assert training_flops(TINY, 16).total == 13_615_104


def test_kaplan_gpt3():
    """GPT-3: 6 · 175e9 · 300e9 = 3.15e23 (Brown et al. 2020 Table D.1 lists 3.14e23 for
    174.6e9 parameters)."""
    assert kaplan_6nd(175 * 10**9, 300 * 10**9) == 315 * 10**21
    assert f"{kaplan_6nd(174_600_000_000, 300 * 10**9):.2e}" == "3.14e+23"


def test_moe_counts_only_routed_experts():
    """Top-2 of 8 experts, expert width 256, d 64: per token per layer the router is
    64·8 = 512 MACs and two experts 2·3·64·256 = 98,304 MACs, vs 8 experts in parameters."""
    moe = decoder(name="moe", n_layers=1, d_model=64, n_heads=4, n_kv_heads=4, head_dim=16, d_ff=0,
                    vocab_size=100, n_experts=8, top_k=2, d_ff_expert=256, moe_layers=1)
    p = count_parameters(moe)
    attention = 4 * 64 * 64
    assert p.matmul_active == attention + 512 + 98_304
    assert p.total - p.active == 6 * 3 * 64 * 256
    assert forward_flops(moe, 1).linear == 2 * p.matmul_active


def test_lora_by_hand():
    """Rank 8 on q and v of TINY: q is 64→64, v is 64→32. Per layer 8·(64+64) + 8·(64+32)
    = 1,792 adapter weights; 2 layers = 3,584. Training per token: base forward F, base
    activation gradients (linear + logits) + 2 · attention, adapters 3 · 2 · 3,584."""
    adapters = lora_weights(TINY, 8, ("q", "v"))
    assert adapters == 3_584
    T = 16
    fwd = forward_flops(TINY, T)
    lora = training_flops(TINY, T, adapter_weights=adapters)
    assert lora.forward == fwd.total + 2 * T * adapters
    assert lora.backward == fwd.linear + fwd.logits + 2 * fwd.attention + 2 * (2 * T * adapters)
    full = training_flops(TINY, T)
    # A frozen base saves exactly the base weight gradients: linear + logits.
    assert full.total - (lora.total - 6 * T * adapters) == fwd.linear + fwd.logits


def test_frozen_with_all_weights_trainable_equals_full():
    p = count_parameters(TINY)
    T = 8
    frozen_all = training_flops(TINY, T, trainable_weights=p.matmul_active + p.logits)
    assert frozen_all.total == training_flops(TINY, T).total


def test_generation_is_forward_with_causal_pairs():
    """KV-cached generation of T tokens: token t attends to t positions, Σ t = T(T+1)/2."""
    T = 10
    fwd = forward_flops(TINY, T, "causal")
    assert generation_flops(TINY, T) == fwd.total
    assert fwd.attention == 2 * 2 * 2 * 4 * 16 * 55


def test_lora_rejects_gate_on_plain_mlp():
    from flopcount.boundary.errors import InputError
    plain = decoder(name="p", n_layers=1, d_model=8, n_heads=2, n_kv_heads=2, head_dim=4, d_ff=16,
                      vocab_size=10, mlp="plain")
    with pytest.raises(InputError, match="no gate"):
        lora_weights(plain, 4, ("gate",))
