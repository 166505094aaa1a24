"""Step time of a small transformer training loop on CPU: no counting, flopcount's
monitor (measured once per shape, cached), and FlopCounterMode wrapped around every
step. Interleaved rounds, medians, ratios to the uncounted baseline.

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
from flopcount.monitor import ComputeMonitor

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny model, few steps (CI smoke)")
    args = parser.parse_args()
    hidden, layers, seq, batch, rounds, steps = (128, 2, 64, 2, 2, 3) if args.quick else (256, 4, 256, 8, 7, 5)
    model, inputs = model_and_batch(hidden, layers, seq, batch)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    tmp = tempfile.mkdtemp()
    monitor = ComputeMonitor("bench", ledger=Path(tmp) / "ledger.db", flush_every=10, flush_seconds=None)
    tracker = StepTracker(model, monitor)

    def step(context) -> float:
        start = time.perf_counter()
        with context:
            model(**inputs).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start

    conditions = {
        "no counting": lambda: nullcontext(),
        "flopcount monitor": lambda: tracker.step(inputs),
        "FlopCounterMode every step": lambda: FlopCounterMode(display=False),
    }
    first = step(tracker.step(inputs))  # the one measured step (cache miss) — reported apart
    for make in conditions.values():    # warm-up
        step(make())
    times: dict[str, list[float]] = {name: [] for name in conditions}
    for _ in range(rounds):             # interleaved, so drift hits every condition alike
        for name, make in conditions.items():
            times[name].extend(step(make()) for _ in range(steps))
    base = statistics.median(times["no counting"])
    # The monitor's own work per step, isolated from step-time noise: signature lookup,
    # record, end_step with threshold checks, and a ledger flush every 10 steps.
    reps = 200 if args.quick else 2000
    start = time.perf_counter()
    for _ in range(reps):
        with tracker.step(inputs):
            pass
    bookkeeping = (time.perf_counter() - start) / reps
    monitor.close()
    print(f"Training step, llama-style {layers}×{hidden}, batch {batch}×{seq} tokens, CPU "
          f"({torch.get_num_threads()} threads), {rounds} interleaved rounds × {steps} steps, medians")
    print(f"{'condition':<28}{'median step (ms)':>18}{'ratio':>8}{'overhead':>10}")
    results = {}
    for name, values in times.items():
        median = statistics.median(values)
        results[name] = {"median_s": median, "ratio": median / base, "steps": len(values)}
        print(f"{name:<28}{median * 1e3:>18.1f}{median / base:>8.3f}{(median / base - 1):>+10.1%}")
    print(f"monitor bookkeeping alone: {bookkeeping * 1e6:.0f} µs per step = {bookkeeping / base:.3%} of a plain step")
    print(f"first monitored step (measured, cache miss): {first * 1e3:.1f} ms = {first / base:.2f}× a plain step; "
          f"cache hits {tracker.meter.cache.hits}, misses {tracker.meter.cache.misses}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / ("overhead-quick.json" if args.quick else "overhead.json")).write_text(json.dumps(
        {"config": dict(hidden=hidden, layers=layers, seq=seq, batch=batch), "first_step_s": first,
         "bookkeeping_s": bookkeeping,
         "results": results}, indent=2))


if __name__ == "__main__":
    main()
