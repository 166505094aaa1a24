"""Processes the monitor tests start: a training loop to SIGKILL, DDP ranks, appenders."""
from __future__ import annotations

import contextlib
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


def train_until_killed(ledger: str, flush_every: int = 1, label: str = "flushed") -> None:
    """Train until the process is killed, writing every `flush_every` steps; report each
    finished step's total on stdout. flush_every=1000: the README loop, which writes
    pending steps only on a signal or at exit within the first 1000 steps."""
    import torch

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.run import ComputeMonitor

    model = tiny_llama()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with ComputeMonitor(f"{label}-model", ledger=ledger, flush_every=flush_every, flush_seconds=None) as monitor:
        tracker = StepTracker(model, monitor)
        batch = {"input_ids": torch.randint(0, 128, (2, 16))}
        for step in range(10_000):
            with tracker.step(batch):
                model(**batch, labels=batch["input_ids"]).loss.backward()
            opt.step()
            opt.zero_grad()
            print(f"{label} {step + 1} {monitor.training}", flush=True)


@contextlib.contextmanager
def gloo(rank: int, world: int, init_file: str, **kwargs):
    """A gloo process group for the life of the block."""
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world, **kwargs)
    try:
        yield
    finally:
        dist.destroy_process_group()


def train_and_report(model, batch: dict, name: str, ledger: str, steps: int, out: str, rank: int, single: int,
                     flush_every: int = 1) -> None:
    """`steps` monitored SGD steps of `model` on `batch`; write the rank's total and the
    single-process reference count to `out.rank`."""
    import torch

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.run import ComputeMonitor
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    monitor = ComputeMonitor(name, ledger=ledger, flush_every=flush_every, flush_seconds=None, handle_signals=False)
    tracker = StepTracker(model, monitor)
    for _ in range(steps):
        with tracker.step(batch):
            model(**batch, labels=batch["input_ids"]).loss.backward()
        opt.step()
        opt.zero_grad()
    monitor.close()
    with open(f"{out}.{rank}", "w") as f:
        json.dump({"single": single, "training": monitor.training}, f)


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
    from flopcount.run import ComputeMonitor

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


def rank_zero_only(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """Ranks doing different work per step (their own lengths), a rank-0-only checkpoint
    and close, per-step writes decided by time on rank 0, and sums beyond 2^124."""
    import datetime as dt
    import time

    import torch.distributed as dist

    from flopcount.run import ComputeMonitor

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=dt.timedelta(seconds=20))
    try:
        monitor = ComputeMonitor("r0", ledger=ledger, flush_every=10**6, flush_seconds=0.0,
                                 handle_signals=False)
        for step in range(3):
            monitor.step(1000 * (rank + 1) + step, tokens=rank + 1)
            if step == 0 and rank == 0:                # another cluster's run of this model
                from flopcount.ledger import Ledger, Row
                with Ledger(ledger) as other:
                    other.append(Row(run="other-cluster", model="r0", phase="pre-training",
                                     phase_kind="pre-training", row_kind="train", step_start=0, step_end=1,
                                     flops_measured=5 * 10**24, tokens=1))
        seen = monitor.quantities()["training"] - monitor.training
        monitor.step(2**200 + rank)                    # beyond any fixed limb count
        started = time.monotonic()
        state = None
        if rank == 0:                                  # the usual checkpoint pattern
            state = monitor.state_dict()
            monitor.close()
        seconds = time.monotonic() - started
        dist.barrier()
        with open(f"{out}.{rank}", "w") as f:
            json.dump({"seconds": seconds, "training": str(monitor.training), "seen": str(seen),
                       "state_totals": None if state is None else [str(v) for v in state["totals"]]}, f)
    finally:
        dist.destroy_process_group()


def fsdp_rank(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """FSDP2 (`fully_shard` per decoder layer and the root) on gloo: each rank trains its
    own batch (its own length) for 3 steps; the ledger should hold the single-process
    count of every rank's batch, the all-gathers being communication, not FLOP."""
    import torch
    from torch.distributed.fsdp import fully_shard

    from flopcount.measure import count_step

    with gloo(rank, world, init_file):
        length = 16 + 8 * rank
        batch = {"input_ids": torch.randint(0, 128, (2, length), generator=torch.Generator().manual_seed(rank))}
        single = count_step(tiny_llama(), {**batch, "labels": batch["input_ids"]}).total
        model = tiny_llama()
        for layer in model.model.layers:
            fully_shard(layer)
        fully_shard(model)
        train_and_report(model, batch, "fsdp-model", ledger, 3, out, rank, single, flush_every=2)


def tp_rank(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """Tensor parallel (DTensor, a Megatron-style plan: q/k/v/gate/up column-wise, o/down
    row-wise, lm_head column-wise) on gloo: the group trains one batch for 2 steps."""
    import torch
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    from flopcount.measure import count_step

    with gloo(rank, world, init_file):
        batch = {"input_ids": torch.randint(0, 128, (2, 16), generator=torch.Generator().manual_seed(0))}
        single = count_step(tiny_llama(), {**batch, "labels": batch["input_ids"]}).total
        mesh = init_device_mesh("cpu", (world,))
        model = tiny_llama()
        plan = {f"self_attn.{p}_proj": ColwiseParallel() for p in "qkv"} | {
            "self_attn.o_proj": RowwiseParallel(), "mlp.gate_proj": ColwiseParallel(),
            "mlp.up_proj": ColwiseParallel(), "mlp.down_proj": RowwiseParallel()}
        for layer in model.model.layers:
            parallelize_module(layer, mesh, plan)
        parallelize_module(model, mesh, {"lm_head": ColwiseParallel(output_layouts=Replicate())})
        train_and_report(model, batch, "tp-model", ledger, 2, out, rank, single)


def accelerate_trainer(ledger: str, out: str) -> None:
    """Run under `accelerate launch --num_processes 2 --cpu`: the HF Trainer (DDP, gloo)
    with FlopcountCallback, 3 optimizer steps of 2 × 16 tokens per rank."""
    import torch
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    from flopcount.run import ComputeMonitor

    class Tokens(torch.utils.data.Dataset):
        ids = torch.randint(0, 128, (32, 16), generator=torch.Generator().manual_seed(0))

        def __len__(self):
            return len(self.ids)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "labels": self.ids[i]}

    monitor = ComputeMonitor("accelerate-model", ledger=ledger, flush_seconds=None, handle_signals=False)
    args = TrainingArguments(output_dir=out, max_steps=3, per_device_train_batch_size=2, save_strategy="no",
                             report_to=[], use_cpu=True, dataloader_num_workers=0, disable_tqdm=True)
    trainer = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens())
    FlopcountCallback(monitor).attach(trainer)
    trainer.train()
    import torch.distributed as dist
    with open(f"{out}.{dist.get_rank()}", "w") as f:
        json.dump({"training": monitor.training, "world": monitor.world, "steps": monitor.step_index}, f)


def pp_rank(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """Pipeline parallel (torch.distributed.pipelining, GPipe, 2 micro-batches): 4 MLP
    blocks, 2 per stage. The first schedule step also runs the stages' shape inference (a
    real forward of one micro-batch), so it runs before the tracker; step 2 is counted."""
    import torch
    import torch.distributed as dist
    from torch.distributed.pipelining import PipelineStage, ScheduleGPipe

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.measure import count_step
    from flopcount.run import ComputeMonitor

    def blocks():
        torch.manual_seed(0)
        return torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(),
                                                         torch.nn.Linear(64, 32)) for _ in range(4)])

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        x = torch.randn(8, 32, generator=torch.Generator().manual_seed(0))
        y = torch.randn(8, 32, generator=torch.Generator().manual_seed(1))
        mse = torch.nn.functional.mse_loss
        single = count_step(blocks(), (x,), loss=lambda out: mse(out, y)).total
        part = torch.nn.Sequential(*list(blocks())[2 * rank: 2 * rank + 2])
        schedule = ScheduleGPipe(PipelineStage(part, rank, world, torch.device("cpu")), n_microbatches=2,
                                 loss_fn=mse)
        run = (lambda: schedule.step(x)) if rank == 0 else (lambda: schedule.step(target=y))
        run()
        part.zero_grad()
        monitor = ComputeMonitor("pp-model", ledger=ledger, flush_every=1, flush_seconds=None,
                                 handle_signals=False)
        tracker = StepTracker(part, monitor, modules=False)  # stage backward runs autograd.grad
        with tracker.step((x,) if rank == 0 else (y,)):
            run()
        monitor.close()
        with open(f"{out}.{rank}", "w") as f:
            json.dump({"single": single, "training": monitor.training}, f)
    finally:
        dist.destroy_process_group()


def lightning_ddp(ledger: str, out: str) -> None:
    """Lightning, strategy="ddp" on 2 CPU processes (Lightning re-runs this command for
    rank 1), 3 steps of one 2×16 batch per rank, FlopcountLightningCallback."""
    import lightning.pytorch as pl
    import torch

    from flopcount.callbacks.lightning import FlopcountLightningCallback
    from flopcount.run import ComputeMonitor

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = tiny_llama()

        def training_step(self, batch, batch_idx):
            return self.model(**batch).loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    ids = torch.randint(0, 128, (32, 16), generator=torch.Generator().manual_seed(0))
    data = [{"input_ids": i, "labels": i} for i in ids]
    monitor = ComputeMonitor("lightning-ddp", ledger=ledger, flush_seconds=None, handle_signals=False)
    trainer = pl.Trainer(max_steps=3, accelerator="cpu", devices=2, strategy="ddp", logger=False,
                         callbacks=[FlopcountLightningCallback(monitor)], enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Module(), torch.utils.data.DataLoader(data, batch_size=2))
    with open(f"{out}.{trainer.global_rank}", "w") as f:
        json.dump({"training": monitor.training, "world": monitor.world, "steps": monitor.step_index}, f)


def cluster(ledger: str, name: str, writers: int, steps: int, out: str) -> None:
    """One "cluster": `writers` runs of one model lineage in threads, each writing every
    step of 1e23 FLOP to the shared ledger; report each run's own total, the lineage
    total it saw at the end, and whether it saw the 1e25 line crossed."""
    import threading

    from flopcount.run import ComputeMonitor
    results: dict[str, dict] = {}

    def run(i: int) -> None:
        monitor = ComputeMonitor("lineage", run=f"{name}-{i}", ledger=ledger, flush_every=1, flush_seconds=None,
                                 handle_signals=False)
        crossed = []
        for _ in range(steps):
            crossed += [e for e in monitor.step(10**23, tokens=1) if e.kind == "crossed"
                        and e.threshold == "eu-systemic-risk"]
        results[monitor.run] = {"own": str(monitor.training), "seen": str(monitor.quantities()["training"]),
                                "crossed": bool(crossed)}
        monitor.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    {"kill": train_until_killed, "signal": lambda path: train_until_killed(path, 1000, "step"), "accelerate": accelerate_trainer,
     "lightning": lightning_ddp,
     "append": lambda l, t, n: append_rows(l, t, int(n)),
     "cluster": lambda l, n, w, s, o: cluster(l, n, int(w), int(s), o)}[command](*args)


def lagged_rank(rank: int, world: int, init_file: str, ledger: str, out: str) -> None:
    """5 steps of (rank+1)·10^6 FLOP with a line at 7.5·10^6: what each rank saw."""
    from flopcount.run import ComputeMonitor

    with gloo(rank, world, init_file):
        monitor = ComputeMonitor("lagged", ledger=ledger, flush_seconds=None, handle_signals=False,
                                 lines={"eu-gpai": 7_500_000})
        in_flight, crossed = [], []
        for _ in range(5):
            events = monitor.step((rank + 1) * 10**6, tokens=1)
            crossed += [[e.threshold, e.step] for e in events if e.kind == "crossed"]
            in_flight.append(len(monitor._inflight))
        crossed += [[e.threshold, e.step] for e in monitor.events if e.kind == "crossed" and
                    [e.threshold, e.step] not in crossed]
        training = monitor.training
        monitor.close()
        with open(f"{out}.{rank}", "w") as f:
            json.dump({"in_flight_after_step": in_flight, "crossed": crossed, "training": training}, f)
