"""On one GPU, side by side: the counts (FlopCounterMode as shipped, flopcount measured,
analytic) on the kernels SDPA picks; the step-time overhead of each monitor mode (plain and
`torch.compile`d; the cross-rank sum read a step later and, for comparison, at once);
FSDP2, HF Trainer and Lightning ledgers against the analytic count; NVML watts and MFU.

    python -m benchmarks.gpu               # CUDA: ~2-3 min on an H200; without a GPU it says so, exits 0
    python -m benchmarks.gpu --cpu-smoke   # the same code, tiny sizes, on CPU (CI; no timing claims)

Models: Llama-style, grouped-query (16 query / 8 K/V heads at 886M, 12 / 4 at 134M), bf16,
SDPA attention as transformers picks it (on CUDA it passes `enable_gqa=True`, no mask).
Timing: free-running steps, one `cuda.synchronize()` per round, conditions interleaved
round by round, medians of rounds; ratio = condition ÷ plain − 1. The cross-rank rows run
on a one-rank NCCL group with the monitor on its multi-rank path (world forced to 2, so
its sums are NCCL all-reduces): the collective's latency across real ranks adds to it.
Convention: 1 multiply-add = 2 FLOP; attention causal (the pairs the mask keeps).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

ROOT = Path(__file__).resolve().parent.parent
ATTENTION = "causal"
SIZES = {  # name: (hidden, layers, heads, kv heads, intermediate, vocab, batch, seq)
    "886M": (2048, 16, 16, 8, 5632, 32000, 8, 2048),
    "134M": (768, 12, 12, 4, 2048, 32000, 8, 512),
    "smoke": (64, 2, 4, 2, 128, 256, 2, 32),
}


def environment(device: torch.device) -> dict[str, str]:
    import transformers

    import flopcount
    env = {"torch": torch.__version__, "transformers": transformers.__version__, "flopcount": flopcount.__version__,
           "python": platform.python_version(), "device": str(device)}
    with contextlib.suppress(Exception):
        import lightning
        env["lightning"] = lightning.__version__
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
        env["cuda"] = str(torch.version.cuda)
        with contextlib.suppress(Exception):
            import pynvml
            pynvml.nvmlInit()
            env["driver"] = str(pynvml.nvmlSystemGetDriverVersion())
    return env


def build(size: str, device: torch.device) -> tuple[torch.nn.Module, dict, Any]:
    """The model in bf16 on `device`, a batch, and its flopcount spec (from its config)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from flopcount.measure.meter import _spec_of
    hidden, layers, heads, kv, inter, vocab, batch, seq = SIZES[size]
    config = LlamaConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                         num_key_value_heads=kv, intermediate_size=inter, vocab_size=vocab,
                         max_position_embeddings=seq, attn_implementation="sdpa")
    torch.manual_seed(0)
    with torch.device(device), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    ids = torch.randint(0, vocab, (batch, seq), device=device)
    return model, {"input_ids": ids, "labels": ids}, _spec_of(model)


def analytic(spec: Any, batch: dict) -> int:
    from flopcount.model.formulas import training_flops
    b, seq = batch["input_ids"].shape
    return b * training_flops(spec, seq, ATTENTION).total


def counts(model: torch.nn.Module, batch: dict, spec: Any) -> dict[str, Any]:
    """One step three ways; the attention kernels the measured step saw, by name."""
    from torch.utils.flop_counter import FlopCounterMode

    from flopcount.measure import count_step
    out: dict[str, Any] = {"analytic": analytic(spec, batch)}
    try:
        with FlopCounterMode(display=False) as raw:
            model(**batch).loss.backward()
        out["FlopCounterMode"] = raw.get_total_flops()
    except Exception as error:  # torch 2.4-2.11 on grouped-query shapes
        out["FlopCounterMode"] = f"fails: {type(error).__name__}: {str(error)[:90]}"
    model.zero_grad(set_to_none=True)
    measured = count_step(model, batch, attention=ATTENTION)
    model.zero_grad(set_to_none=True)
    out.update({"measured": measured.total, "recomputed": measured.recomputed,
                "kernels": sorted(op for op in measured.by_op() if "attention" in op and "mask" not in op),
                "not_counted": sorted(op for op in measured.uncounted if "::" in op), "failed": measured.failed})
    out["measured_vs_analytic"] = measured.total / out["analytic"] - 1
    return out


def kernels(device: torch.device) -> dict[str, Any]:
    """Each SDPA backend forced in turn, and torch's varlen attention, on real tensors with
    grouped-query shapes (16 query, 4 K/V heads, d 128, bf16, causal): flopcount's forward
    and backward against the formula worked here — causal pairs Σ L(L+1)/2 per head,
    forward 2·H_q·pairs·(d + d), backward 2× that. A backend that refuses the shapes says so."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from flopcount.measure.torch_backend import TorchCounter
    b, h, kv, s, d = (1, 4, 2, 64, 16) if device.type == "cpu" else (2, 16, 4, 2048, 128)
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16

    def expect(lengths: list[int], batch: int) -> tuple[int, int]:
        fwd = 2 * batch * h * sum(n * (n + 1) // 2 for n in lengths) * 2 * d
        return fwd, 2 * fwd

    def run(fn: Callable[[], torch.Tensor], want: tuple[int, int]) -> dict[str, Any]:
        try:
            with TorchCounter(attention=ATTENTION, modules=False) as c:
                fn().float().sum().backward()
        except Exception as error:
            return {"not run": f"{type(error).__name__}: {str(error)[:80]}"}
        m = c.result
        return {"ops": sorted(op for op in m.by_op() if "mask" not in op), "forward": m.forward,
                "backward": m.backward, "exact": (m.forward, m.backward) == want, "failed": m.failed}

    out: dict[str, Any] = {}
    q = torch.randn(b, h, s, d, device=device, dtype=dtype, requires_grad=True)
    k, v = (torch.randn(b, kv, s, d, device=device, dtype=dtype, requires_grad=True) for _ in range(2))
    wide = [x.repeat_interleave(h // kv, dim=1) for x in (k, v)]  # the efficient kernel takes no GQA
    for backend in ("FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "MATH"):
        def call(backend: str = backend) -> torch.Tensor:
            with sdpa_kernel(getattr(SDPBackend, backend)):
                if backend == "EFFICIENT_ATTENTION":
                    return F.scaled_dot_product_attention(q, *wide, is_causal=True)
                return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        out[f"sdpa {backend.lower()}"] = run(call, expect([s], b))
    with contextlib.suppress(ImportError):
        from torch.nn.attention.varlen import varlen_attn
        lengths = [s // 8, s // 2, s - s // 8 - s // 2]
        cu = torch.tensor([0, lengths[0], lengths[0] + lengths[1], s], device=device, dtype=torch.int32)
        qv = torch.randn(s, h, d, device=device, dtype=dtype, requires_grad=True)
        kvv = [torch.randn(s, kv, d, device=device, dtype=dtype, requires_grad=True) for _ in range(2)]
        def varlen() -> torch.Tensor:
            import inspect
            params = inspect.signature(varlen_attn).parameters
            keys = [x.repeat_interleave(h // kv, dim=1) for x in kvv] if "enable_gqa" not in params else kvv
            options = {"enable_gqa": True} if "enable_gqa" in params else {}
            if "is_causal" in params:
                options["is_causal"] = True
            else:  # torch 2.13 spells causal as a window open to the left only
                options["window_size"] = (-1, 0)
            return varlen_attn(qv, *keys, cu, cu, max(lengths), max(lengths), **options)
        out["varlen_attn"] = run(varlen, expect(lengths, 1))
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(model: torch.nn.Module, batch: dict, device: torch.device, conditions: dict[str, Callable[[], Any]],
          rounds: int, steps: int) -> dict[str, float]:
    """Median seconds per step of each condition (interleaved rounds, one sync a round)."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step(context: Any) -> None:
        with context:
            model(**batch).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for make in conditions.values():  # warm-up: measured steps, compiles, allocator
        for _ in range(2):
            step(make())
    sync(device)
    times: dict[str, list[float]] = {name: [] for name in conditions}
    for _ in range(rounds):
        for name, make in conditions.items():
            sync(device)
            start = time.perf_counter()
            for _ in range(steps):
                step(make())
            sync(device)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(v) for name, v in times.items()}


def monitors(tmp: str, model: torch.nn.Module, spec: Any, batch: dict, ranks: bool) -> dict[str, Callable[[], Any]]:
    """Each monitor mode as a step context: measured once per shape (then cached), analytic
    (nothing intercepted), and the measured mode summing across ranks a step late or at once."""
    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.run.collective import group_device
    from flopcount.run import ComputeMonitor

    def tracker(name: str, multi: bool = False, lag: int = 1, **options: Any) -> Callable[[], Any]:
        monitor = ComputeMonitor(name, ledger=Path(tmp) / f"{name}.db", flush_every=100, flush_seconds=None,
                                 handle_signals=False, planned_steps=10**6, sum_lag=lag)
        monitor.start()
        if multi:  # the multi-rank path on a one-rank group: every step's sum is a real all-reduce
            monitor.world, monitor._device = 2, group_device()
        t = StepTracker(model, monitor, attention=ATTENTION, **options)
        return lambda: t.step(batch)

    out = {"measured once": tracker("measured"), "analytic": tracker("analytic", spec=spec)}
    if ranks:
        out["cross-rank sum, read next step"] = tracker("ranks-lagged", multi=True)
        out["cross-rank sum, read at once"] = tracker("ranks-at-once", multi=True, lag=0)
    return out


def _graphs() -> int:
    from torch._dynamo.utils import counters
    return counters["stats"]["unique_graphs"]


def overhead(size: str, device: torch.device, rounds: int, steps: int, compiled: bool = False) -> dict[str, Any]:
    """Step-time overhead of each monitor mode; compiled: dynamo's graphs around the measured step."""
    from torch.utils.flop_counter import FlopCounterMode
    model, batch, spec = build(size, device)
    graphs: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if compiled:
            model = torch.compile(model, backend="inductor" if device.type == "cuda" else "eager")
            before = _graphs()
            model(**batch).loss.backward()
            graphs["compiled before"] = _graphs() - before
        conditions: dict[str, Callable[[], Any]] = {"plain": contextlib.nullcontext}
        conditions |= monitors(tmp, model, spec, batch, ranks=not compiled)
        if compiled:
            before = _graphs()
            with conditions["measured once"]():  # the measured step (a cache miss)
                model(**batch).loss.backward()
            graphs["new in measured step"] = _graphs() - before
            before = _graphs()
        else:
            try:
                with FlopCounterMode(display=False):
                    model(**batch).loss.backward()
                conditions["FlopCounterMode every step"] = lambda: FlopCounterMode(display=False)
            except Exception:  # it cannot count this model (GQA on torch <= 2.11): no timing row
                pass
        model.zero_grad(set_to_none=True)
        medians = timed(model, batch, device, conditions, rounds, steps)
        if compiled:
            graphs["new in timed steps"] = _graphs() - before
    plain = medians["plain"]
    return {"size": size, "compiled": compiled, "batch": list(batch["input_ids"].shape), "plain_s": plain,
            "overhead": {k: v / plain - 1 for k, v in medians.items() if k != "plain"}, "graphs": graphs}


def energy(size: str, device: torch.device, steps: int) -> dict[str, Any] | None:
    """NVML joules over plain steps, watts, and MFU from the measured count per step."""
    from flopcount.hardware.energy import nvml_energy_reader
    from flopcount.hardware.accelerators import find_accelerator, peak
    from flopcount.measure import count_step
    from flopcount.hardware.detect import accelerator_id
    read = nvml_energy_reader() if device.type == "cuda" else None
    if read is None:
        return None
    model, batch, _ = build(size, device)
    flops = count_step(model, batch, attention=ATTENTION).total
    model.zero_grad(set_to_none=True)
    medians = timed(model, batch, device, {"plain": contextlib.nullcontext}, 1, 2)
    sync(device)
    joules, start = read(), time.perf_counter()
    medians = timed(model, batch, device, {"plain": contextlib.nullcontext}, 1, steps)
    seconds, used = time.perf_counter() - start, read() - joules
    acc = accelerator_id(torch.cuda.get_device_name(device))
    top = peak(find_accelerator(acc), "bf16") if acc else None
    step = medians["plain"]
    return {"watts": used / seconds, "joules_per_step": used / (seconds / step) if step else None,
            "step_s": step, "flops_per_step": flops, "accelerator": acc, "peak_bf16": top,
            "mfu": flops / step / top if top else None}


def fsdp2(size: str, device: torch.device) -> dict[str, Any]:
    """fully_shard on a one-rank group: the measured step equals the analytic count."""
    from torch.distributed.fsdp import fully_shard

    from flopcount.measure import count_step
    model, batch, spec = build(size, device)
    for layer in model.model.layers:
        fully_shard(layer)
    fully_shard(model)
    measured = count_step(model, batch, attention=ATTENTION).total
    return {"measured": measured, "analytic": analytic(spec, batch), "diff": measured / analytic(spec, batch) - 1}


class _Tokens(torch.utils.data.Dataset):
    def __init__(self, batch: dict, n: int) -> None:
        self.ids, self.n = batch["input_ids"][0].cpu(), n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids, "labels": self.ids}


def hf_ledger(size: str, device: torch.device, tmp: str, steps: int) -> dict[str, Any]:
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    from flopcount.ledger import Ledger
    from flopcount.run import ComputeMonitor
    model, batch, spec = build(size, device)
    b = batch["input_ids"].shape[0]
    monitor = ComputeMonitor("hf-gpu", ledger=Path(tmp) / "hf.db", flush_seconds=None, handle_signals=False)
    args = TrainingArguments(output_dir=str(Path(tmp) / "hf"), max_steps=steps, per_device_train_batch_size=b,
                             bf16=device.type == "cuda", logging_steps=1, save_strategy="no", report_to=[],
                             use_cpu=device.type == "cpu", dataloader_num_workers=0, disable_tqdm=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(model=model, args=args, train_dataset=_Tokens(batch, b * steps),
                          callbacks=[FlopcountCallback(monitor, attention=ATTENTION)])
        trainer.train()
    with Ledger(Path(tmp) / "hf.db") as ledger:
        rows = [r for r in ledger.rows() if r.row_kind == "train"]
    total, expected = sum(r.flops for r in rows), steps * analytic(spec, batch)
    return {"ledger": total, "analytic": expected, "diff": total / expected - 1,
            "hardware": rows[-1].extra.get("hardware"), "mfu": rows[-1].extra.get("mfu"),
            "logged": {k: v for k, v in trainer.state.log_history[-2].items() if k.startswith("flopcount/")}}


def lightning_ledger(size: str, device: torch.device, tmp: str, steps: int) -> dict[str, Any] | None:
    try:
        import lightning.pytorch as pl
    except ImportError:
        return None
    from flopcount.callbacks.lightning import FlopcountLightningCallback
    from flopcount.ledger import Ledger
    from flopcount.run import ComputeMonitor
    inner, batch, spec = build(size, device)

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = inner.float()  # Lightning's bf16-mixed casts the compute, not the weights

        def training_step(self, b: dict, i: int) -> torch.Tensor:
            return self.model(**b).loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=1e-6)

    b = batch["input_ids"].shape[0]
    monitor = ComputeMonitor("pl-gpu", ledger=Path(tmp) / "pl.db", flush_seconds=None, handle_signals=False)
    trainer = pl.Trainer(max_steps=steps, callbacks=[FlopcountLightningCallback(monitor, attention=ATTENTION)],
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="gpu" if device.type == "cuda" else "cpu",
                         devices=1, precision="bf16-mixed" if device.type == "cuda" else "32-true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Module(), torch.utils.data.DataLoader(_Tokens(batch, b * steps), batch_size=b))
    with Ledger(Path(tmp) / "pl.db") as ledger:
        rows = [r for r in ledger.rows() if r.row_kind == "train"]
    total, expected = sum(r.flops for r in rows), steps * analytic(spec, batch)
    return {"ledger": total, "analytic": expected, "diff": total / expected - 1,
            "hardware": rows[-1].extra.get("hardware")}


def process_group(device: torch.device, tmp: str) -> None:
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", init_method=f"file://{tmp}/pg",
                                rank=0, world_size=1)


def report(result: dict[str, Any]) -> str:
    env = result["environment"]
    lines = [f"flopcount {env['flopcount']} on {env.get('gpu', env['device'])} (driver {env.get('driver', '-')}, "
             f"CUDA {env.get('cuda', '-')}), torch {env['torch']}, transformers {env['transformers']}, "
             f"lightning {env.get('lightning', '-')}; {result['date']}", "",
             "Counts of one training step (FLOP; 1 multiply-add = 2 FLOP; attention causal)"]
    for size, c in result.get("counts", {}).items():
        raw = c["FlopCounterMode"]
        lines.append(f"  {size}: analytic {c['analytic']:.4e}  measured {c['measured']:.4e} "
                     f"({c['measured_vs_analytic']:+.1e})  FlopCounterMode "
                     f"{raw if isinstance(raw, str) else format(raw, '.4e')}")
        lines.append(f"        kernels {', '.join(c['kernels']) or '-'}; recomputed apart {c['recomputed']:.3e}; "
                     f"failed {c['failed'] or 'none'}")
    lines += ["", "Attention kernels, GQA, causal: flopcount's forward/backward against the worked formula"]
    for name, k in result.get("kernels", {}).items():
        lines.append(f"  {name:<26}" + (f"not run ({k['not run']})" if "not run" in k else
                     f"{'exact' if k['exact'] else 'DIFFERS'}  fwd {k['forward']:.4e} bwd {k['backward']:.4e}  "
                     f"{', '.join(k['ops'])}" + (f" failed {k['failed']}" if k["failed"] else "")))
    lines += ["", "Overhead per step (median of rounds; condition ÷ plain − 1)"]
    for row in result["overhead"]:
        name = f"{row['size']}{' compiled' if row['compiled'] else ''} {row['batch'][0]}×{row['batch'][1]}"
        lines.append(f"  {name}: plain {row['plain_s'] * 1e3:.1f} ms")
        lines += [f"    {k:<34}{v:+.2%}" for k, v in row["overhead"].items()]
        if row["graphs"]:
            lines.append(f"    dynamo graphs: {row['graphs']}")
    for key in ("fsdp2", "hf", "lightning"):
        r = result.get(key)
        if r:
            lines.append(f"{key}: ledger/measured {r.get('ledger', r.get('measured')):.6e} analytic "
                         f"{r['analytic']:.6e} ({r['diff']:+.1e})" + (f"; detected {r['hardware']}" if
                                                                      r.get("hardware") else ""))
    if result.get("energy"):
        e = result["energy"]
        lines.append(f"NVML: {e['watts']:.0f} W, {e['joules_per_step']:.0f} J a step; MFU "
                     f"{e['mfu']:.1%} of the table's {e['peak_bf16'] / 1e12:.1f} TFLOP/s bf16 ({e['accelerator']})")
    return "\n".join(lines)


def sections(args: Any, device: torch.device, big: str, small: str, rounds: int, steps: int, tmp: str,
             result: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    if args.only_overhead:
        result["overhead"] = [overhead(big, device, rounds, steps)]
        result["seconds"] = time.perf_counter() - t0
        return
    result["counts"] = {}
    for size in dict.fromkeys((big, small)):
        model, batch, spec = build(size, device)
        result["counts"][size] = counts(model, batch, spec)
        del model
    result["kernels"] = kernels(device)
    result["overhead"] = [overhead(big, device, rounds, steps), overhead(small, device, 2 * rounds, 3 * steps),
                          overhead(small, device, 2 * rounds, 3 * steps, compiled=True)]
    result["fsdp2"] = fsdp2(small, device)
    result["hf"] = hf_ledger(small, device, tmp, 6)
    result["lightning"] = lightning_ledger(small, device, tmp, 6)
    result["energy"] = energy(big, device, 10)
    result["seconds"] = time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny sizes on CPU: checks the script, no timings")
    parser.add_argument("--rounds", type=int, default=None, help="timing rounds of the large model (default 3)")
    parser.add_argument("--only-overhead", action="store_true", help="the large model's overhead rows alone")
    args = parser.parse_args()
    if not args.cpu_smoke and not torch.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA GPU here; it measures on one GPU (see --cpu-smoke). Nothing to do.")
        return
    device = torch.device("cpu") if args.cpu_smoke else torch.device("cuda", 0)
    big, small = ("smoke", "smoke") if args.cpu_smoke else ("886M", "134M")
    rounds, steps = (2, 2) if args.cpu_smoke else (args.rounds or 3, 10)
    import datetime as dt
    result: dict[str, Any] = {"environment": environment(device), "date": dt.date.today().isoformat()}
    import torch.distributed as dist
    with tempfile.TemporaryDirectory() as tmp:
        process_group(device, tmp)
        try:
            sections(args, device, big, small, rounds, steps, tmp, result)
        finally:  # an NCCL group left open hangs the interpreter's exit
            dist.destroy_process_group()
    text = report(result)
    print(text)
    out = Path(os.environ.get("FLOPCOUNT_RESULTS", ROOT / "benchmarks" / "results"))
    out.mkdir(parents=True, exist_ok=True)
    stem = ("gpu-overhead" if args.only_overhead else "gpu") + ("-smoke" if args.cpu_smoke else "")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
    (out / f"{stem}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
