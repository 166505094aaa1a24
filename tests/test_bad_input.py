"""Malformed input across every subcommand: exit 2, one line, no traceback, under 2 s.

Cases are generated from small tables (bad numbers × the flags that read them, bad
ledgers × the commands that read them, bad keys, witnesses, records, plans, configs), so
each table row is one test. Time is measured per call, in-process, after the imports a
command needs (the first `measure` imports torch: that is not a property of the input).
"""
from __future__ import annotations

import io
import json
import sqlite3
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from conftest import ROOT
from flopcount.cli import main
from flopcount.ledger import Ledger, Row

CONFIG = str(ROOT / "examples" / "configs" / "llama-3.1-8b.json")
PLAN = str(ROOT / "examples" / "plans" / "gpt3-175b.yaml")

#: Values no count may be read as: each with the reason a reader could guess wrongly.
BAD_NUMBERS = {
    "empty": "", "word": "abc", "negative": "-1", "negative-suffix": "-7B", "hex": "0x10",
    "decimal-comma": "1,5T", "huge-exponent": "1e10000000", "beyond-double": "1e309", "nan": "nan",
    "inf": "inf", "minus-inf": "-inf", "two-points": "1.5.5", "cut-exponent": "1e", "unknown-suffix": "2X",
    "octal": "0100", "base-60": "1:30", "fraction": "1/0", "two-suffixes": "7 B B", "arabic-digits": "١٢",
    "at-the-limit": "1e40", "70-digits": "9" * 70,
}
NUMBER_FLAGS = {
    "estimate-params": ["estimate", "--params", "{v}", "--tokens", "1T"],
    "estimate-tokens": ["estimate", "--params", "7B", "--tokens", "{v}"],
    "estimate-gpu-hours": ["estimate", "--params", "7B", "--tokens", "1T", "--accelerator", "h100",
                           "--gpu-hours", "{v}"],
    "measure-batch": ["measure", CONFIG, "--batch", "{v}"],
    "measure-seq-len": ["measure", CONFIG, "--seq-len", "{v}"],
    "plot-planned-steps": ["plot", "run", "{d}/good.db", "--planned-steps", "{v}", "-o", "{d}/x.png"],
}

#: Ledger files that are not (readable) flopcount ledgers, made by `_bad_ledgers`.
#: Files that are not flopcount ledgers: bad input (2) for every command.
NOT_LEDGERS = ("missing.db", "folder.db", "blank.db", "junk.db", "foreign.db", "version9.db")
#: Ledgers with a corrupt row: bad input for commands that need the figures; for the
#: checking commands (verify, record --check) a failed check, exit 1 (test below).
CORRUPT_ROWS = ("flops-text.db", "extra-type.db", "extra-not-json.db", "extra-negative.db", "step-text.db")
LEDGER_COMMANDS = {
    "status": ["status", "{l}"],
    "checkpoint": ["checkpoint", "{l}"],
    "record": ["record", "--ledger", "{l}", "-o", "{d}/rec"],
    "plot-run": ["plot", "run", "{l}", "-o", "{d}/x.png"],
}
CHECKS = {"verify": ["verify", "{l}"], "record-check": ["record", "--check", "{d}/good-record.json", "--ledger", "{l}"]}

OTHER = {
    # witnessed heads
    "expect-short-hash": ["verify", "{d}/good.db", "--expect", "3:abc"],
    "expect-negative-rows": ["verify", "{d}/good.db", "--expect", "-1:" + "a" * 64],
    "expect-upper-hex": ["verify", "{d}/good.db", "--expect", "A" * 64],
    "expect-word": ["verify", "{d}/good.db", "--expect", "yesterday"],
    "expect-not-json": ["verify", "{d}/good.db", "--expect", "{d}/junk.db"],
    "expect-not-checkpoint": ["verify", "{d}/good.db", "--expect", "{d}/good-record.json"],
    "expect-rows-text": ["verify", "{d}/good.db", "--expect", "{d}/cp-rows-text.json"],
    "expect-bad-head": ["verify", "{d}/good.db", "--expect", "{d}/cp-bad-head.json"],
    "expect-signature-number": ["verify", "{d}/good.db", "--expect", "{d}/cp-sig-number.json"],
    # keys
    "key-missing": ["verify", "{d}/good.db", "--key", "{d}/no-such.key"],
    "key-short-secret": ["verify", "{d}/good.db", "--key", "{d}/short.key"],
    "key-folder": ["verify", "{d}/good.db", "--key", "{d}"],
    "key-bad-pem": ["verify", "{d}/good.db", "--key", "{d}/bad.pem"],
    "key-rsa": ["verify", "{d}/good.db", "--key", "{d}/rsa.pem"],
    "key-for-status": ["status", "{d}/good.db", "--key", "{d}/short.key"],
    "key-for-checkpoint": ["checkpoint", "{d}/good.db", "--key", "{d}/bad.pem"],
    "key-for-record-check": ["record", "--check", "{d}/good-record.json", "--key", "{d}/short.key"],
    "key-for-record": ["record", "--ledger", "{d}/good.db", "--key", "{d}/short.key", "-o", "{d}/rec"],
    "keygen-exists": ["keygen", "{d}/short.key"],
    "keygen-unwritable": ["keygen", "/proc/no-such-dir/k"],
    "checkpoint-exists": ["checkpoint", "{d}/good.db", "-o", "{d}/short.key"],
    "checkpoint-unwritable": ["checkpoint", "{d}/good.db", "-o", "/proc/no-such-dir/cp.json"],
    "signed-ledger-wrong-key": ["verify", "{d}/good.db", "--key", "{d}/rsa.pem"],
    # records
    "record-not-json": ["record", "--check", "{d}/junk.db"],
    "record-list": ["record", "--check", "{d}/list.json"],
    "record-version": ["record", "--check", "{d}/version.json"],
    "record-5000-digits": ["record", "--check", "{d}/digits.json"],
    "record-missing": ["record", "--check", "{d}/none.json"],
    "record-duplicate-key": ["record", "--check", "{d}/dup.json"],
    "record-no-output": ["record", "--ledger", "{d}/good.db"],
    "record-nothing": ["record", "-o", "{d}/rec"],
    # plans and configs
    "plan-tab": ["estimate", "{d}/tab.yaml"],
    "plan-anchor-bomb": ["estimate", "{d}/bomb.yaml"],
    "plan-python-tag": ["estimate", "{d}/tag.yaml"],
    "plan-empty": ["estimate", "{d}/empty.yaml"],
    "plan-scalar": ["estimate", "{d}/scalar.yaml"],
    "config-list": ["estimate", "{d}/list.json", "--tokens", "1T"],
    "config-binary": ["estimate", "{d}/binary.json", "--tokens", "1T"],
    "measure-no-target": ["measure", "{d}/none.json"],
    "measure-bad-factory": ["measure", "no_such_module_x:build"],
    "plot-unknown-kind": ["plot", "pie", "-o", "{d}/x.png"],
    "plot-bad-suffix": ["plot", "hardware", "-o", "{d}/x.gif"],
    "bare-flag": ["estimate", "--no-such-flag"],
}

CASES = {f"{flag}-{name}": [a.replace("{v}", value) for a in argv]
         for flag, argv in NUMBER_FLAGS.items() for name, value in BAD_NUMBERS.items()}
CASES |= {f"{cmd}-{ledger}": [a.replace("{l}", "{d}/" + ledger) for a in argv]
          for cmd, argv in LEDGER_COMMANDS.items() for ledger in NOT_LEDGERS + CORRUPT_ROWS}
CASES |= {f"verify-{ledger}": ["verify", "{d}/" + ledger] for ledger in NOT_LEDGERS}
CASES |= OTHER


def _row(**kw) -> Row:
    return Row(run="r", model="m", phase="pre-training", phase_kind="pre-training", row_kind="train",
               step_start=0, step_end=1, flops_measured=10**24, tokens=5, **kw)


def _ledger_with(path: Path, sql: str) -> None:
    with Ledger(path) as led:
        led.append(_row())
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER rows_no_update")
    db.execute(sql)
    db.commit()
    db.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    with Ledger(d / "good.db") as led:
        led.append(_row())
    from flopcount.records import record
    (d / "good-record.json").write_text(json.dumps(record.build(ledger_path=d / "good.db")))
    (d / "folder.db").mkdir()
    (d / "blank.db").write_bytes(b"")
    (d / "junk.db").write_text("not sqlite at all " * 100)
    db = sqlite3.connect(d / "foreign.db")
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    _ledger_with(d / "version9.db", "UPDATE meta SET value='9' WHERE key='schema_version'")
    _ledger_with(d / "flops-text.db", "UPDATE rows SET flops_measured='lots'")
    _ledger_with(d / "extra-type.db", """UPDATE rows SET extra='{"base_training_compute": "abc"}'""")
    _ledger_with(d / "extra-not-json.db", "UPDATE rows SET extra='{nope'")
    _ledger_with(d / "extra-negative.db", """UPDATE rows SET extra='{"energy_joules": -5}'""")
    _ledger_with(d / "step-text.db", "UPDATE rows SET step_end='ten'")
    (d / "cp-rows-text.json").write_text(json.dumps({"format": "flopcount-checkpoint/1", "rows": "3",
                                                     "head": "a" * 64}))
    (d / "cp-bad-head.json").write_text(json.dumps({"format": "flopcount-checkpoint/1", "rows": 3, "head": "xyz"}))
    (d / "cp-sig-number.json").write_text(json.dumps({"format": "flopcount-checkpoint/1", "rows": 1,
                                                      "head": "a" * 64, "signature": 5}))
    (d / "short.key").write_text("tiny")
    (d / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    (d / "rsa.pem").write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (d / "list.json").write_text("[1, 2]")
    (d / "version.json").write_text('{"record_version": 2}')
    good = json.loads((d / "good-record.json").read_text())
    good["phases"][0]["estimates"]["measured"]["total"] = "9" * 5000
    (d / "digits.json").write_text(json.dumps(good))
    (d / "dup.json").write_text('{"record_version": 1, "record_version": 1}')
    (d / "tab.yaml").write_text("flopcount_plan: 1\n\tmodel: x\n")
    (d / "bomb.yaml").write_text("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n")
    (d / "tag.yaml").write_text("flopcount_plan: !!python/object/apply:os.system ['true']\n")
    (d / "empty.yaml").write_text("")
    (d / "scalar.yaml").write_text("42\n")
    (d / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return d


def test_at_least_150_cases():
    assert len(CASES) >= 150


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input(name, folder, capsys):
    argv = [a.replace("{d}", str(folder)) for a in CASES[name]]
    if argv[0] == "measure":
        pytest.importorskip("torch")
        import torch  # noqa: F401  (the import is not the input's cost)
    err, out = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with redirect_stderr(err), redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    seconds = time.perf_counter() - start
    text = err.getvalue()
    assert code == 2, (argv, code, text, out.getvalue()[-300:])
    assert text.count("\n") == 1 and text.startswith("flopcount"), text
    assert "Traceback" not in text and seconds < 2.0, (text, seconds)


@pytest.mark.parametrize("command", sorted(CHECKS))
@pytest.mark.parametrize("ledger", NOT_LEDGERS[1:] + CORRUPT_ROWS)
def test_checks_fail_on_bad_ledgers(command, ledger, folder, capsys):
    """verify and record --check report a corrupt ledger as a failed check (exit 1 for
    verify's corrupt rows, the problem named), never a traceback."""
    argv = [a.replace("{l}", f"{folder}/{ledger}").replace("{d}", str(folder)) for a in CHECKS[command]]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in out + err
    if command == "verify" and ledger in CORRUPT_ROWS:
        assert code == 1 and "TAMPERED" in out and "corrupt row 1" in out, out
    if command == "record-check":
        assert code == 1 and "ledger:" in out, out
