"""The training-loop monitor: real tiny training runs, warnings at the right step,
durable ledger (kill -9, resume, concurrent writers), and the cross-rank total."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from flopcount.callbacks.pytorch import StepTracker  # noqa: E402
from flopcount.ledger import Ledger, counted_rows  # noqa: E402
from flopcount.measure import count_step  # noqa: E402
from flopcount.run import ComputeMonitor, ThresholdStop, ThresholdWarning  # noqa: E402

from _workers import tiny_llama  # noqa: E402

WORKERS = Path(__file__).parent / "_workers.py"


def batch(n: int = 2, seq: int = 16, seed: int = 0) -> dict:
    ids = torch.randint(0, 128, (n, seq), generator=torch.Generator().manual_seed(seed))
    return {"input_ids": ids, "labels": ids}


def per_step(model, inputs) -> int:
    """Independent reference: one step measured on its own."""
    count = count_step(model, inputs).total
    model.zero_grad(set_to_none=True)
    return count


def train(model, monitor, steps, inputs, accumulate=1):
    tracker = StepTracker(model, monitor)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        for micro in range(accumulate):
            with tracker.step(inputs, end_step=micro == accumulate - 1):
                model(**inputs).loss.backward()
        opt.step()
        opt.zero_grad()
    return tracker


def test_plain_loop_totals_and_warning_steps(tmp_path):
    """Lines lowered to 2.5 steps' worth: the projection fires at step 0 (crossing at
    step 2 of 6 planned), the crossing fires at step 2 exactly, each only once."""
    model, inputs = tiny_llama(), batch()
    one = per_step(model, inputs)
    monitor = ComputeMonitor("tiny", ledger=tmp_path / "l.db", planned_steps=6, flush_every=4,
                             lines={"eu-gpai": int(2.5 * one), "eu-systemic-risk": 100 * one})
    with pytest.warns(ThresholdWarning):
        tracker = train(model, monitor, 6, inputs)
    monitor.close()
    assert monitor.training == monitor.cumulative == 6 * one
    assert tracker.meter.cache.misses == 1 and tracker.meter.cache.hits == 5
    kinds = [(e.kind, e.threshold, e.step) for e in monitor.events]
    assert kinds == [("projected", "eu-gpai", 2), ("crossed", "eu-gpai", 2)]
    assert monitor.events[0].notify_by is None  # eu-gpai has no notification clock
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.verify().ok
        assert sum(r.flops for r in ledger.rows()) == 6 * one
        assert [(r.step_start, r.step_end) for r in ledger.rows()] == [(0, 4), (4, 6)]


@pytest.mark.parametrize("now, notify_by", [
    # 2026-03-01 12:00 UTC: two weeks from today (Art. 52(1))
    (1_772_366_400.0, "2026-03-15"),
    # 2023-11-14: known before Chapter V applied (2 Aug 2025), so counted from then (Art. 113(b)),
    # as the verdicts date it (law.lines.notify_by; the monitor said 2023-11-28 before issue 25)
    (1_700_000_000.0, "2025-08-16"),
])
def test_projection_before_the_first_step_with_deadline(now, notify_by):
    """With an expected per-step count the projection fires in start(), before any work,
    and carries Art. 52(1)'s two-week deadline from the day it became known."""
    import datetime as dt
    fired = []
    monitor = ComputeMonitor("planned", planned_steps=1000, expected_flops_per_step=10**23,
                             handlers=[fired.append], clock=lambda: now)
    with pytest.warns(ThresholdWarning, match="notify by"):
        monitor.start()
    event = fired[0]
    assert (event.kind, event.threshold, event.step) == ("projected", "eu-gpai", 1)
    assert any(e.threshold == "eu-systemic-risk" and e.step == 100 for e in fired)
    sr = next(e for e in fired if e.threshold == "eu-systemic-risk")
    assert sr.notify_by == dt.date.fromisoformat(notify_by)


def test_gradient_accumulation_eval_and_frozen():
    model, inputs = tiny_llama(), batch()
    one = per_step(model, inputs)
    monitor = ComputeMonitor("acc", flush_seconds=None)
    tracker = train(model, monitor, 3, inputs, accumulate=2)
    assert monitor.step_index == 3 and monitor.training == 3 * 2 * one
    model.eval()
    with torch.no_grad(), tracker.step({"input_ids": inputs["input_ids"]}):
        model(input_ids=inputs["input_ids"])
    assert monitor.training == 6 * one and monitor.current.eval > 0  # evaluation: in neither quantity
    model.train()
    for p in model.model.parameters():  # freeze everything but the head
        p.requires_grad_(False)
    frozen = per_step(model, inputs)
    assert frozen < one
    train(model, monitor, 1, inputs)
    assert monitor.training == 6 * one + frozen


def test_analytic_mode_matches_measured(tmp_path):
    """per_token from the analytic formula instead of measuring: same total for this
    model (the formula equals the measured count), rows marked analytic in the ledger."""
    from flopcount.model.configs import spec_from_mapping
    from flopcount.model.formulas import training_flops
    model, inputs = tiny_llama(), batch()
    c = model.config
    spec = spec_from_mapping({"model_type": "llama", "hidden_size": c.hidden_size, "vocab_size": c.vocab_size,
                              "intermediate_size": c.intermediate_size, "num_hidden_layers": c.num_hidden_layers,
                              "num_attention_heads": c.num_attention_heads,
                              "num_key_value_heads": c.num_key_value_heads})
    monitor = ComputeMonitor("analytic", ledger=tmp_path / "a.db", flush_seconds=None)
    tracker = StepTracker(model, monitor, per_token=training_flops(spec, 16).total / 16)
    for _ in range(2):
        with tracker.step(inputs):
            model(**inputs).loss.backward()
    monitor.close()
    assert monitor.training == 2 * per_step(model, inputs)
    with Ledger(tmp_path / "a.db") as ledger:
        assert [r.flops_analytic for r in ledger.rows()] == [monitor.training]


def test_synthetic_data_counts_only_in_cumulative():
    monitor = ComputeMonitor("gen", phase="synthetic data", phase_kind="synthetic-data")
    monitor.step(1000)
    assert (monitor.training, monitor.cumulative) == (0, 1000)


def test_stop_before_crossing():
    """stop_on: the step that would cross is never run."""
    monitor = ComputeMonitor("capped", lines={"eu-gpai": 3500}, stop_on=("eu-gpai",), flush_seconds=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        with pytest.raises(ThresholdStop, match="stopping before step 3"):
            for _ in range(10):
                monitor.step(1000)
    assert monitor.training == 3000 and monitor.should_stop


def test_modification_rule_with_unknown_base():
    """Fine-tuning a model of unknown compute without systemic risk: line 1e23 / 3."""
    monitor = ComputeMonitor("ft", phase="fine-tuning", base_training_compute=None, is_modification=True)
    lines = {t.id: line for t, line, _ in monitor.thresholds()}
    assert lines["eu-modification"] == 33_333_333_333_333_333_333_333
    with pytest.warns(ThresholdWarning, match="eu-modification"):
        monitor.step(4 * 10**22)


def test_ledger_tamper_detection(tmp_path):
    path = tmp_path / "l.db"
    monitor = ComputeMonitor("m", ledger=path, flush_every=1, flush_seconds=None)
    for _ in range(3):
        monitor.step(10**25 + 7)  # beyond int64: stored exactly
    monitor.close()
    with Ledger(path) as ledger:
        assert [r.flops for r in ledger.rows()] == [10**25 + 7] * 3
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            ledger.db.execute("UPDATE rows SET flops_measured = '1' WHERE seq = 2")
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER rows_no_update")
    db.execute("UPDATE rows SET flops_measured = '1' WHERE seq = 2")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        check = ledger.verify()
        assert not check.ok and "row 2: contents do not match" in check.problems[0]
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER rows_no_delete")
    db.execute("DELETE FROM rows WHERE seq = 1")
    db.commit()
    db.close()
    from flopcount.cli import main
    assert main(["verify", str(path)]) == 1


def test_resume_without_double_counting(ledger_location):
    """Checkpoint at step 6, run on to step 9 (flushed), crash, resume from step 6 and
    finish 10 steps: counted total = 10 steps; the 3 lost steps are marked, not counted.
    On both backends."""
    path = ledger_location
    first = ComputeMonitor("r", ledger=path, flush_every=4, flush_seconds=None, handle_signals=False)
    for _ in range(6):
        first.step(100, tokens=1)
    state = json.loads(json.dumps(first.state_dict()))  # as a checkpoint would store it
    for _ in range(3):
        first.step(100, tokens=1)
    first.flush()  # then the process dies
    second = ComputeMonitor("r", ledger=path, flush_every=4, flush_seconds=None)
    second.load_state_dict(state)
    for _ in range(4):
        second.step(100, tokens=1)
    second.close()
    assert second.training == 1000 and second.step_index == 10
    assert second.quantities()["training"] == 1000
    later = ComputeMonitor("r", ledger=path, handle_signals=False)  # a new run of the same model starts from the ledger's 1000
    assert later.quantities()["training"] == 1000 and later.training == 0
    with Ledger(path) as ledger:
        rows = list(ledger.rows())
        assert ledger.verify().ok
    assert sum(r.flops for r in counted_rows(rows)) == 1000
    assert [r.row_kind for r in rows].count("resume") == 1
    assert any(r.rerun for r in rows)
    from flopcount.records.status import summarise
    with Ledger(path) as ledger:
        phase = summarise(ledger)["r"]["phases"]["pre-training"]
    assert phase["training"] == 1000 and phase["lost"] == 300


def test_concurrent_appenders(tmp_path):
    path = str(tmp_path / "shared.db")
    Ledger(path).close()
    procs = [subprocess.Popen([sys.executable, str(WORKERS), "append", path, f"run{i}", "40"]) for i in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with Ledger(path) as ledger:
        check = ledger.verify()
        rows = list(ledger.rows())
    assert check.ok and check.rows == 120
    assert sum(r.flops for r in rows) == 120 * 10**24 + 3 * sum(range(40))


def test_kill_minus_nine_keeps_every_flushed_row(tmp_path):
    path = str(tmp_path / "killed.db")
    child = subprocess.Popen([sys.executable, str(WORKERS), "kill", path], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    reported = []
    for line in child.stdout:
        reported.append(int(line.split()[2]))
        if len(reported) == 5:
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with Ledger(path) as ledger:
        check = ledger.verify()
        rows = list(ledger.rows())
    assert check.ok and len(rows) >= 5
    total = 0
    for row in rows[:5]:
        total += row.flops
    assert total == reported[4]  # every flushed step is there, with its exact count


def test_two_process_gloo_total(tmp_path):
    """Two DDP ranks on gloo: the ledger (rank 0) holds world size × per-rank work."""
    import torch.multiprocessing as mp
    from _workers import ddp_rank
    ledger, out = str(tmp_path / "ddp.db"), str(tmp_path / "out")
    mp.spawn(ddp_rank, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    per_step = results[0]["per_step"]
    assert results[1]["per_step"] == per_step and results[0]["world"] == 2
    assert results[0]["training"] == results[1]["training"] == 2 * 4 * per_step
    with Ledger(ledger) as led:
        rows = list(led.rows())
    assert sum(r.flops for r in rows) == 2 * 4 * per_step and all(r.devices == 2 for r in rows)


def test_rank_zero_only_checkpoint_and_close_do_not_wait(tmp_path):
    """`if rank == 0: torch.save({"monitor": monitor.state_dict()})` and a rank-0 close()
    finish at once (the process group's timeout is 20 s, so a collective would hang
    until then). Ranks with different work sum exactly, beyond 2^124, and the time-based
    write runs under DDP: one ledger row per step."""
    import torch.multiprocessing as mp
    from _workers import rank_zero_only
    ledger, out = str(tmp_path / "r0.db"), str(tmp_path / "out")
    mp.spawn(rank_zero_only, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    expected = sum(1000 * (r + 1) + s for r in range(2) for s in range(3)) + 2 * 2**200 + 1
    assert results[0]["seconds"] < 5
    assert int(results[0]["training"]) == int(results[1]["training"]) == expected
    # another cluster's run written to the ledger mid-run is seen by every rank
    assert int(results[0]["seen"]) == int(results[1]["seen"]) == 5 * 10**24
    assert [int(v) for v in results[0]["state_totals"]][:1] == [expected]
    with Ledger(ledger) as led:
        rows = [r for r in led.rows() if r.run != "other-cluster"]
    assert [(r.step_start, r.step_end) for r in rows] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert sum(r.flops for r in rows) == expected and sum(r.tokens for r in rows) == 3 * (1 + 2)


def test_fsdp2_total_equals_single_process_counts(tmp_path):
    """FSDP2 on 2 gloo ranks, each its own batch (2×16 and 2×24 tokens), 3 steps: every
    rank counts the full model on its local batch (parameters are all-gathered for the
    forward and backward; the gathers and reduce-scatters are communication, not FLOP), so
    the run total is exactly 3 × the sum of the single-process counts of the two batches."""
    import torch.multiprocessing as mp
    from _workers import fsdp_rank
    ledger, out = str(tmp_path / "fsdp.db"), str(tmp_path / "out")
    mp.spawn(fsdp_rank, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    expected = 3 * (results[0]["single"] + results[1]["single"])
    assert results[0]["single"] != results[1]["single"]
    assert results[0]["training"] == results[1]["training"] == expected
    with Ledger(ledger) as led:
        assert sum(r.flops for r in led.rows()) == expected


def test_two_runs_of_one_model_see_each_other(ledger_location):
    """Two clusters training one model lineage into one ledger: each run's checks include
    the other's written compute (re-read at each write), so 10^25 is not crossed unseen.
    Run A writes 6e24; run B alone never passes 1e25 (4 × 1e24), together they do.
    On both backends."""
    path = ledger_location
    a = ComputeMonitor("lineage", run="cluster-a", ledger=path, flush_every=1, flush_seconds=None,
                       handle_signals=False)
    b = ComputeMonitor("lineage", run="cluster-b", ledger=path, flush_every=1, flush_seconds=None,
                       handle_signals=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b.step(10**24)                 # B starts before A has written anything
        a.step(6 * 10**24)
        crossed = []
        for _ in range(4):
            crossed += [e for e in b.step(10**24) if e.kind == "crossed" and e.threshold == "eu-systemic-risk"]
    assert b.training == 5 * 10**24 and b.quantities()["cumulative"] == 11 * 10**24
    assert len(crossed) == 1 and crossed[0].total > 10**25
    a.close()
    b.close()


def test_tensor_parallel_counts_each_op_once_per_group(tmp_path):
    """DTensor tensor parallelism on 2 gloo ranks, one batch for the group, 2 steps: a
    dispatch mode sees every DTensor op with global shapes on each rank (plain counting
    gives 2 × the model); each rank counts its share, so the total is exactly 2 × the
    single-process count of the batch. Attention runs on each rank's local heads."""
    import torch.multiprocessing as mp
    from _workers import tp_rank
    ledger, out = str(tmp_path / "tp.db"), str(tmp_path / "out")
    mp.spawn(tp_rank, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    assert results[0]["training"] == results[1]["training"] == 2 * results[0]["single"]
    with Ledger(ledger) as led:
        assert sum(r.flops for r in led.rows()) == 2 * results[0]["single"]


def test_pipeline_stages_count_their_layers(tmp_path):
    """Two pipeline stages on gloo, GPipe with 2 micro-batches: each stage counts the ops
    of its own layers (stage 1 also the gradient it sends back), and the two sum to the
    single-process count of the whole model on the batch, exactly."""
    import torch.multiprocessing as mp
    from _workers import pp_rank
    ledger, out = str(tmp_path / "pp.db"), str(tmp_path / "out")
    mp.spawn(pp_rank, args=(2, str(tmp_path / "init"), ledger, out), nprocs=2, join=True)
    results = [json.loads(Path(f"{out}.{r}").read_text()) for r in range(2)]
    assert results[0]["training"] == results[1]["training"] == results[0]["single"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_writes_every_finished_step(tmp_path, signum):
    """SIGTERM / Ctrl-C on the README loop (writes due only every 1000 steps): the steps
    that finished before the signal are in the ledger, and the signal still does what it
    did before (SIGTERM terminates; SIGINT raises KeyboardInterrupt)."""
    path = str(tmp_path / "sig.db")
    child = subprocess.Popen([sys.executable, str(WORKERS), "signal", path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    reported = []
    for line in child.stdout:
        reported.append(int(line.split()[2]))
        if len(reported) == 7:
            child.send_signal(signum)
            break
    rest = child.stdout.read()
    child.wait(timeout=60)
    finished = reported + [int(line.split()[2]) for line in rest.splitlines() if line.startswith("step")]
    if signum == signal.SIGTERM:
        assert child.returncode == -signal.SIGTERM
    else:
        assert "KeyboardInterrupt" in child.stderr.read()
    with Ledger(path) as ledger:
        rows = list(ledger.rows())
    assert sum(r.flops for r in rows) == finished[-1] and rows[-1].step_end == len(finished)


def test_collectives_use_the_device_the_backend_takes():
    """NCCL takes CUDA tensors only, gloo CPU ones; a plugin registered for CUDA alone gets
    CUDA. The CPU int64 tensor the monitor used to send is refused by such a backend."""
    import datetime as dt

    import torch
    import torch.distributed as dist

    from flopcount.run import collective_device
    assert collective_device("nccl") == "cuda" and collective_device("gloo") == "cpu"
    assert collective_device("xccl") == "xpu" and collective_device("cpu:gloo,cuda:nccl") == "cpu"

    def cuda_only(store, rank, size, timeout):
        return dist.ProcessGroupGloo(store, rank, size, timeout)

    if "cudaonly" not in dist.Backend.backend_capability:
        dist.Backend.register_backend("cudaonly", cuda_only, devices=["cuda"])
    dist.init_process_group("cudaonly", store=dist.HashStore(), rank=0, world_size=1,
                            timeout=dt.timedelta(seconds=10))
    try:
        assert collective_device(dist.get_backend()) == "cuda"
        with pytest.raises(RuntimeError):
            dist.all_reduce(torch.tensor([1], dtype=torch.int64))
    finally:
        dist.destroy_process_group()


def test_status_cli(tmp_path, capsys):
    from flopcount.cli import main
    path = tmp_path / "l.db"
    m = ComputeMonitor("status-model", ledger=path, flush_every=1, flush_seconds=None)
    m.step(2 * 10**23)
    m.close()
    assert main(["status", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    model = out["models"]["status-model"]
    assert out["verified"] and model["training"] == str(2 * 10**23)  # FLOP: decimal strings
    assert {t["id"]: t["status"] for t in model["thresholds"]}["eu-gpai"] == "crossed"
    assert main(["status", str(tmp_path / "missing.db")]) == 2
    (tmp_path / "junk.db").write_text("not sqlite at all " * 100)
    assert main(["status", str(tmp_path / "junk.db")]) == 2
    assert "not a readable flopcount ledger" in capsys.readouterr().err


def test_monitor_is_plain_data_until_started(tmp_path):
    """Frameworks create the process group after their callbacks (and ddp_spawn pickles
    them): nothing is opened or bound before start(), and only rank 0 opens the ledger."""
    import pickle
    monitor = ComputeMonitor("p", ledger=tmp_path / "p.db", flush_seconds=None)
    assert not (tmp_path / "p.db").exists()
    clone = pickle.loads(pickle.dumps(monitor))
    clone.step(10)
    clone.close()
    with Ledger(tmp_path / "p.db") as ledger:
        assert [r.flops for r in ledger.rows()] == [10]


def test_threshold_warning_points_at_the_users_line_once(caplog):
    """The warning names the caller's file and line (not flopcount's), and the log record
    is INFO, so with no logging configured it is not printed a second time."""
    import logging
    monitor = ComputeMonitor("w", lines={"eu-gpai": 10}, handle_signals=False)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO, logger="flopcount"):
        warnings.simplefilter("always")
        monitor.step(100)  # crosses: one warning, attributed here
    (warning,) = [w for w in caught if issubclass(w.category, ThresholdWarning)]
    assert warning.filename == __file__
    assert [r.levelno for r in caplog.records if "crossed" in r.getMessage()] == [logging.INFO]
