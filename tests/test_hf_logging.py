"""The HF Trainer wired the usual way, `callbacks=[FlopcountCallback(monitor)]`, with
TensorBoard reporting: the event files and `trainer_state.json` are read back."""
from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tensorboard")

from test_adapters import MICRO, Tokens, micro_batch_flops  # noqa: E402

from _workers import tiny_llama  # noqa: E402
from flopcount.ledger import Ledger, counted_rows  # noqa: E402
from flopcount.run import ComputeMonitor  # noqa: E402


def _trainer(monitor, output_dir, **kwargs):
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    options = dict(output_dir=str(output_dir), max_steps=4, per_device_train_batch_size=MICRO, logging_steps=1,
                   use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, report_to=["tensorboard"])
    options.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return Trainer(model=tiny_llama(), args=TrainingArguments(**options), train_dataset=Tokens(16),
                       eval_dataset=Tokens(4), callbacks=[FlopcountCallback(monitor)])


def _scalars(folder) -> tuple[dict[str, list[tuple[int, float]]], dict[str, list[str]]]:
    """Every scalar and text series in the TensorBoard event files under `folder`."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    scalars: dict[str, list] = {}
    texts: dict[str, list] = {}
    for path in folder.rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
        for tag in acc.Tags()["tensors"]:
            texts.setdefault(tag, []).extend(
                b.decode() for e in acc.Tensors(tag) for b in e.tensor_proto.string_val)
    return scalars, texts


def test_idiomatic_wiring_reaches_tensorboard_and_log_history(tmp_path):
    """4 steps of one 2×16 micro-batch, a log every step, an evaluation at steps 2 and 4;
    the GPAI line lowered to 2.5 steps so the projection and the crossing fire. The
    event files hold `flopcount/training_flop` = k × the micro-batch's count at each step
    k, the crossing step as a metric and the events as text; `trainer_state.json` holds
    the same values, once per step (not again with the evaluation's log)."""
    per_step = micro_batch_flops()
    monitor = ComputeMonitor("hf-tb", ledger=tmp_path / "l.db", flush_seconds=None, handle_signals=False,
                             lines={"eu-gpai": int(2.5 * per_step)})
    trainer = _trainer(monitor, tmp_path / "out", eval_strategy="steps", eval_steps=2, save_strategy="steps",
                       save_steps=4, per_device_eval_batch_size=MICRO)
    assert type(trainer.callback_handler.callbacks[0]).__name__ == "FlopcountCallback"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
        trainer.evaluate()  # after training: its compute is written too
    scalars, texts = _scalars(tmp_path / "out")
    assert scalars["train/flopcount/training_flop"] == [(k, float(k * per_step)) for k in range(1, 5)]
    assert scalars["train/flopcount/eu-gpai/crossed_step"] == [(3, 2.0)]
    events = [t for tag, values in texts.items() if "flopcount/events" in tag for t in values]
    assert any("crossed the line" in t for t in events) and any("projected" in t for t in events)
    state = json.loads((tmp_path / "out" / "checkpoint-4" / "trainer_state.json").read_text())
    steps = [(h["step"], h["flopcount/training_flop"]) for h in state["log_history"] if "flopcount/training_flop" in h]
    assert steps == [(k, float(k * per_step)) for k in range(1, 5)]
    saved = state["stateful_callbacks"]["FlopcountCallback"]["attributes"]["flopcount_state"]
    assert saved["step"] == 4 and int(saved["totals"][0]) == 4 * per_step
    with Ledger(tmp_path / "l.db", create=False) as led:
        rows = list(led.rows())
    evals = [r for r in rows if r.row_kind == "eval"]
    assert sum(r.flops for r in rows if r.row_kind == "train") == 4 * per_step
    assert evals and rows[-1].row_kind == "eval"  # the evaluation after training reached the ledger


def test_resume_from_a_checkpoint_in_another_folder(tmp_path):
    """Run A (folder a/) saves at step 2 and goes on to 4; run B (folder b/, same ledger)
    resumes from a/checkpoint-2: the monitor state comes from that checkpoint's
    trainer_state.json, steps 2-4 are re-run, and the ledger counts 4 steps, not 6."""
    per_step = micro_batch_flops()
    ledger = tmp_path / "l.db"
    first = ComputeMonitor("hf-move", ledger=ledger, flush_every=1, flush_seconds=None, handle_signals=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _trainer(first, tmp_path / "a", save_strategy="steps", save_steps=2, report_to=[]).train()
        second = ComputeMonitor("hf-move", ledger=ledger, flush_every=1, flush_seconds=None, handle_signals=False)
        _trainer(second, tmp_path / "b", save_strategy="no", report_to=[]).train(
            resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-2"))
    assert second.run == first.run and second.training == 4 * per_step
    with Ledger(ledger, create=False) as led:
        rows = list(led.rows())
    assert sum(r.flops for r in counted_rows(rows)) == 4 * per_step
    assert sum(r.flops for r in rows if r.row_kind == "train") == 6 * per_step  # nothing deleted


def test_lightning_metrics_and_events_reach_the_csv_logger(tmp_path):
    """4 optimizer steps of one 2×16 micro-batch with a CSV logger writing every step; the
    GPAI line lowered to 2.5 steps. metrics.csv holds flopcount/training_flop = k × the
    micro-batch's count at step k-1 (Lightning's 0-based step) and the crossing step."""
    import csv

    lightning = pytest.importorskip("lightning.pytorch")
    from test_adapters import lightning_module

    from flopcount.callbacks.lightning import FlopcountLightningCallback
    per_step = micro_batch_flops()
    monitor = ComputeMonitor("pl-csv", flush_seconds=None, handle_signals=False, lines={"eu-gpai": int(2.5 * per_step)})
    logger = lightning.loggers.CSVLogger(tmp_path, name="run")
    trainer = lightning.Trainer(max_steps=4, callbacks=[FlopcountLightningCallback(monitor)], logger=logger,
                                log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                                enable_model_summary=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(lightning_module(lightning), torch.utils.data.DataLoader(Tokens(16), batch_size=MICRO))
    rows = list(csv.DictReader(open(logger.log_dir + "/metrics.csv")))
    flop = [(int(r["step"]), float(r["flopcount/training_flop"])) for r in rows if r.get("flopcount/training_flop")]
    assert flop == [(k - 1, float(k * per_step)) for k in range(1, 5)]
    crossed = [(int(r["step"]), float(r["flopcount/eu-gpai/crossed_step"])) for r in rows
               if r.get("flopcount/eu-gpai/crossed_step")]
    assert crossed == [(2, 2.0)]
    assert any(r.get("flopcount/eu-gpai/projected_step") for r in rows)


def test_record_from_a_cpu_run_says_what_it_ran_on(tmp_path):
    """A CPU Trainer run's ledger gives a record with the parameter count (transformers'
    own `num_parameters()`), the hardware labelled CPU with its model name and fp32
    precision, and for energy a stated reason why there is no figure."""
    from flopcount.records import record
    from flopcount.hardware.detect import cpu_name
    monitor = ComputeMonitor("hf-cpu", ledger=tmp_path / "l.db", flush_seconds=None, handle_signals=False)
    trainer = _trainer(monitor, tmp_path / "out", max_steps=2, save_strategy="no", report_to=[])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    rec = record.build(ledger_path=tmp_path / "l.db")
    params = rec["model"]["parameters"]
    assert params["total"] == trainer.model.num_parameters() and params["active"] is None
    (hw,) = rec["hardware"]
    assert hw["accelerator"] == "cpu" and hw["name"] == cpu_name() and hw["precision"] == "fp32"
    assert hw["devices"] == 1 and hw["accelerator_hours"] > 0
    assert rec["energy"]["kwh"] is None and rec["energy"]["method"] == "unknown"
    assert any("ran on cpu" in note and "energy not estimated" in note for note in rec["energy"]["assumptions"])
    assert record.check(rec, "rec") == []


@pytest.mark.parametrize("name, expected", [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"), ("A100-SXM4-40GB", "a100"), ("A100-SXM-80GB", "a100"), ("NVIDIA H100 PCIe", "h100-pcie"), ("NVIDIA H100 NVL", None),
    ("NVIDIA A100-SXM4-80GB", "a100"), ("NVIDIA A100 80GB PCIe", "a100-pcie"), ("NVIDIA A100-PCIE-40GB", "a100-pcie"),
    ("NVIDIA H200", "h200"), ("NVIDIA B200", "b200"), ("NVIDIA GB200", "gb200"), ("Tesla V100-SXM2-32GB", "v100"),
    ("Tesla V100-PCIE-16GB", "v100-pcie"), ("NVIDIA L40S", "l40s"), ("NVIDIA L4", "l4"),
    ("AMD Instinct MI300X", "mi300x"), ("NVIDIA GeForce RTX 4090", None)])
def test_device_names_map_to_the_accelerator_table(name, expected):
    """Names as torch.cuda.get_device_name / nvidia-smi print them; the first four are
    quoted from real output cited in data/accelerators.py (DEVICE_NAME_PATTERNS), the rest
    follow the vendors' product names. The H100 NVL and consumer cards have no row."""
    from flopcount.hardware.detect import accelerator_id
    assert accelerator_id(name) == expected


def test_precision_from_weights_and_framework_setting():
    from flopcount.hardware.detect import precision_of
    model = tiny_llama()
    assert precision_of(model) == "fp32"
    assert precision_of(model.to(torch.bfloat16)) == "bf16"
    assert precision_of(model, "fp16") == "fp16"



def test_report_to_flopcount_needs_no_code(tmp_path, monkeypatch):
    """`report_to=["tensorboard", "flopcount"]` and two environment variables: the callback
    is added by the Trainer, the monitor is built from the environment (model name from
    $FLOPCOUNT_MODEL), counts every step and writes the ledger; TensorBoard sees the keys."""
    import flopcount.callbacks.hf  # noqa: F401  (registers the "flopcount" integration)
    from transformers import Trainer, TrainingArguments
    per_step = micro_batch_flops()
    monkeypatch.setenv("FLOPCOUNT_MODEL", "zero-config")
    monkeypatch.setenv("FLOPCOUNT_LEDGER", str(tmp_path / "l.db"))
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=3, per_device_train_batch_size=MICRO,
                             logging_steps=1, use_cpu=True, dataloader_num_workers=0, disable_tqdm=True,
                             save_strategy="no", report_to=["tensorboard", "flopcount"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(16))
        assert type(trainer.callback_handler.callbacks[0]).__name__ == "FlopcountCallback"
        trainer.train()
    with Ledger(tmp_path / "l.db", create=False) as led:
        rows = list(led.rows())
    assert {r.model for r in rows} == {"zero-config"} and sum(r.flops for r in rows) == 3 * per_step
    scalars, _ = _scalars(tmp_path / "out")
    assert scalars["train/flopcount/training_flop"][-1] == (3, float(3 * per_step))


def test_lightning_model_summary_flops_are_flopcounts(caplog):
    """FlopcountModelSummary fills Lightning's FLOPs column and total with flopcount's
    training-step count of `example_input_array` (forward + backward), equal to
    count_step on the same module and input; the example leaves no gradients behind."""
    import logging

    lightning = pytest.importorskip("lightning.pytorch")
    from test_adapters import lightning_module

    from flopcount.callbacks.lightning import FlopcountModelSummary
    from flopcount.measure import count_step
    module = lightning_module(lightning)
    ids = torch.zeros(MICRO, 16, dtype=torch.long)
    module.example_input_array = {"batch": {"input_ids": ids, "labels": ids}}

    def forward(batch):
        return module.model(**batch).loss
    module.forward = forward
    reference = count_step(module, module.example_input_array).total
    module.zero_grad(set_to_none=True)
    from flopcount.callbacks.lightning import _example_step
    assert _example_step(module).total == reference
    assert all(p.grad is None for p in module.parameters())  # the example step leaves none
    trainer = lightning.Trainer(max_steps=1, callbacks=[FlopcountModelSummary(max_depth=1)], logger=False,
                                enable_checkpointing=False, enable_progress_bar=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings(), caplog.at_level(logging.INFO):
        warnings.simplefilter("ignore")
        trainer.fit(module, torch.utils.data.DataLoader(Tokens(4), batch_size=MICRO))
    from lightning.pytorch.utilities.model_summary.model_summary import get_human_readable_count
    text = "\n".join(r.getMessage() for r in caplog.records if "Total Flops" in r.getMessage())
    shown = get_human_readable_count(reference).strip()  # 4,718,592 → "4.7 M"
    assert f"{shown}     Total Flops" in text or f"{shown} Total Flops" in " ".join(text.split())
    (row,) = [line for line in text.splitlines() if "| model" in line]
    assert row.split("|")[5].strip() == shown  # the layer's FLOPs cell


def test_codecarbon_energy_and_emissions_reach_the_record(tmp_path):
    """A CPU Trainer run with `energy=CodecarbonReader("FRA")`: the ledger rows carry
    codecarbon's energy and emissions, and the record built from the ledger has an energy
    figure equal to their sum, labelled as codecarbon's estimate (not NVML)."""
    pytest.importorskip("codecarbon")
    from flopcount.records import record
    from flopcount.hardware.energy import JOULES_PER_KWH, CodecarbonReader
    reader = CodecarbonReader("FRA")
    monitor = ComputeMonitor("hf-carbon", ledger=tmp_path / "l.db", flush_every=1, flush_seconds=None,
                             handle_signals=False, energy=reader)
    trainer = _trainer(monitor, tmp_path / "out", max_steps=3, save_strategy="no", report_to=[])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    reader.close()
    with Ledger(tmp_path / "l.db", create=False) as led:
        rows = [r for r in led.rows() if r.row_kind == "train"]
    joules = sum(r.extra["energy_joules"] for r in rows)
    assert len(rows) == 3 and joules > 0 and all(r.extra["emissions_kg"] > 0 for r in rows)
    assert all(r.extra["energy_note"].startswith("codecarbon") for r in rows)
    rec = record.build(ledger_path=tmp_path / "l.db")
    assert rec["energy"]["method"] == "estimated"
    assert rec["energy"]["kwh"]["total"] == pytest.approx(joules / JOULES_PER_KWH, rel=1e-9)
    assert any("codecarbon" in a and "kg CO2eq" in a for a in rec["energy"]["assumptions"])
    assert record.check(rec, "rec") == []
