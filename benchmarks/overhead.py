"""Step time of a small transformer training loop on CPU: no counting, flopcount's
monitor (measured once per shape, cached; dynamic lengths priced from the verified length
polynomial), and FlopCounterMode wrapped around every step, in four regimes: batch 1×32,
2×128, 8×256 fixed, and 4 × random length 64–256. Interleaved rounds, medians, ratios
to the uncounted baseline.

    python -m benchmarks.overhead [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from flopcount.callbacks.pytorch import StepTracker
from flopcount.run import ComputeMonitor

ROOT = Path(__file__).resolve().parent.parent


def model_and_batch(hidden: int, layers: int, seq: int, batch: int):
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(0)
    config = AutoConfig.for_model("llama", hidden_size=hidden, intermediate_size=4 * hidden, num_hidden_layers=layers,
                                  num_attention_heads=hidden // 64, num_key_value_heads=hidden // 64,
                                  vocab_size=8192)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForCausalLM.from_config(config)
    ids = torch.randint(0, 8192, (batch, seq))
    return model, {"input_ids": ids, "labels": ids}


REGIMES = (("1×32", 1, 32), ("2×128", 2, 128), ("8×256", 8, 256), ("4×rand 64–256", 4, None))


def batches(batch: int, seq: int | None, count: int, seed: int, vocab: int = 8192) -> list[dict]:
    """`count` batches; seq None: each its own length in 64–256 (HF dynamic padding)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        length = seq or int(torch.randint(64, 257, (1,), generator=gen))
        ids = torch.randint(0, vocab, (batch, length), generator=gen)
        out.append({"input_ids": ids, "labels": ids})
    return out


def regime(name: str, batch: int, seq: int | None, hidden: int, layers: int, rounds: int, steps: int) -> dict:
    model, _ = model_and_batch(hidden, layers, 8, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    tmp = tempfile.mkdtemp()
    monitor = ComputeMonitor("bench", ledger=Path(tmp) / "ledger.db", flush_every=10, flush_seconds=None,
                             handle_signals=False)
    tracker = StepTracker(model, monitor)

    def step(context, inputs) -> float:
        start = time.perf_counter()
        with context:
            model(**inputs).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start

    conditions = {
        "no counting": lambda inputs: nullcontext(),
        "flopcount monitor": lambda inputs: tracker.step(inputs),
        "FlopCounterMode every step": lambda inputs: FlopCounterMode(display=False),
    }
    # Warm-up: the monitor's measured steps (cache misses; for dynamic shapes the lengths
    # that fit and verify the polynomial, the range's ends included) happen here.
    warm = batches(batch, seq, 1, seed=1) if seq else [batches(batch, n, 1, seed=n)[0] for n in (64, 256, 96, 160, 200)]
    first = step(tracker.step(warm[0]), warm[0])
    for inputs in warm[1:]:
        step(tracker.step(inputs), inputs)
    for make in conditions.values():
        step(make(warm[0]), warm[0])
    measured_before = tracker.meter.measured
    timed = batches(batch, seq, rounds * steps, seed=2)
    times: dict[str, list[float]] = {c: [] for c in conditions}
    for r in range(rounds):              # interleaved: drift hits every condition alike
        for c, make in conditions.items():
            times[c].extend(step(make(inputs), inputs) for inputs in timed[r * steps:(r + 1) * steps])
    # The monitor's own work per step, isolated from step-time noise (a shared 2-core
    # machine moves step medians by a few percent run to run): signature, cache lookup or
    # length pricing, record, end_step with threshold checks, a ledger write every 10 steps.
    reps = 50 if rounds < 3 else 1000
    start = time.perf_counter()
    for i in range(reps):
        with tracker.step(timed[i % len(timed)]):
            pass
    bookkeeping = (time.perf_counter() - start) / reps
    monitor.close()
    base = statistics.median(times["no counting"])
    return {"regime": name, "first_step_s": first, "bookkeeping_s": bookkeeping,
            "bookkeeping_ratio": bookkeeping / base,
            "intercepted_in_timed_steps": tracker.meter.measured - measured_before,
            "priced": tracker.meter.priced, "cache_hits": tracker.meter.cache.hits,
            "results": {c: {"median_s": statistics.median(v), "ratio": statistics.median(v) / base, "steps": len(v)}
                        for c, v in times.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny model, few steps (CI smoke)")
    args = parser.parse_args()
    hidden, layers, rounds, steps = (128, 2, 2, 2) if args.quick else (256, 4, 7, 5)
    regimes = REGIMES[:1] + REGIMES[-1:] if args.quick else REGIMES
    rows = [regime(name, b, s, hidden, layers, rounds, steps) for name, b, s in regimes]
    print(f"Training step, llama-style {layers}×{hidden}, CPU ({torch.get_num_threads()} threads), "
          f"{rounds} interleaved rounds × {steps} steps, medians; ratio to no counting")
    print(f"{'batch × tokens':<15}{'plain ms':>9}{'monitor':>9}{'bookkeeping':>13}{'FlopCounterMode':>16}"
          f"{'intercepted':>13}")
    for row in rows:
        r = row["results"]
        print(f"{row['regime']:<15}{r['no counting']['median_s'] * 1e3:>9.1f}{r['flopcount monitor']['ratio']:>9.3f}"
              f"{row['bookkeeping_ratio']:>13.3%}{r['FlopCounterMode every step']['ratio']:>16.3f}"
              f"{row['intercepted_in_timed_steps']:>8} of {rounds * steps}")
    print("monitor, FlopCounterMode: step median ÷ plain step median; bookkeeping: the monitor's own work per "
          "step, timed alone, ÷ plain step")
    print("intercepted: timed monitor steps counted op by op; the rest were cache hits or priced from the "
          "verified length polynomial (measure.lengths)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / ("overhead-quick.json" if args.quick else "overhead.json")).write_text(json.dumps(
        {"config": dict(hidden=hidden, layers=layers, rounds=rounds, steps=steps), "regimes": rows}, indent=2))


if __name__ == "__main__":
    main()
