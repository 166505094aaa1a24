"""Processes the monitor tests start: a training loop to SIGKILL, DDP ranks, appenders."""
from __future__ import annotations

import json
import os
import sys
import warnings

warnings.simplefilter("ignore")


def tiny_llama(seed: int = 0):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(seed)
    config = AutoConfig.for_model("llama", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, vocab_size=128)
    return AutoModelForCausalLM.from_config(config)


def train_until_killed(ledger: str) -> None:
    """Train forever, flushing every step; report each flush on stdout."""
    import torch

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.monitor import ComputeMonitor

    model = tiny_llama()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    monitor = ComputeMonitor("killed-model", ledger=ledger, flush_every=1, flush_seconds=None)
    tracker = StepTracker(model, monitor)
    batch = {"input_ids": torch.randint(0, 128, (2, 16))}
    for step in range(10_000):
        with tracker.step(batch):
            model(**batch, labels=batch["input_ids"]).loss.backward()
        opt.step()
        opt.zero_grad()
        print(f"flushed {step + 1} {monitor.training}", flush=True)


def append_rows(ledger: str, tag: str, count: int) -> None:
    from flopcount.ledger import Ledger, Row
    with Ledger(ledger) as led:
        for i in range(count):
            led.append(Row(run=tag, model="m", phase="pre-training", phase_kind="pre-training", row_kind="train",
                           step_start=i, step_end=i + 1, flops_measured=10**24 + i, tokens=1))


def ddp_rank(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """One DDP rank on gloo: train 4 steps with the monitor; rank 0 writes the ledger."""
    import torch
    import torch.distributed as dist

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.measure import count_step
    from flopcount.monitor import ComputeMonitor

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        model = tiny_llama()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=0.01)
        batch = {"input_ids": torch.randint(0, 128, (2, 16), generator=torch.Generator().manual_seed(rank))}
        per_step = count_step(tiny_llama(), {**batch, "labels": batch["input_ids"]}).total
        monitor = ComputeMonitor("ddp-model", ledger=ledger, flush_every=2,  # same path on every rank
                                 flush_seconds=None)
        tracker = StepTracker(ddp, monitor)
        for _ in range(4):
            with tracker.step(batch):
                ddp(**batch, labels=batch["input_ids"]).loss.backward()
            opt.step()
            opt.zero_grad()
        monitor.close()
        with open(f"{out}.{rank}", "w") as f:
            json.dump({"per_step": per_step, "training": monitor.training, "world": monitor.world}, f)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    {"kill": train_until_killed, "append": lambda l, t, n: append_rows(l, t, int(n))}[command](*args)
