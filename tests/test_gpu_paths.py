"""The training-loop paths a GPU run takes, on CPU (issue 31): a formula that raises never
stops training; a custom kernel hiding the LM head is caught by the first step's
cross-check; flash-attn's custom ops (as `attn_implementation="flash_attention_2"` runs them)
are counted by name; a measured step leaves no recompile behind; the ledger carries the
run's MFU; the cross-rank sum is read a step later, exactly."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import torch.nn.functional as F  # noqa: E402

from flopcount.callbacks.pytorch import StepTracker  # noqa: E402
from flopcount.model.formulas import training_flops  # noqa: E402
from flopcount.ledger import Ledger  # noqa: E402
from flopcount.measure import attention  # noqa: E402
from flopcount.measure.meter import CountWarning, _spec_of  # noqa: E402
from flopcount.run import ComputeMonitor  # noqa: E402

from _workers import tiny_llama  # noqa: E402

SEQ = 16


def batch(seed: int = 0) -> dict:
    ids = torch.randint(0, 128, (2, SEQ), generator=torch.Generator().manual_seed(seed))
    return {"input_ids": ids, "labels": ids}


def train(model: torch.nn.Module, tracker: StepTracker, steps: int, loss=None) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for i in range(steps):
        inputs = batch(i)
        with tracker.step(inputs):
            (loss(model, inputs) if loss else model(**inputs).loss).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


def rows(path) -> list:
    with Ledger(path) as ledger:
        return [r for r in ledger.rows() if r.row_kind == "train"]


def test_formula_raising_mid_step_never_stops_training(tmp_path, monkeypatch):
    """The CPU attention kernel's formula made to raise, as torch 2.4–2.11's did on GQA
    shapes: 3 steps run; one CountWarning names the op and the error; the ledger row notes
    it; the analytic count of the batch (2 × training_flops(spec, 16), in the meter's
    convention, full) carries the steps, recorded as method "analytic"."""
    name = "aten::_scaled_dot_product_flash_attention_for_cpu"

    def refuse(args, kwargs):
        raise AssertionError("sdpa_flop_count: query/key/value shapes are incompatible")
    monkeypatch.setitem(attention.FORWARD, name, refuse)
    model = tiny_llama()
    monitor = ComputeMonitor("raising", ledger=tmp_path / "l.db", flush_seconds=None, handle_signals=False)
    tracker = StepTracker(model, monitor)
    with pytest.warns(CountWarning) as caught:
        train(model, tracker, 3)
    monitor.close()
    messages = [str(w.message) for w in caught if issubclass(w.category, CountWarning)]
    assert any("_scaled_dot_product_flash_attention_for_cpu" in m and "AssertionError" in m for m in messages)
    assert monitor.step_index == 3
    expected = 2 * training_flops(_spec_of(model), SEQ, "full").total
    assert monitor.training == 3 * expected
    written = rows(tmp_path / "l.db")
    assert [r.flops_analytic for r in written] == [3 * expected]
    assert any("formula failed" in n for n in written[0].extra["notes"])


def _fused_linear_cross_entropy() -> Any:
    """A fused linear-cross-entropy as a custom op: what a Triton kernel looks like to the
    dispatcher — one opaque op taking the hidden states and the LM head's weight."""
    name = "flopcount_test::fused_linear_cross_entropy"
    if hasattr(torch.ops.flopcount_test, "fused_linear_cross_entropy"):
        return torch.ops.flopcount_test.fused_linear_cross_entropy

    @torch.library.custom_op(name, mutates_args=())
    def op(hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy((hidden @ weight.t()).float(), labels)

    @op.register_fake
    def _(hidden, weight, labels):
        return hidden.new_empty(())

    def backward(ctx, grad):
        hidden, weight, labels = ctx.saved_tensors
        g = torch.ops.flopcount_test.fused_linear_cross_entropy_backward(hidden, weight, labels, grad)
        return g[0], g[1], None

    @torch.library.custom_op("flopcount_test::fused_linear_cross_entropy_backward", mutates_args=())
    def op_backward(hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor,
                    grad: torch.Tensor) -> list[torch.Tensor]:
        probs = torch.softmax((hidden @ weight.t()).float(), dim=-1)  # d(mean CE)/d(logits), by hand:
        probs[torch.arange(len(labels)), labels] -= 1                  # autograd is off inside a kernel
        probs = (probs * grad / len(labels)).to(hidden.dtype)
        return [probs @ weight, probs.t() @ hidden]

    @op_backward.register_fake
    def _(hidden, weight, labels, grad):
        return [torch.empty_like(hidden), torch.empty_like(weight)]

    op.register_autograd(backward, setup_context=lambda ctx, inputs, output: ctx.save_for_backward(*inputs))
    return op


def test_opaque_kernel_hiding_the_lm_head_warns_at_the_first_step(tmp_path):
    """The loss computed by one custom op from the last hidden states and lm_head.weight:
    the LM head's matmuls (forward 2·T·d·V, backward twice that) are invisible to the
    counter. The first step is 2·T·d·V·3 = 2·32·32·128·3 = 786,432 FLOP short of the analytic
    count; the warning names the op and `lm_head` (4,096 weights), and the analytic count
    carries the steps."""
    fused = _fused_linear_cross_entropy()
    model = tiny_llama()

    def loss(m, inputs):
        hidden = m.model(input_ids=inputs["input_ids"]).last_hidden_state
        return fused(hidden[:, :-1].reshape(-1, 32), m.lm_head.weight, inputs["labels"][:, 1:].reshape(-1))

    monitor = ComputeMonitor("opaque", ledger=tmp_path / "l.db", flush_seconds=None, handle_signals=False)
    tracker = StepTracker(model, monitor)
    with pytest.warns(CountWarning) as caught:
        train(model, tracker, 2, loss=loss)
    monitor.close()
    text = " ".join(str(w.message) for w in caught if issubclass(w.category, CountWarning))
    assert "flopcount_test::fused_linear_cross_entropy" in text and "lm_head (4,096 weights)" in text
    assert "cross-check tolerance" in text
    per_step = 2 * training_flops(_spec_of(model), SEQ, "full").total
    assert monitor.training == 2 * per_step
    assert rows(tmp_path / "l.db")[0].extra["notes"]


def test_agreeing_first_step_is_silent(tmp_path):
    """A plain model: the first measured step equals the analytic count (to 1e-9), no warning."""
    model = tiny_llama()
    monitor = ComputeMonitor("plain", flush_seconds=None, handle_signals=False)
    tracker = StepTracker(model, monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CountWarning)
        train(model, tracker, 2)
    assert monitor.training == 2 * 2 * training_flops(_spec_of(model), SEQ, "full").total


def _flash_attn_ops() -> Any:
    """flash-attn 2.6–2.7's custom ops, registered under their names and schemas
    (Dao-AILab/flash-attention `flash_attn/flash_attn_interface.py`; the same schemas as
    `flashattn::` at commit 0053002) with CPU kernels, and its FlashAttnFunc's autograd."""
    if hasattr(torch.ops.flash_attn, "_flash_attn_forward"):
        return torch.ops.flash_attn

    def reference(q, k, v, causal):  # (B, S, H, D), K/V heads broadcast
        rep = q.shape[2] // k.shape[2]
        k, v = (x.repeat_interleave(rep, dim=2) for x in (k, v))
        return F.scaled_dot_product_attention(*(x.transpose(1, 2) for x in (q, k, v)), is_causal=causal).transpose(1, 2)

    @torch.library.custom_op("flash_attn::_flash_attn_forward", mutates_args=())
    def forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout_p: float, softmax_scale: float,
                causal: bool, window_size_left: int, window_size_right: int, softcap: float,
                alibi_slopes: torch.Tensor | None, return_softmax: bool
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        out = reference(q, k, v, causal).contiguous()
        return out, q.new_zeros(q.shape[0], q.shape[2], q.shape[1], dtype=torch.float32), q.new_empty(0), \
            torch.zeros(2, dtype=torch.int64)

    @torch.library.custom_op("flash_attn::_flash_attn_backward", mutates_args=("dq", "dk", "dv"))
    def backward(dout: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, out: torch.Tensor,
                 softmax_lse: torch.Tensor, dq: torch.Tensor | None, dk: torch.Tensor | None, dv: torch.Tensor | None,
                 dropout_p: float, softmax_scale: float, causal: bool, window_size_left: int,
                 window_size_right: int, softcap: float, alibi_slopes: torch.Tensor | None, deterministic: bool,
                 rng_state: torch.Tensor | None = None) -> torch.Tensor:
        rep, scale = q.shape[2] // k.shape[2], q.shape[-1] ** -0.5  # attention's gradients by hand:
        qh, do = q.transpose(1, 2), dout.transpose(1, 2)             # autograd is off inside a kernel
        kh, vh = (x.repeat_interleave(rep, dim=2).transpose(1, 2) for x in (k, v))
        scores = qh @ kh.transpose(-1, -2) * scale
        if causal:
            scores = scores.masked_fill(torch.ones_like(scores, dtype=torch.bool).triu(1), float("-inf"))
        p = scores.softmax(-1)
        dp = do @ vh.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True)) * scale
        grads = (ds @ kh, ds.transpose(-1, -2) @ qh, p.transpose(-1, -2) @ do)
        for target, g, heads in zip((dq, dk, dv), grads, (1, rep, rep)):
            g = g.transpose(1, 2)
            target.copy_(g.reshape(*g.shape[:2], -1, heads, g.shape[-1]).sum(3))
        return q.new_zeros(q.shape[0], q.shape[2], q.shape[1], dtype=torch.float32)

    return torch.ops.flash_attn


class _FlashAttnFunc(torch.autograd.Function):
    """flash-attn's FlashAttnFunc, reduced: forward and backward through its two ops."""

    @staticmethod
    def forward(ctx, q, k, v, causal):
        out, lse, _, rng = torch.ops.flash_attn._flash_attn_forward(q, k, v, 0.0, q.shape[-1] ** -0.5, causal,
                                                                     -1, -1, 0.0, None, False)
        ctx.save_for_backward(q, k, v, out, lse, rng)
        ctx.causal = causal
        return out

    @staticmethod
    def backward(ctx, dout):
        q, k, v, out, lse, rng = ctx.saved_tensors
        dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        torch.ops.flash_attn._flash_attn_backward(dout, q, k, v, out, lse, dq, dk, dv, 0.0, q.shape[-1] ** -0.5,
                                                  ctx.causal, -1, -1, 0.0, None, False, rng)
        return dq, dk, dv, None


def test_flash_attn_package_ops_counted_by_name():
    """flash-attn's ops on a real CPU step, GQA (8 query, 2 K/V heads), B=2, S=32, d=16:
    full pairs 32² = 1,024, causal 32·33/2 = 528. Forward 2·B·H·pairs·(d + d):
    full 2·2·8·1024·32 = 1,048,576, causal 540,672; backward 2× forward; recomputed
    2·B·H·1024·d = 524,288. The inner SDPA of the stand-in kernels is not seen: a custom op
    is one op to the dispatcher, as the CUDA kernel is."""
    _flash_attn_ops()
    from flopcount.measure.torch_backend import TorchCounter
    q = torch.randn(2, 32, 8, 16, requires_grad=True)
    k, v = (torch.randn(2, 32, 2, 16, requires_grad=True) for _ in range(2))
    for convention, forward in (("full", 1_048_576), ("causal", 540_672)):
        with TorchCounter(attention=convention, modules=False) as c:
            _FlashAttnFunc.apply(q, k, v, True).sum().backward()
        m = c.result
        assert (m.forward, m.backward, m.recomputed) == (forward, 2 * forward, 524_288), convention
        assert set(m.by_op()) >= {"flash_attn::_flash_attn_forward", "flash_attn::_flash_attn_backward"}
        assert not m.failed and "flash_attn::_flash_attn_forward" not in m.uncounted


def test_measured_step_of_a_compiled_model_leaves_no_recompile():
    """torch.compile (eager backend: the graph capture is dynamo's either way): one graph
    before the measured step, none added by it or by the steps after it."""
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    model = tiny_llama()
    compiled = torch.compile(model, backend="eager")
    inputs = batch()
    compiled(**inputs).loss.backward()
    graphs = counters["stats"]["unique_graphs"]
    assert graphs >= 1
    tracker = StepTracker(compiled, ComputeMonitor("compiled", flush_seconds=None, handle_signals=False),
                          )
    train(compiled, tracker, 3)
    assert tracker.meter.measured == 1 and counters["stats"]["unique_graphs"] == graphs
    assert tracker.monitor.training == 3 * 2 * training_flops(_spec_of(model), SEQ, "full").total


def h100_run(ledger, model: str = "mfu") -> ComputeMonitor:
    """4 steps of 10^15 FLOP ending at 2, 4, 6 and 8 s on one H100 SXM in bf16 (a set clock)."""
    now = [0.0]
    monitor = ComputeMonitor(model, ledger=ledger, accelerator="h100-sxm", flush_seconds=None,
                             hardware={"device": "cuda", "accelerator": "h100-sxm", "precision": "bf16"},
                             handle_signals=False, clock=lambda: now[0])
    for i in range(4):
        now[0] = 2.0 * (i + 1)
        monitor.step(10**15, tokens=1)
    return monitor


def test_ledger_rows_carry_the_runs_mfu(tmp_path):
    """An H100 SXM run in bf16 (989.4 TFLOP/s dense, the table's figure): 4 steps of 10^15
    FLOP over 8 s on 1 device → MFU 4·10^15 / (8 · 989.4·10^12) = 50.5%; metrics() gives the
    same over its own window."""
    from flopcount.hardware.accelerators import find_accelerator, peak
    top = peak(find_accelerator("h100-sxm"), "bf16")
    monitor = h100_run(tmp_path / "l.db")
    metrics = monitor.metrics()
    monitor.close()
    row = rows(tmp_path / "l.db")[0]
    assert row.wall_seconds == 8.0 and row.extra["mfu"] == pytest.approx(4e15 / (8 * top))
    assert row.extra["mfu_peak_flops"] == top
    assert metrics["flopcount/mfu"] == pytest.approx(4e15 / (8 * top))


def test_cross_rank_sums_read_a_step_later_exactly(tmp_path):
    """2 gloo ranks, 5 steps of (rank+1)·10^6 FLOP, a line at 7.5·10^6: the group does
    3·10^6 a step, so the line is crossed at step 2 (0-based: 9·10^6 > 7.5·10^6). Each sum
    is read one step after it starts; the "crossed" event still names step 2, on both ranks
    alike, and the totals and the ledger are exact (15·10^6)."""
    import json
    from pathlib import Path

    import torch.multiprocessing as mp

    from _workers import lagged_rank
    ledger, out = str(tmp_path / "lag.db"), str(tmp_path / "out")
    mp.spawn(lagged_rank, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    assert results[0] == results[1]
    assert results[0]["in_flight_after_step"] == [1, 1, 1, 1, 1]
    assert results[0]["crossed"] == [["eu-gpai", 2]] and results[0]["training"] == 15 * 10**6
    assert sum(r.flops for r in rows(ledger)) == 15 * 10**6


def test_record_hardware_cross_check_uses_the_runs_measured_mfu(tmp_path):
    """A plan phase on 16 H100 SXM hours in bf16 with the default utilisation band, and a
    ledger of that phase whose rows carry the run's MFU: 4 steps of 10^15 FLOP in 8 s on one
    device at 989.4 TFLOP/s → MFU 4·10^15 / (8 · 989.4·10^12) = 50.53%. The record's hardware
    estimate is 16 h · 3600 s · 989.4·10^12 · 0.5053 = 2.88·10^19 FLOP (= 4·10^15 × 7,200,
    the ledger's rate over the plan's hours), a point not a 30–50% band, and the hardware
    row says the utilisation is the run's measured MFU."""
    import textwrap

    from flopcount.inputs.plan import load_plan
    from flopcount.records.record import build
    from flopcount.records.report import to_markdown
    h100_run(tmp_path / "l.db", "tiny").close()
    config = (Path(__file__).parent.parent / "examples" / "configs" / "llama-2-7b.json").resolve()
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(textwrap.dedent(f"""\
        flopcount_plan: 1
        name: tiny
        model: {{name: tiny, config: {config}}}
        seq_len: 4096
        phases:
          - name: pre-training
            kind: pre-training
            tokens: 1M
            hardware: {{accelerator: h100-sxm, gpus: 1, hours: 16, precision: bf16}}
        """))
    record = build(plan=load_plan(plan_file), ledger_path=tmp_path / "l.db")
    hw = record["hardware"][0]
    u = 4e15 / (8 * 989.4e12)
    assert hw["utilization_source"] == "measured" and hw["utilization"] == [pytest.approx(u), pytest.approx(u)]
    est = record["phases"][0]["estimates"]["hardware"]
    assert float(est["total"]) == pytest.approx(4e15 * 16 * 3600 / 8) and est["low"] == est["high"] == est["total"]
    assert "50.5% (the run's measured MFU)" in to_markdown(record)
    from flopcount.records.record import check
    assert check(record, "record.json", ledger_path=tmp_path / "l.db") == []
