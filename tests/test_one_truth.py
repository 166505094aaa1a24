"""Issue 25's bugs where one decision was made in several places (the monitor's part)."""
from __future__ import annotations

import json
from pathlib import Path

from flopcount.ledger import Ledger
from flopcount.run import ComputeMonitor
from flopcount.records.status import summarise


def test_issue25_distillation_teacher_flop_in_ledger_and_status(tmp_path, capsys):
    """A teacher trained for distillation counts in neither total (Guidelines Annex A.1,
    data/phases.py) but its work is recorded: 3 steps × 10^6 FLOP = 3·10^6 in the ledger row
    (was 0) and in `status` as "ran", in neither total; the model's totals stay 0."""
    from flopcount.cli import main
    path = tmp_path / "l.db"
    with ComputeMonitor("student", phase="distillation-teacher", ledger=path, flush_seconds=None,
                        handle_signals=False) as monitor:
        for _ in range(3):
            monitor.step(10**6, tokens=5)
    assert monitor.training == monitor.cumulative == 0
    with Ledger(path) as ledger:
        assert [r.flops for r in ledger.rows()] == [3 * 10**6]
        summary = summarise(ledger)["student"]
    assert summary["phases"]["distillation-teacher"]["ran"] == 3 * 10**6
    assert summary["training"] == summary["cumulative"] == 0
    main(["status", str(path)])
    out = capsys.readouterr().out
    assert "3.0×10^6 FLOP ran, counted in neither total" in out
    main(["status", str(path), "--json"])
    assert json.loads(capsys.readouterr().out)["models"]["student"]["phases"]["distillation-teacher"]["ran"] == \
        str(3 * 10**6)


def test_monitor_state_saved_before_work_was_kept_resumes(tmp_path):
    """A state_dict written with six totals (before `work`) resumes: the rows' FLOP were the
    training total for a training kind, so that is what the run's work resumes from."""
    monitor = ComputeMonitor("old", flush_seconds=None, handle_signals=False)
    monitor.load_state_dict({"version": 1, "run": "r", "step": 2, "totals": [10, 10, 0, 0, 4, 0], "fired": []})
    monitor.step(5, tokens=2)
    assert monitor.training == 15 and monitor.flushed.work + monitor.pending.work == 15


def test_issue25_record_plan_config_json_as_estimate(tmp_path, capsys):
    """`flopcount record --plan config.json` failed with "model_type: unknown field" while
    `flopcount estimate config.json` worked: both now read the path through the same
    resolver, and the record's training compute is estimate's, to the FLOP (Llama 3.1 8B,
    1T tokens, the default 2048-token sequences)."""
    from flopcount.cli import main
    config = str(Path(__file__).resolve().parent.parent / "examples" / "configs" / "llama-3.1-8b.json")
    assert main(["estimate", config, "--tokens", "1T", "--json"]) == 0
    estimated = json.loads(capsys.readouterr().out)["compute"]["training"]["total"]
    assert main(["record", "--plan", config, "--tokens", "1T", "-o", str(tmp_path / "rec")]) == 0
    record = json.loads((tmp_path / "rec.json").read_text())
    assert record["totals"]["training"]["total"] == estimated
