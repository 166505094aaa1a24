"""Real tiny training runs through the HuggingFace Trainer and Lightning adapters."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from flopcount.measure import count_step  # noqa: E402
from flopcount.run import ComputeMonitor, ThresholdWarning  # noqa: E402

from _workers import tiny_llama  # noqa: E402

SEQ, MICRO = 16, 2


def micro_batch_flops() -> int:
    """Reference: one micro-batch (2 × 16 tokens, with labels) measured on its own."""
    ids = torch.zeros(MICRO, SEQ, dtype=torch.long)
    return count_step(tiny_llama(), {"input_ids": ids, "labels": ids}).total


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n: int):
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 128, (n, SEQ), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def test_hf_trainer(tmp_path):
    """4 optimizer steps × 2 accumulated micro-batches; eval every 2 steps (not training
    compute); lines lowered so the projection fires at step 0 and the crossing at step 2."""
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback

    one = micro_batch_flops()
    per_step = MICRO * one
    monitor = ComputeMonitor("hf-tiny", ledger=tmp_path / "l.db", flush_seconds=None,
                             lines={"eu-gpai": int(2.5 * per_step), "eu-systemic-risk": 100 * per_step})
    seen_logs = []

    class Recorder(TrainerCallback):  # stands in for TensorBoard / W&B
        def on_log(self, args, state, control, logs=None, **kwargs):
            seen_logs.append(dict(logs))

    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=4, per_device_train_batch_size=MICRO,
                             gradient_accumulation_steps=2, logging_steps=1, eval_strategy="steps", eval_steps=2,
                             per_device_eval_batch_size=MICRO, save_strategy="no", report_to=[], use_cpu=True,
                             dataloader_num_workers=0, disable_tqdm=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        trainer = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(16), eval_dataset=Tokens(4),
                          callbacks=[Recorder()])
    FlopcountCallback(monitor).attach(trainer)
    with pytest.warns(ThresholdWarning):
        trainer.train()
    assert monitor.step_index == 4
    assert monitor.training == 4 * per_step
    assert [(e.kind, e.step) for e in monitor.events] == [("projected", 2), ("crossed", 2)]
    assert monitor.flushed.eval > 0  # 2 evaluations × 2 eval batches, recorded apart
    train_logs = [log for log in seen_logs if "flopcount/training_flop" in log]
    assert train_logs and train_logs[-1]["flopcount/training_flop"] == float(4 * per_step)
    from flopcount.ledger import Ledger
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.verify().ok
        rows = list(ledger.rows())
    assert sum(r.flops for r in rows if r.row_kind == "train") == 4 * per_step


def lightning_module(lightning):
    class Module(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = tiny_llama()

        def training_step(self, batch, batch_idx):
            return self.model(**batch).loss

        def validation_step(self, batch, batch_idx):
            self.model(**batch)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    return Module()


def test_lightning(tmp_path):
    lightning = pytest.importorskip("lightning.pytorch")

    from flopcount.callbacks.lightning import FlopcountLightningCallback

    one = micro_batch_flops()
    monitor = ComputeMonitor("pl-tiny", flush_seconds=None, lines={"eu-gpai": int(2.5 * MICRO * one)})
    loader = torch.utils.data.DataLoader(Tokens(16), batch_size=MICRO)
    trainer = lightning.Trainer(max_steps=4, accumulate_grad_batches=2, callbacks=[FlopcountLightningCallback(monitor)],
                                logger=False, enable_checkpointing=False, enable_progress_bar=False,
                                enable_model_summary=False, num_sanity_val_steps=0, val_check_interval=4,
                                check_val_every_n_epoch=None, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(lightning_module(lightning), loader, torch.utils.data.DataLoader(Tokens(4), batch_size=MICRO))
    assert monitor.step_index == 4
    assert monitor.training == 4 * MICRO * one
    assert [(e.kind, e.step) for e in monitor.events] == [("projected", 2), ("crossed", 2)]
    assert monitor.flushed.eval > 0
    assert trainer.callback_metrics["flopcount/training_flop"].item() == pytest.approx(float(4 * MICRO * one))


def test_hf_resume_from_checkpoint_does_not_double_count(tmp_path):
    """Run 4 steps saving at step 2, then resume a fresh Trainer from checkpoint-2: the
    monitor state saved in the checkpoint folder is restored, the ledger marks steps 2–4
    of the first run as superseded, and the counted total is 4 steps, not 6."""
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import STATE_FILE, FlopcountCallback
    from flopcount.ledger import Ledger, counted_rows

    per_step = micro_batch_flops()  # no accumulation here: one micro-batch of 2 per step
    ledger = tmp_path / "l.db"

    def trainer(monitor):
        args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=4, per_device_train_batch_size=MICRO,
                                 save_strategy="steps", save_steps=2, report_to=[], use_cpu=True, disable_tqdm=True,
                                 dataloader_num_workers=0, logging_steps=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            t = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(16))
        FlopcountCallback(monitor).attach(t)
        return t

    first = ComputeMonitor("hf-resume", ledger=ledger, flush_every=1, flush_seconds=None)
    trainer(first).train()
    assert (tmp_path / "out" / "checkpoint-2" / STATE_FILE).exists()
    second = ComputeMonitor("hf-resume", ledger=ledger, flush_every=1, flush_seconds=None, run=first.run)
    trainer(second).train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-2"))
    assert second.step_index == 4 and second.training == 4 * per_step
    with Ledger(ledger) as led:
        rows = list(led.rows())
    assert led is not None and sum(r.flops for r in counted_rows(rows)) == 4 * per_step
    assert sum(r.flops for r in rows if r.row_kind == "train") == 6 * per_step  # nothing deleted
    assert any(r.row_kind == "resume" for r in rows) and any(r.rerun for r in rows)


def test_lightning_resume_from_checkpoint(tmp_path):
    """The callback's state rides in Lightning's checkpoint: fit 4 steps saving every 2,
    resume a new fit from the step-2 checkpoint; the count continues from it."""
    lightning = pytest.importorskip("lightning.pytorch")

    from flopcount.callbacks.lightning import FlopcountLightningCallback
    from flopcount.ledger import Ledger, counted_rows

    per_step = micro_batch_flops()
    ledger = tmp_path / "l.db"
    loader = torch.utils.data.DataLoader(Tokens(16), batch_size=MICRO)

    def fit(monitor, **kwargs):
        saver = lightning.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=2, save_top_k=-1)
        trainer = lightning.Trainer(max_steps=4, callbacks=[FlopcountLightningCallback(monitor), saver], logger=False,
                                    enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                                    devices=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.fit(lightning_module(lightning), loader, **kwargs)

    first = ComputeMonitor("pl-resume", ledger=ledger, flush_every=1, flush_seconds=None)
    fit(first)
    step2 = next(p for p in (tmp_path / "ckpt").iterdir() if "step=2" in p.name)
    second = ComputeMonitor("pl-resume", ledger=ledger, flush_every=1, flush_seconds=None)
    fit(second, ckpt_path=str(step2))
    assert second.step_index == 4 and second.training == 4 * per_step
    assert second.quantities()["training"] == 4 * per_step  # the restored run is not also "history"
    with Ledger(ledger) as led:
        assert sum(r.flops for r in counted_rows(list(led.rows()))) == 4 * per_step


def test_accelerate_launch_with_hf_trainer(tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` (torchrun underneath; the
    Trainer's use_cpu=True puts DDP on gloo, as on a machine without GPUs) with the HF
    Trainer and FlopcountCallback: 2 ranks × 3 steps × one 2×16 micro-batch, exactly,
    in the ledger and on every rank."""
    import json
    import os
    import shutil
    import subprocess
    from pathlib import Path

    from flopcount.ledger import Ledger
    from _workers import __file__ as workers
    if shutil.which("accelerate") is None:
        pytest.skip("the accelerate CLI is not installed")
    ledger, out = str(tmp_path / "l.db"), str(tmp_path / "out")
    proc = subprocess.run(["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                           "--mixed_precision", "no", "--dynamo_backend", "no", workers, "accelerate", ledger, out],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", "CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = 2 * 3 * micro_batch_flops()
    for rank in range(2):
        result = json.loads(Path(f"{out}.{rank}").read_text())
        assert result == {"training": expected, "world": 2, "steps": 3}
    with Ledger(ledger) as led:
        assert sum(r.flops for r in led.rows() if r.row_kind == "train") == expected


def test_lightning_ddp_two_processes(tmp_path):
    """Lightning strategy="ddp" on 2 CPU processes (gloo), 3 steps of 2×16 tokens per
    rank: every rank and the ledger hold 2 × 3 × the micro-batch's count, exactly."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("lightning.pytorch")
    from flopcount.ledger import Ledger
    from _workers import __file__ as workers
    ledger, out = str(tmp_path / "l.db"), str(tmp_path / "out")
    proc = subprocess.run([sys.executable, workers, "lightning", ledger, out], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = 2 * 3 * micro_batch_flops()
    for rank in range(2):
        assert json.loads(Path(f"{out}.{rank}").read_text()) == {"training": expected, "world": 2, "steps": 3}
    with Ledger(ledger) as led:
        assert sum(r.flops for r in led.rows() if r.row_kind == "train") == expected
