"""Every fused attention kernel counted by flopcount's own formulas, with grouped-query (GQA)
and multi-query (MQA) shapes, on any torch version (issue 31).

The kernels run their meta implementations on device="meta" (shapes only). Worked numbers
for the shapes used throughout: B=2, H_q=16, S=64, d=32 (d_v = d):
    pairs per head  P = S·S = 4,096
    forward         2·B·H_q·P·(d + d_v) = 2·2·16·4096·64           = 16,777,216
    backward        2 × forward (dV, dP, dQ, dK)                    = 33,554,432
    recomputed      2·B·H_q·P·d  (the score matrix Q·Kᵀ again)       =  8,388,608
K/V heads broadcast to the query's, so H_kv ∈ {16, 4, 1} give the same counts.
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch.utils import flop_counter as tfc  # noqa: E402

from flopcount.measure import attention  # noqa: E402
from flopcount.measure.torch_backend import TorchCounter  # noqa: E402

aten = torch.ops.aten
B, HQ, S, D = 2, 16, 64, 32
FORWARD, BACKWARD, RECOMPUTED = 16_777_216, 33_554_432, 8_388_608


def _bhsd(h_kv: int, grad: bool = True):
    m = dict(device="meta", requires_grad=grad)
    return torch.empty(B, HQ, S, D, **m), torch.empty(B, h_kv, S, D, **m), torch.empty(B, h_kv, S, D, **m)


def _t(*xs):  # (B, H, S, D) -> (B, S, H, D), flash's dense layout
    return [x.transpose(1, 2) for x in xs]


KERNELS = {
    "sdpa flash": lambda q, k, v, c: aten._scaled_dot_product_flash_attention(q, k, v, 0.0, c)[0],
    "sdpa cuDNN": lambda q, k, v, c: aten._scaled_dot_product_cudnn_attention(q, k, v, None, True, 0.0, c)[0],
    "sdpa CPU flash": lambda q, k, v, c: aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, c)[0],
    "sdpa overrideable": lambda q, k, v, c: aten._scaled_dot_product_fused_attention_overrideable(
        q, k, v, None, 0.0, c)[0],
    "aten flash": lambda q, k, v, c: aten._flash_attention_forward(*_t(q, k, v), None, None, S, S, 0.0, c, False)[0],
    "aten efficient": lambda q, k, v, c: aten._efficient_attention_forward(
        *_t(q, k, v), None, None, None, S, S, 0.0, int(c))[0],
}


@pytest.mark.parametrize("h_kv", [HQ, 4, 1], ids=["MHA", "GQA", "MQA"])
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_kernel_forward_and_backward_counted(kernel, h_kv):
    """Forward, backward (gradients) and the recomputed score matrix of each kernel, with
    K/V heads broadcast (module docstring); the op names are the kernels'."""
    q, k, v = _bhsd(h_kv)
    with TorchCounter(attention="full", modules=False) as c:
        KERNELS[kernel](q, k, v, True).sum().backward()
    m = c.result
    assert (m.forward, m.backward, m.recomputed) == (FORWARD, BACKWARD, RECOMPUTED)
    assert not m.failed


@pytest.mark.parametrize("h_kv", [4, 1], ids=["GQA", "MQA"])
def test_efficient_sdpa_forward_gqa(h_kv):
    """The memory-efficient SDPA kernel's forward with broadcast K/V heads (its meta backward
    refuses GQA shapes, as the CUDA kernel does: torch expands K/V before calling it)."""
    q, k, v = _bhsd(h_kv, grad=False)
    with TorchCounter(attention="full", modules=False) as c:
        aten._scaled_dot_product_efficient_attention(q, k, v, None, False, 0.0, True)
    assert c.result.forward == FORWARD
    q, k, v = _bhsd(HQ)
    with TorchCounter(attention="full", modules=False) as c:
        aten._scaled_dot_product_efficient_attention(q, k, v, None, True, 0.0, True)[0].sum().backward()
    assert (c.result.forward, c.result.backward, c.result.recomputed) == (FORWARD, BACKWARD, RECOMPUTED)


def test_varlen_kernels_count_each_document():
    """Packed documents of lengths 3, 7 and 6 (cu_seqlens 0, 3, 10, 16): Σ Lᵢ² = 9 + 49 + 36
    = 94 pairs, not 16² = 256. Forward = 2·H_q·94·(d + d_v) = 2·16·94·64 = 192,512, for
    torch's flash and efficient varlen kernels, torch's varlen_attn op and flash-attn's."""
    q, k, v = (torch.empty(16, h, D, device="meta") for h in (HQ, 4, 4))
    cu = torch.tensor([0, 3, 10, 16], dtype=torch.int32)
    calls = {
        "flash": (aten._flash_attention_forward.default, (q, k, v, cu, cu, 7, 7, 0.0, True, False), {}),
        "efficient": (aten._efficient_attention_forward.default,
                      (q[None], k[None], v[None], None, cu, cu, 7, 7, 0.0, 1), {}),
    }
    for name, (func, args, kwargs) in calls.items():
        assert attention.count(func, args, kwargs) == (192_512, 0), name
    varlen = attention.FORWARD["torch_attn::_varlen_attn"]((q, k, v, cu, cu, 7, 7, True), {})
    fa = attention.FORWARD["flash_attn::_flash_attn_varlen_forward"]((q, k, v, cu, cu, 7, 7, 0.0, 0.1, True), {})
    assert varlen.forward() == fa.forward() == 192_512
    # on meta the lengths have no values: each document at the maximum (an upper bound, as torch does)
    meta = attention.thd(q, k, v, cu.to("meta"), cu.to("meta"), 7, 7)
    assert meta.pairs == 3 * 49


def test_kernel_masks_under_the_conventions():
    """A causal S = 64 call keeps 64·65/2 = 2,080 of 4,096 pairs; a sliding window of 16 keys
    (window_size_left = 15) keeps Σ min(i+1, 16) = 136 + 48·16 = 904 under "causal" and
    64·16 = 1,024 under "windowed" (a dense kernel's band)."""
    q, k, v = _bhsd(4, grad=False)
    causal = attention.bshd(*_t(q, k, v), causal=True)
    assert causal.kept("causal") == 2_080 and causal.kept("windowed") == causal.kept("full") == 4_096
    window = attention.bshd(*_t(q, k, v), causal=True, left=15)
    assert window.kept("causal") == 904 and window.kept("windowed") == 1_024
    # bottom-right alignment (flash-attn): 4 queries over 6 keys see 3, 4, 5, 6 keys
    assert attention._masked(4, 6, True, -1, -1, True) == 18 and attention._masked(4, 6, True, -1, -1, False) == 10


@pytest.mark.parametrize("convention", ["causal", "windowed"])
def test_direct_kernel_applies_its_own_mask(convention):
    """torch's flash kernel called directly with a causal mask and a 16-key window:
    forward = 16,777,216 × kept/4,096 (kept 904 causal, 1,024 windowed), backward 2× that,
    through the "attention causal mask" row."""
    q, k, v = _bhsd(4)
    with TorchCounter(attention=convention, modules=False) as c:
        aten._flash_attention_forward(*_t(q, k, v), None, None, S, S, 0.0, True, False,
                                      window_size_left=15, window_size_right=0)[0].sum().backward()
    kept = {"causal": 904, "windowed": 1_024}[convention]
    assert c.result.forward == FORWARD * kept // 4_096
    assert c.result.backward == BACKWARD * kept // 4_096


def test_counts_do_not_depend_on_torchs_sdpa_formulas(monkeypatch):
    """torch 2.4–2.11's `sdpa_flop_count` raises on grouped-query shapes; made to raise here,
    a GQA step is still counted exactly, forward and backward."""
    def refuse(*args, **kwargs):
        raise AssertionError("sdpa_flop_count: query/key/value shapes are incompatible")
    monkeypatch.setattr(tfc, "sdpa_flop_count", refuse)
    monkeypatch.setattr(tfc, "sdpa_backward_flop_count", refuse)
    for op in list(tfc.flop_registry):
        if "attention" in str(op):
            monkeypatch.setitem(tfc.flop_registry, op, refuse)
    for kernel in ("sdpa flash", "sdpa CPU flash", "aten flash"):
        q, k, v = _bhsd(4)
        with TorchCounter(attention="causal", modules=False) as c:
            KERNELS[kernel](q, k, v, True).sum().backward()
        assert c.result.forward == FORWARD * 2_080 // 4_096 and not c.result.failed, kernel


def test_hf_gqa_model_measured_equals_analytic_with_torchs_formulas_raising(monkeypatch):
    """A grouped-query Llama (8 query, 2 K/V heads) trained one step on CPU through SDPA with
    `enable_gqa=True` (transformers' CUDA path, forced here) equals the analytic count of
    the same batch to 1e-9 while torch's own SDPA formulas raise."""
    transformers = pytest.importorskip("transformers")
    from flopcount.model.formulas import training_flops
    from flopcount.measure import count_step
    from flopcount.measure.meter import _spec_of

    monkeypatch.setenv("TRANSFORMERS_SDPA_FORCE_GQA", "1")
    monkeypatch.setattr(tfc, "sdpa_flop_count", lambda *a, **k: (_ for _ in ()).throw(AssertionError("gqa")))
    config = transformers.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=128,
                                      attn_implementation="sdpa")
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    ids = torch.randint(0, 256, (2, 32))
    measured = count_step(model, {"input_ids": ids, "labels": ids}, attention="causal")
    analytic = 2 * training_flops(_spec_of(model), 32, "causal").total
    assert not measured.failed
    assert abs(measured.total - analytic) / analytic < 1e-9, (measured.total, analytic)
