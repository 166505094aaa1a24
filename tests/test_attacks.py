"""Tamper evidence, attack by attack: what detects each one, and what nothing can.

A ledger of 6 rows signed with an HMAC key, a head witnessed after them, and a compute
record built from it. Each attack changes a copy; then, from weakest to strongest, we ask:
does `verify` alone see it (the chain)? `verify --key`? `verify --key --expect
WITNESS`? `record --check` with the ledger? Is the file refused on opening? The first
mechanism that sees it is the attack's outcome; the docs' tamper-evidence table (docs/explanation/tamper-evidence.md) is
checked against this list. Attacks run on SQLite (file-level attacks need a file); the
chain and signature checks are the same code on PostgreSQL (test_ledger.py).
"""
from __future__ import annotations

import copy
import re
import shutil
import sqlite3
import warnings
from pathlib import Path

import pytest

from _tamper import forge, insert_as_is, raw, rechain
from flopcount.records import record as records
from flopcount.boundary.errors import InputError
from flopcount.ledger import Ledger, Row, counted_rows
from flopcount.ledger import checkpoint as cp
from flopcount.ledger.keys import ROW_DOMAIN, parse_key
from flopcount.run import ComputeMonitor

SECRET = "the provider's ledger key, 32+ bytes long"
OTHER = "someone else's key, also long enough"
ROOT = Path(__file__).resolve().parent.parent

#: attack id -> (what it does, the weakest mechanism that detects it, or why none can).
ATTACKS: dict[str, tuple[str, str]] = {
    "edit-flops": ("change one row's FLOP", "chain"),
    "edit-tokens": ("change one row's tokens", "chain"),
    "edit-date": ("change one row's date", "chain"),
    "edit-base-compute": ("change the base model's compute in a row's extra data", "chain"),
    "delete-middle": ("delete a row inside the chain", "chain"),
    "swap-order": ("swap two rows' positions", "chain"),
    "insert-middle": ("insert a row between two rows", "chain"),
    "replay-row": ("copy a signed row from another ledger of the same key onto the end", "chain"),
    "edit-and-rechain": ("change a row and recompute every hash after it", "key"),
    "delete-and-rechain": ("delete a row and recompute the chain", "key"),
    "forged-append": ("append a row with a valid chain link, without the key", "key"),
    "forged-resume": ("append a resume marker over every step, to erase the compute", "key"),
    "forged-resume-reruns": ("append a resume marker and cheap re-run rows", "key"),
    "strip-signatures": ("remove every row's signature", "key"),
    "other-key": ("replace the ledger by one signed with another key", "key"),
    "forged-checkpoint": ("cut the last row and lower a signed checkpoint to match", "witness+key"),
    "delete-last": ("delete the last row", "witness"),
    "delete-all": ("delete every row", "witness"),
    "older-copy": ("hand over an older copy of the ledger", "witness"),
    "copy-without-wal": ("copy the .db of a running (or crashed) writer without its -wal", "witness"),
    "insider-rewrite": ("holder of the key rewrites rows and re-signs them", "witness"),
    "empty-file": ("replace the ledger by an empty file", "refused"),
    "foreign-database": ("replace the ledger by another application's SQLite file", "refused"),
    "record-halved": ("halve every figure in the record (consistently)", "record"),
    "record-drops-ledger": ("set the record's ledger to null", "record"),
    "record-date": ("change a phase's start date in the record", "record"),
    "false-clock": ("the writer's clock is wrong when rows are written", "undetectable"),
    "under-reporting-writer": ("a modified training script records fewer FLOP than ran", "undetectable"),
}

#: Why the undetectable ones cannot be detected, as the docs' table says.
WHY = {
    "false-clock": "rows carry what the writer says; dates are as good as the writing machine's clock",
    "under-reporting-writer": "the ledger proves what was written, not what ran: compare the hardware method "
                              "(accelerator-hours × peak) in the record",
}


def _row(step: int, flops: int, kind: str = "train") -> Row:
    return Row(run="run-a", model="m", phase="pre-training", phase_kind="pre-training", row_kind=kind,
               step_start=step, step_end=step + 1, flops_measured=flops, tokens=10)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """6 signed rows of 1e24 + i, a witness of them, and the record built from them."""
    folder = tmp_path_factory.mktemp("attacks")
    (folder / "key").write_text(SECRET)
    (folder / "other").write_text(OTHER)
    path = folder / "ledger.db"
    clock = iter(1.75e9 + 86400 * i for i in range(100))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monitor = ComputeMonitor("m", run="run-a", ledger=path, key_file=folder / "key", flush_every=1,
                                 flush_seconds=None, handle_signals=False, clock=lambda: next(clock))
        for i in range(6):
            monitor.step(10**24 + i, tokens=10)
        monitor.close()
    key = parse_key(SECRET.encode(), "key")
    with Ledger(path, create=False, key=key) as led:
        witness = led.checkpoint()
    mp = pytest.MonkeyPatch()
    mp.setenv("FLOPCOUNT_LEDGER_KEY", SECRET)
    record = records.build(ledger_path=path)
    mp.undo()
    return {"folder": folder, "path": path, "key": key, "witness": witness, "record": record}


def _attack(name: str, path: Path, ctx: dict) -> dict:
    """Apply attack `name` to the ledger copy at `path`; returns what else it changed."""
    p = str(path)
    key, other = ctx["key"], parse_key(OTHER.encode(), "other")
    out: dict = {}
    if name == "edit-flops":
        raw(p, "UPDATE {rows} SET flops_measured='1' WHERE seq=3")
    elif name == "edit-tokens":
        raw(p, "UPDATE {rows} SET tokens='1' WHERE seq=3")
    elif name == "edit-date":
        raw(p, "UPDATE {rows} SET created_at=created_at+86400 WHERE seq=3")
    elif name == "edit-base-compute":
        raw(p, "UPDATE {rows} SET extra={p} WHERE seq=3", ('{"base_training_compute": 1}',))
    elif name == "delete-middle":
        raw(p, "DELETE FROM {rows} WHERE seq=3")
    elif name == "swap-order":
        raw(p, "UPDATE {rows} SET seq=100 WHERE seq=2")
        raw(p, "UPDATE {rows} SET seq=2 WHERE seq=3")
        raw(p, "UPDATE {rows} SET seq=3 WHERE seq=100")
    elif name == "insert-middle":
        raw(p, "UPDATE {rows} SET seq=seq+100 WHERE seq>=4")
        raw(p, "DELETE FROM sqlite_sequence")
        forge(p, _row(3, 5))  # linked to the head, then moved between rows 3 and 104
        raw(p, "UPDATE {rows} SET seq=4 WHERE seq=(SELECT max(seq) FROM {rows})")
    elif name == "replay-row":
        twin = path.with_name("twin.db")
        with Ledger(twin, key=key) as led:
            led.append(_row(0, 10**24))
            signed = led.append(_row(1, 10**24))  # valid, signed by the provider's key
        insert_as_is(p, signed)
    elif name == "edit-and-rechain":
        raw(p, "UPDATE {rows} SET flops_measured='1' WHERE seq=3")
        rechain(p)
    elif name == "delete-and-rechain":
        raw(p, "DELETE FROM {rows} WHERE seq=3")
        rechain(p)
    elif name == "forged-append":
        forge(p, _row(6, 1))
    elif name == "forged-resume":
        marker = _row(0, 0, "resume")
        marker.step_end = 10**9
        forge(p, marker)
    elif name == "forged-resume-reruns":
        marker = _row(0, 0, "resume")
        marker.step_end = 6
        forge(p, marker)
        for i in range(6):
            forge(p, _row(i, 1))
    elif name == "strip-signatures":
        raw(p, "UPDATE {rows} SET signature=NULL, key_id=NULL")
    elif name == "other-key":
        path.unlink()
        with Ledger(path, key=other) as led:
            for i in range(6):
                led.append(_row(i, 1))
    elif name == "forged-checkpoint":
        w = ctx["witness"]
        out["witness"] = cp.Checkpoint(w.rows - 1, ctx["hashes"][w.rows - 2], w.created_at, w.key_id, w.signature)
        raw(p, "DELETE FROM {rows} WHERE seq=6")
    elif name == "delete-last":
        raw(p, "DELETE FROM {rows} WHERE seq=6")
    elif name == "delete-all":
        raw(p, "DELETE FROM {rows}")
    elif name == "older-copy":
        path.unlink()
        with Ledger(ctx["path"], create=False) as src:
            rows = list(src.rows())[:4]
        with Ledger(path, key=key) as led:
            for r in rows:
                led.append(Row(**{k: v for k, v in r.__dict__.items()
                                  if k not in ("seq", "prev_hash", "hash", "key_id", "signature")}))
    elif name == "copy-without-wal":
        led = Ledger(path, key=key)
        led.append(_row(6, 10**24))  # the running writer's newest row sits in the -wal
        out["witness"] = led.checkpoint()  # witnessed (e.g. written into a record) while running
        copied = path.with_name("copied.db")
        shutil.copy(path, copied)
        led.close()
        out["path"] = copied
    elif name == "insider-rewrite":
        raw(p, "UPDATE {rows} SET flops_measured='1' WHERE seq=3")
        rechain(p)
        with Ledger(path, create=False) as led:
            rows = list(led.rows())
        for r in rows:
            raw(p, "UPDATE {rows} SET signature={p} WHERE seq={p}", (key.sign(ROW_DOMAIN, r.hash), r.seq))
    elif name == "empty-file":
        path.write_bytes(b"")
    elif name == "foreign-database":
        path.unlink()
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE rows (seq INTEGER, hash TEXT)")
        db.commit()
        db.close()
    elif name == "record-halved":
        out["record"] = _halved(ctx["record"])
    elif name == "record-drops-ledger":
        out["record"] = {**copy.deepcopy(ctx["record"]), "ledger": None}
    elif name == "record-date":
        rec = copy.deepcopy(ctx["record"])
        rec["phases"][0]["start"] = "2020-01-01T00:00:00+00:00"
        out["record"] = rec
    elif name == "false-clock":
        path.unlink()
        with Ledger(path, key=key) as led:  # the same 6 rows, dated a year early by the writer
            with Ledger(ctx["path"], create=False) as src:
                for r in src.rows():
                    fields = {k: v for k, v in r.__dict__.items()
                              if k not in ("seq", "prev_hash", "hash", "key_id", "signature")}
                    led.append(Row(**{**fields, "created_at": r.created_at - 365 * 86400}))
            out["witness"] = led.checkpoint()  # witnessed as written: the clock was wrong from the start
        out["fresh_record"] = True
    elif name == "under-reporting-writer":
        path.unlink()
        with Ledger(path, key=key) as led:
            for i in range(6):
                led.append(Row(run="run-a", model="m", phase="pre-training", phase_kind="pre-training",
                               row_kind="train", step_start=i, step_end=i + 1, flops_measured=(10**24 + i) // 2,
                               tokens=10))
            out["witness"] = led.checkpoint()
        out["fresh_record"] = True
    else:
        raise AssertionError(name)
    return out


def _halved(record: dict) -> dict:
    rec = copy.deepcopy(record)

    def halve(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("total", "low", "high") and isinstance(v, str) and v.isdigit():
                    node[k] = str(int(v) // 2)
                else:
                    halve(v)
        elif isinstance(node, list):
            for v in node:
                halve(v)
    halve(rec["phases"])
    halve(rec["totals"])
    return rec


def _detected_by(name: str, ctx: dict, tmp_path: Path, monkeypatch) -> tuple[str, dict]:
    path = tmp_path / "ledger.db"
    shutil.copy(ctx["path"], path)
    out = _attack(name, path, ctx)
    path = out.get("path", path)
    witness = out.get("witness", ctx["witness"])
    record = out.get("record", ctx["record"])
    try:
        with Ledger(path, create=False) as led:
            plain, keyed, witnessed = led.verify(), led.verify(ctx["key"]), led.verify(None, witness)
            counted = sum(r.flops for r in counted_rows(list(led.rows())))
    except InputError:
        return "refused", {}
    monkeypatch.setenv("FLOPCOUNT_LEDGER_KEY", SECRET)
    if out.get("fresh_record"):
        record = records.build(ledger_path=path)
    rec = {**record, "ledger": record["ledger"] and {**record["ledger"], "path": str(path)}}
    problems = records.check(rec, "record.json")
    facts = {"counted": counted, "problems": problems}
    with Ledger(path, create=False) as led:
        signed_witness = led.verify(ctx["key"], witness)
    for outcome, result in (("chain", plain), ("key", keyed), ("witness", witnessed), ("witness+key", signed_witness)):
        if not result.ok:
            return outcome, facts
    return ("record" if problems else "undetectable"), facts


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack(name, base, tmp_path, monkeypatch):
    with Ledger(base["path"], create=False) as led:
        base["hashes"] = [r.hash for r in led.rows()]
    outcome, facts = _detected_by(name, base, tmp_path, monkeypatch)
    assert outcome == ATTACKS[name][1], (name, outcome, facts)
    if outcome != "refused" and name != "copy-without-wal":
        # the record carries a witnessed head too: it sees every detected attack on rows it
        # counts (the -wal copy lost a row written after the record was made)
        assert bool(facts["problems"]) == (outcome != "undetectable"), name
    if name == "forged-resume":  # a marker alone, even unverified, erases nothing
        assert facts["counted"] == 6 * 10**24 + 15


def test_the_docs_table_is_this_list():
    """Every attack in the docs' table with the same outcome, and no others."""
    text = (ROOT / "docs" / "explanation" / "tamper-evidence.md").read_text(encoding="utf-8")
    section = text[text.index("| attack |"):]
    section = section[:section.index("\n\n")]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| \*\*([a-z+]+)\*\*", section, re.M))
    assert rows == {k: v[1] for k, v in ATTACKS.items()}
    for name, reason in WHY.items():
        assert reason in section, name
