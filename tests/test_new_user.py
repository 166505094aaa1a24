"""Issue 30, tried as a new user would: real tiny Trainer runs on the CPU, their ledgers
through the CLI, and the README's Hugging Face example run as written."""
from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_adapters import MICRO, SEQ, Tokens, micro_batch_flops  # noqa: E402

from _workers import tiny_llama  # noqa: E402
from flopcount.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STEPS = 8
#: Test sizes for a TrainingArguments call: 8 steps on the CPU, a log every step.
SMALL = dict(max_steps=STEPS, per_device_train_batch_size=MICRO, logging_steps=1, use_cpu=True,
             dataloader_num_workers=0, disable_tqdm=True, save_strategy="no")


def _flop_logs(history: list[dict]) -> list[tuple[int, float]]:
    return [(h["step"], h["flopcount/training_flop"]) for h in history if "flopcount/training_flop" in h]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two 8-step CPU runs of one model into one ledger, both with
    `include_num_input_tokens_seen=True`: the first wired with `callbacks=[...]`, the
    second with `report_to=["flopcount"]`; the first saves its checkpoint (a/checkpoint-8).
    Returns the folder and both log histories."""
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    from flopcount.run import ComputeMonitor
    folder = tmp_path_factory.mktemp("new-user")
    ledger = folder / "L.db"
    monitor = ComputeMonitor("tiny", ledger=ledger, flush_seconds=None, handle_signals=False)
    histories = []
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir=str(folder / "a"), report_to=[], include_num_input_tokens_seen=True,
                                 **{**SMALL, "save_strategy": "steps", "save_steps": STEPS})
        trainer = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(32), callbacks=[FlopcountCallback(monitor)])
        trainer.train()
        histories.append(trainer.state.log_history)
        mp.setenv("FLOPCOUNT_MODEL", "tiny")
        mp.setenv("FLOPCOUNT_LEDGER", str(ledger))
        args = TrainingArguments(output_dir=str(folder / "b"), report_to=["flopcount"],
                                 include_num_input_tokens_seen=True, **SMALL)
        trainer = Trainer(model=tiny_llama(), args=args, train_dataset=Tokens(32))
        trainer.train()
        histories.append(trainer.state.log_history)
    return folder, histories


def test_point1_hf_logs_with_num_input_tokens_seen(two_runs):
    """With the setting, the Trainer adds `train_runtime` (speed metrics) to every step's
    log; each of the 8 step logs still carries flopcount's totals: step k of a run holds
    k × the micro-batch's measured count (the second run's model total adds the first's 8),
    with `callbacks=[...]` and with `report_to=["flopcount"]`."""
    per_step = micro_batch_flops()
    _, histories = two_runs
    for earlier, history in enumerate(histories):  # the model's training counts the earlier run too
        assert any("num_input_tokens_seen" in h and "train_runtime" in h for h in history if "loss" in h)
        assert _flop_logs(history) == [(k, float((earlier * STEPS + k) * per_step)) for k in range(1, STEPS + 1)]
        assert [h["flopcount/run_training_flop"] for h in history if "flopcount/run_training_flop" in h] == [
            float(k * per_step) for k in range(1, STEPS + 1)]
        summary = history[-1]  # the end-of-training summary: its totals went with the last step's log
        assert "train_loss" in summary and "flopcount/training_flop" not in summary


def _readme_hf_example() -> str:
    """The README's HuggingFace Trainer code block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("**HuggingFace Trainer**")
    return re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)


def test_point1_readme_hf_example_logs_flopcount_keys(tmp_path, monkeypatch):
    """The README's example, run as written (test sizes added to its TrainingArguments),
    sets `include_num_input_tokens_seen=True` and its logs show the `flopcount/*` keys."""
    from transformers import Trainer, TrainingArguments

    from flopcount.callbacks.hf import FlopcountCallback
    from flopcount.run import ComputeMonitor
    code = _readme_hf_example()
    assert "include_num_input_tokens_seen=True" in code
    monkeypatch.chdir(tmp_path)
    monitor = ComputeMonitor("my-model", ledger=tmp_path / "compute.db", flush_seconds=None, handle_signals=False)
    names = {"Trainer": Trainer, "TrainingArguments": lambda *a, **kw: TrainingArguments(*a, **{**kw, **SMALL, "report_to": []}),
             "FlopcountCallback": FlopcountCallback, "monitor": monitor, "model": tiny_llama(), "ds": Tokens(32)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md", "exec"), names)
    history = names["trainer"].state.log_history
    per_step = micro_batch_flops()
    assert _flop_logs(history) == [(k, float(k * per_step)) for k in range(1, STEPS + 1)]
    assert all("num_input_tokens_seen" in h for h in history if "flopcount/training_flop" in h)


def test_point2_record_from_cpu_ledger(two_runs, capsys):
    """`flopcount record --ledger L.db -o DIR/rec` on a CPU Trainer run's ledger: exit 0,
    the three files written, the hardware method "not available: no peak for cpu" in
    each, and the total = 16 steps × the micro-batch's count."""
    folder, _ = two_runs
    out = folder / "records" / "rec"
    assert main(["record", "--ledger", str(folder / "L.db"), "-o", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    paths = [out.parent / f"rec{ext}" for ext in (".json", ".md", ".html")]
    assert all(p.is_file() for p in paths)
    record = json.loads(paths[0].read_text())
    assert int(record["totals"]["training"]["total"]) == 2 * STEPS * micro_batch_flops()
    assert record["phases"][0]["steps"] == 2 * STEPS  # two runs of 8
    (hardware,) = [m for m in record["methods"] if m["id"] == "hardware"]
    assert hardware["description"].startswith("not available: no peak for cpu")
    for path in paths:
        assert "not available: no peak for cpu" in path.read_text()
    assert main(["record", "--check", str(paths[0]), "--ledger", str(folder / "L.db")]) == 0


def test_point7_status_steps_two_runs(two_runs, capsys):
    """`flopcount status` on a ledger holding two 8-step runs of one model: 16 steps, by run."""
    folder, _ = two_runs
    assert main(["status", str(folder / "L.db")]) == 0
    text = capsys.readouterr().out
    (row,) = [line for line in text.splitlines() if line.strip().startswith("pre-training")]
    assert "16 (2 runs: 8 + 8)" in row
    assert main(["status", str(folder / "L.db"), "--json"]) == 0
    phase = json.loads(capsys.readouterr().out)["models"]["tiny"]["phases"]["pre-training"]
    assert phase["steps"] == 16 and sorted(phase["steps_by_run"].values()) == [8, 8]


def test_point2_record_from_ledger_without_peak_at_its_precision(tmp_path, capsys):
    """A V100 (in the table) that ran in bf16, which the table has no V100 peak for: the
    record says so instead of a peak of 0 FLOP/s."""
    from flopcount.ledger import Ledger, Row
    hardware = {"device": "cuda", "name": "Tesla V100-SXM2-32GB", "precision": "bf16"}
    with Ledger(tmp_path / "L.db") as led:
        for i in range(2):
            led.append(Row(run="r", model="m", phase="pre-training", phase_kind="pre-training", row_kind="train",
                           step_start=i, step_end=i + 1, flops_measured=10**15, tokens=32, wall_seconds=1.0,
                           accelerator_seconds=1.0, accelerator="v100", extra={"hardware": hardware}))
    assert main(["record", "--ledger", str(tmp_path / "L.db"), "-o", str(tmp_path / "rec")]) == 0
    record = json.loads((tmp_path / "rec.json").read_text())
    (row,) = record["hardware"]
    assert "peak_flops" not in row and row["precision"] == "bf16"
    text = "not available: no peak for v100 (NVIDIA V100 SXM2) at bf16"
    md = (tmp_path / "rec.md").read_text()
    assert text in md and "| 0 T |" not in md


def test_point7_html_without_matplotlib_says_why(tmp_path, monkeypatch, capsys):
    """matplotlib not installed (unimportable, as in the light install): `record --ledger`
    writes the HTML without charts and says why, where the charts would be."""
    from flopcount.ledger import Ledger, Row
    with Ledger(tmp_path / "L.db") as led:
        led.append(Row(run="r", model="m", phase="pre-training", phase_kind="pre-training", row_kind="train",
                       step_start=0, step_end=1, flops_measured=10**15, tokens=32))
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "flopcount.records.plot", raising=False)
    assert main(["record", "--ledger", str(tmp_path / "L.db"), "-o", str(tmp_path / "rec")]) == 0
    html = (tmp_path / "rec.html").read_text()
    assert "<img" not in html
    assert "Charts not drawn: matplotlib is not installed (pip install &#x27;flopcount[plot]&#x27;)" in html


def test_point7_import_relative_checkpoint_path(two_runs, tmp_path, monkeypatch, capsys):
    """`flopcount import a/` names the checkpoint's config.json relative to where the plan is
    read from: with `-o plans/plan.yaml` relative to that file (`../a/checkpoint-8/...`),
    printed relative to the current directory; no absolute path of this machine in either.
    Both plans are recorded from another directory: same total as the ledger's first run."""
    folder, _ = two_runs
    monkeypatch.chdir(folder)
    assert main(["import", "a", "--seq-len", str(SEQ), "-o", "plans/plan.yaml"]) == 0
    written = (folder / "plans" / "plan.yaml").read_text()
    assert "config: ../a/checkpoint-8/config.json" in written and str(folder) not in written
    capsys.readouterr()
    assert main(["import", "a", "--seq-len", str(SEQ)]) == 0
    printed = capsys.readouterr().out
    assert "config: a/checkpoint-8/config.json" in printed and str(folder) not in printed
    (folder / "printed.yaml").write_text(printed)
    monkeypatch.chdir(tmp_path)
    for plan in (folder / "plans" / "plan.yaml", folder / "printed.yaml"):
        assert main(["record", "--plan", str(plan), "-o", str(tmp_path / plan.stem)]) == 0
        record = json.loads((tmp_path / f"{plan.stem}.json").read_text())
        assert int(record["totals"]["training"]["total"]) == STEPS * micro_batch_flops()
