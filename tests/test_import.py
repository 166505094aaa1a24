"""Finished runs imported after the fact: a real tiny HF Trainer run on the CPU."""
from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_adapters import MICRO, SEQ, Tokens, micro_batch_flops  # noqa: E402

from _workers import tiny_llama  # noqa: E402
from flopcount.cli import main  # noqa: E402
from flopcount.ledger import Ledger  # noqa: E402
from flopcount.run import ComputeMonitor  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """3 steps of one 2×16 micro-batch, counted live into a ledger, tokens logged."""
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    folder = tmp_path_factory.mktemp("run")
    monitor = ComputeMonitor("tiny", ledger=folder / "live.db", flush_seconds=None, handle_signals=False)
    args = TrainingArguments(output_dir=str(folder / "out"), max_steps=3, per_device_train_batch_size=MICRO,
                             logging_steps=1, use_cpu=True, dataloader_num_workers=0, disable_tqdm=True,
                             report_to=[], save_strategy="steps", save_steps=3, include_num_input_tokens_seen="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(16), callbacks=[FlopcountCallback(monitor)]).train()
    return folder


def test_finished_run_becomes_a_record_equal_to_the_live_ledger(run, capsys):
    """`flopcount import out/ --seq-len 16`: 96 tokens (num_input_tokens_seen), 3 steps;
    the record built from the imported plan has the total the ledger counted live
    (3 × the micro-batch's measured count): the full formula and the op-level count agree."""
    assert main(["import", str(run / "out"), "--seq-len", str(SEQ), "-o", str(run / "plan.yaml")]) == 0
    text = (run / "plan.yaml").read_text()  # its config path relative to plan.yaml
    assert "num_input_tokens_seen" in text and "total_flos" in text and "training_args.bin" not in text
    assert main(["record", "--plan", str(run / "plan.yaml"), "-o", str(run / "rec")]) == 0
    record = json.loads((run / "rec.json").read_text())
    with Ledger(run / "live.db", create=False) as led:
        live = sum(r.flops for r in led.rows() if r.row_kind == "train")
    assert live == 3 * micro_batch_flops()
    assert record["phases"][0]["tokens"] == 3 * MICRO * SEQ
    assert "steps: 3" in text and "batch_size: 2" in text  # 96 tokens / (3 steps × 16)
    assert int(record["totals"]["training"]["total"]) == live
    capsys.readouterr()
    assert main(["estimate", str(run / "out"), "--seq-len", str(SEQ), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["compute"]["training"]["total"] == str(live)


def test_missing_facts_are_asked_for_by_flag(run, tmp_path, capsys):
    assert main(["import", str(run / "out")]) == 2
    assert "pass --seq-len" in capsys.readouterr().err
    (tmp_path / "training_args.bin").write_bytes(b"\x80\x04pickle")
    assert main(["import", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a recipe, run, plan or model config flopcount reads" in err
    assert main(["import", str(tmp_path / "training_args.bin")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a pickle" in err and "never does" in err


def test_peft_run_folder_reads_its_adapter(run, tmp_path, capsys):
    """The same 3-step run's state with an adapter_config.json (the JSON PEFT writes; a PEFT
    folder has no config.json): rank 4 on q_proj and v_proj of the tiny Llama. The import
    is a fine-tuning phase with that LoRA, and its total equals the same run estimated from
    the adapter file directly (96 tokens at 16)."""
    import shutil
    folder = tmp_path / "peft-out"
    shutil.copytree(run / "out", folder)
    base = tmp_path / "base-config.json"
    shutil.copy(folder / "checkpoint-3" / "config.json", base)
    for config in folder.rglob("config.json"):
        config.unlink()
    adapter = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 4, "lora_alpha": 8, "lora_dropout": 0.0,
               "target_modules": ["q_proj", "v_proj"], "base_model_name_or_path": str(base), "bias": "none"}
    (folder / "checkpoint-3" / "adapter_config.json").write_text(json.dumps(adapter))
    assert main(["import", str(folder), "--seq-len", str(SEQ)]) == 0
    text = capsys.readouterr().out
    assert "kind: fine-tuning" in text and "rank: 4" in text and "adapter_config.json: r, target_modules" in text
    assert "frozen base's weight gradients" in text
    assert main(["estimate", str(folder), "--seq-len", str(SEQ), "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)["compute"]["training"]["total"]
    assert main(["estimate", str(folder / "checkpoint-3" / "adapter_config.json"), "--tokens", "96", "--seq-len",
                 str(SEQ), "--kind", "fine-tuning", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["compute"]["training"]["total"] == ours


def test_ledger_imports_as_a_plan_with_the_measured_count(run, tmp_path, capsys):
    """The live ledger of the same run: one phase, 96 tokens, flops = the measured total
    (3 × the micro-batch's count), dated by its rows; with the model's config and --seq-len
    the full formula beside it agrees exactly. A ledger whose row was edited is refused in
    one line, never read around."""
    import shutil

    from _tamper import raw
    config = run / "out" / "checkpoint-3" / "config.json"
    assert main(["import", str(run / "live.db"), "--seq-len", str(SEQ), "--base-config", str(config),
                 "-o", str(tmp_path / "plan.yaml")]) == 0
    text = (tmp_path / "plan.yaml").read_text()
    capsys.readouterr()
    live = 3 * micro_batch_flops()
    assert f"flops: {live}" in text and "tokens: 96" in text and "verified" in text
    assert main(["estimate", str(tmp_path / "plan.yaml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    phase = out["phases"][0]
    assert int(phase["estimates"]["reported"]["total"]) == live == int(phase["estimates"]["full"]["total"])
    copy = tmp_path / "edited.db"
    for suffix in ("", "-wal", "-shm"):  # SQLite's write-ahead log holds rows not yet checkpointed
        if (run / f"live.db{suffix}").exists():
            shutil.copy(run / f"live.db{suffix}", tmp_path / f"edited.db{suffix}")
    raw(str(copy), "UPDATE {rows} SET tokens = tokens + 1")
    assert main(["import", str(copy), "--seq-len", str(SEQ), "--base-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "failed verification" in err


def test_lightning_log_folder_becomes_a_plan_and_record(tmp_path, capsys):
    """A real Lightning fit (4 steps, CSVLogger, flopcount's callback writing a ledger too):
    the log folder imports as one training phase whose flops is the last logged
    flopcount/training_flop — the ledger's exact total to float32's precision (said) — and a
    record is written from it directly."""
    lightning = pytest.importorskip("lightning.pytorch")
    from test_adapters import lightning_module

    from flopcount.callbacks.lightning import FlopcountLightningCallback
    monitor = ComputeMonitor("pl", ledger=tmp_path / "pl.db", flush_seconds=None, handle_signals=False)
    logger = lightning.loggers.CSVLogger(tmp_path, name="run")
    module = lightning_module(lightning)
    trainer = lightning.Trainer(max_steps=4, callbacks=[FlopcountLightningCallback(monitor)], logger=logger,
                                log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                                enable_model_summary=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module, torch.utils.data.DataLoader(Tokens(16), batch_size=MICRO))
    module.model.config.to_json_file(tmp_path / "config.json")
    with Ledger(tmp_path / "pl.db", create=False) as led:
        live = sum(r.flops for r in led.rows() if r.row_kind == "train")
    assert main(["import", str(tmp_path / "run"), "--base-config", str(tmp_path / "config.json")]) == 0
    text = capsys.readouterr().out
    flops = int(text.split("flops: ")[1].split()[0])
    assert flops == pytest.approx(live, rel=1e-6) and "float32" in text
    assert main(["record", "--plan", str(tmp_path / "run"), "--base-config", str(tmp_path / "config.json"),
                 "-o", str(tmp_path / "rec")]) == 0
    record = json.loads((tmp_path / "rec.json").read_text())
    assert int(record["totals"]["training"]["total"]) == flops
    assert main(["import", str(tmp_path / "run")]) == 2
    assert "--base-config" in capsys.readouterr().err


def test_bad_finished_runs_are_one_line(tmp_path, capsys):
    """Another program's SQLite file, a truncated one, and a Lightning metrics file whose
    flopcount column holds NaN: one line each, exit 2, nothing written."""
    import sqlite3
    db = sqlite3.connect(tmp_path / "other.db")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    (tmp_path / "trunc.db").write_bytes(b"SQLite format 3\x00garbage")
    (tmp_path / "pl" / "version_0").mkdir(parents=True)
    (tmp_path / "pl" / "version_0" / "metrics.csv").write_text("step,flopcount/training_flop\n0,nan\n")
    for target, needle in (("other.db", "not a flopcount ledger"), ("trunc.db", "not a readable flopcount ledger"),
                           ("pl", "'nan' is not a FLOP count")):
        assert main(["import", str(tmp_path / target), "--base-config", str(tmp_path / "x.json")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err, err
