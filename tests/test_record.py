"""Annex XI compute records: schema, arithmetic, provenance, tampering, rendering."""
from __future__ import annotations

import copy
import json
import shutil
import sqlite3
import subprocess
import warnings

import pytest

from flopcount.boundary.errors import InputError
from flopcount.inputs.plan import load_plan
from flopcount.records.record import build, check, load, validate, write
from flopcount.records.report import ANNEX_MAP

from conftest import ROOT

PLANS = sorted((ROOT / "examples" / "plans").glob("*.yaml"))


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_record_from_plan_validates_and_checks(plan):
    record = build(plan=load_plan(plan), provider="Test provider")
    validate(record, "record")
    assert check(record, "record") == []
    for _, fields in ANNEX_MAP:  # every Annex XI / MDF item the report claims is in the record
        for name in fields.split(", "):
            node = record
            for part in name.split("."):
                assert part in node, name
                node = node[part]
    plan_hardware = any(p.hardware for p in load_plan(plan).phases)
    assert bool(record["hardware"]) == plan_hardware  # listed when known, never invented
    assert record["totals"]["training"]["notified_form"] and record["model"]["parameters"]["notified_form"]


def test_exact_flop_beyond_2_53():
    record = build(plan=load_plan(ROOT / "examples/plans/llama-3.1-405b.yaml"))
    full = record["phases"][0]["estimates"]["full"]["total"]
    assert full == "39373906614681600000000000"  # a string: every digit kept
    assert int(record["totals"]["training"]["total"]) == int(full)
    sr = next(t for t in record["thresholds"] if t["id"] == "eu-systemic-risk")
    assert sr["status"] == "crossed" and sr["notify_by"]


def test_modification_record():
    record = build(plan=load_plan(ROOT / "examples/plans/finetune-llama-3.1-8b.yaml"))
    rule = record["lineage"]["modification_rule"]
    assert rule["line"] == str(240 * 10**21) and rule["becomes_provider"] is False
    assert int(record["totals"]["lineage_cumulative"]["total"]) == \
        int(record["totals"]["cumulative"]["total"]) + 72 * 10**22
    assert record["energy"]["method"] == "estimated" and record["energy"]["kwh"]["low"] < record["energy"]["kwh"]["high"]


@pytest.fixture()
def trained_ledger(tmp_path):
    """A ledger from a real tiny CPU training run, with a (fake) energy counter."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from _workers import tiny_llama

    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.run import ComputeMonitor

    joules = iter(range(0, 10**6, 500))  # 500 J per read
    model = tiny_llama()
    path = tmp_path / "ledger.db"
    monitor = ComputeMonitor("tiny-llama", ledger=path, flush_every=3, flush_seconds=None, accelerator="h100",
                             energy=lambda: float(next(joules)), lines={"eu-gpai": 10**9})
    tracker = StepTracker(model, monitor)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    ids = torch.randint(0, 128, (2, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(9):
            with tracker.step({"input_ids": ids, "labels": ids}):
                model(input_ids=ids, labels=ids).loss.backward()
            opt.step()
            opt.zero_grad()
    monitor.close()
    return path, monitor


def test_record_from_training_ledger(trained_ledger, tmp_path):
    path, monitor = trained_ledger
    record = build(ledger_path=path, provider="Test provider")
    assert record["model"]["name"] == "tiny-llama"
    phase = record["phases"][0]
    assert phase["primary"] == "measured" and int(phase["estimates"]["measured"]["total"]) == monitor.training
    assert record["ledger"]["verified"] and record["ledger"]["rows"] == 3
    assert record["energy"]["method"] == "measured"
    assert record["energy"]["kwh"]["total"] == pytest.approx(3 * 500 / 3.6e6)  # 3 flushes × 500 J
    gpai = next(t for t in record["thresholds"] if t["id"] == "eu-gpai")
    assert gpai["status"] == "crossed" or int(gpai["compared"]) <= 10**23
    assert check(record, "record", path) == []
    write(record, tmp_path / "out" / "tiny")
    assert check(load(tmp_path / "out" / "tiny.json"), "tiny.json") == []


def test_tampering_is_detected(trained_ledger, tmp_path, capsys):
    from flopcount.cli import main
    path, _ = trained_ledger
    record = build(ledger_path=path)
    edited = copy.deepcopy(record)
    edited["totals"]["training"]["total"] = str(int(edited["totals"]["training"]["total"]) + 1)
    assert any(p.startswith("totals.training.total") for p in check(edited, "r"))
    edited = copy.deepcopy(record)
    edited["thresholds"][0]["status"] = "below" if edited["thresholds"][0]["status"] != "below" else "crossed"
    assert any(p.startswith("thresholds[0].status") for p in check(edited, "r"))
    edited = copy.deepcopy(record)
    del edited["energy"]
    with pytest.raises(InputError, match="required property"):
        check(edited, "r")
    edited = copy.deepcopy(record)
    edited["phases"][0]["estimates"]["measured"]["total"] = "1.5e20"
    with pytest.raises(InputError, match=r"phases\.0\.estimates\.measured\.total"):
        validate(edited, "r")
    # the ledger behind the record is edited after the fact
    copy_path = tmp_path / "copy.db"
    shutil.copy(path, copy_path)
    db = sqlite3.connect(copy_path)
    db.execute("DROP TRIGGER rows_no_update")
    db.execute("UPDATE rows SET tokens = '1' WHERE seq = 1")
    db.commit()
    db.close()
    problems = check(record, "r", copy_path)
    assert any("contents do not match its hash" in p for p in problems)
    with pytest.raises(InputError, match="failed verification"):
        build(ledger_path=copy_path)
    (tmp_path / "r.json").write_text(json.dumps(record))
    assert main(["record", "--check", str(tmp_path / "r.json"), "--ledger", str(copy_path)]) == 1
    assert main(["record", "--check", str(tmp_path / "r.json"), "--ledger", str(path)]) == 0
    (tmp_path / "bad.json").write_text('{"record_version": 2}')
    assert main(["record", "--check", str(tmp_path / "bad.json")]) == 2
    assert "does not match the compute-record schema" in capsys.readouterr().err


def test_record_cli_writes_three_files(tmp_path, capsys):
    from flopcount.cli import main
    assert main(["record", "--plan", str(PLANS[0]), "-o", str(tmp_path / "rec.v1")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.v1.html", "rec.v1.json", "rec.v1.md"]
    assert main(["record", "-o", str(tmp_path / "x")]) == 2


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (.ci/run installs it)")
def test_html_renders_in_headless_chromium(trained_ledger, tmp_path):
    """The self-contained page loads in a real browser: its tables are there and both
    embedded charts (methods, run) decode to images."""
    path, _ = trained_ledger
    html_path = write(build(ledger_path=path), tmp_path / "report")[2]
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", html_path.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'data-images-loaded="2"' in dom
    # 9 tables, and one obligations table per regime (EU, SB 53, RAISE)
    assert dom.count("<table") == 9 + 3 and "Compute record: tiny-llama" in dom
    assert "Obligations — EU AI Act" in dom and "<td class=\'\'>art53_1a</td>" in dom.replace('"', "'")
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1600", html_path.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_check_catches_verdicts_the_rules_forbid():
    """record --check re-derives the verdict rules: a modifier below one third cannot be
    told it crossed an EU line, and systemic risk without GPAI is a contradiction."""
    from flopcount.records import record
    data = json.loads((ROOT / "examples" / "records" / "finetune-llama-3.1-8b.json").read_text())
    assert record.check(data, "r.json") == []
    bad = json.loads(json.dumps(data))
    row = next(t for t in bad["thresholds"] if t["id"] == "eu-systemic-risk")
    row["status"] = "crossed"
    assert any("not the provider" in p for p in record.check(bad, "r.json"))
    data = json.loads((ROOT / "examples" / "records" / "llama-3.1-405b.json").read_text())
    next(t for t in data["thresholds"] if t["id"] == "eu-gpai")["status"] = "below"
    assert any("GPAI row" in p for p in record.check(data, "r.json"))


def test_absurd_flop_string_is_refused_in_one_short_line(tmp_path, capsys):
    """A 5000-digit FLOP value (int() refuses over 4300 digits: a traceback before) is a
    schema error naming the field, in a line of bounded length."""
    from flopcount.cli import main
    data = json.loads((ROOT / "examples" / "records" / "gpt3-175b.json").read_text())
    data["totals"]["training"]["total"] = "9" * 5000
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert main(["record", "--check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "totals.training.total" in err and "is too long" in err and len(err) < 400


def test_a_plan_with_a_bare_parameter_count_records_it(tmp_path):
    """`model: {params: 400B}`: the record states the count given (it said "—"), its source
    named, and `record --check` re-derives it."""
    import subprocess
    import sys
    plan = tmp_path / "p.yaml"
    plan.write_text("flopcount_plan: 1\nname: p\nmodel: {params: 400B}\nphases:\n"
                    "  - {name: pre, kind: pre-training, tokens: 1T}\n")
    out = subprocess.run([sys.executable, "-m", "flopcount", "record", "--plan", str(plan), "--provider", "X",
                          "-o", str(tmp_path / "r")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    params = json.loads((tmp_path / "r.json").read_text())["model"]["parameters"]
    assert (params["total"], params["source"]) == (400 * 10**9, "given in the plan (model.params)")
    check = subprocess.run([sys.executable, "-m", "flopcount", "record", "--check", str(tmp_path / "r.json")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
