"""The ledger on both backends: SQLite and a real PostgreSQL server the suite starts.

Every test here takes `ledger_location`, so each runs once per backend; PostgreSQL cases
skip with the reason where no server can be started.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from _tamper import is_pg, raw
from flopcount.cli import main
from flopcount.boundary.errors import InputError
from flopcount.ledger import Ledger, Row, counted_rows
from flopcount.ledger import checkpoint as cp
from flopcount.ledger.keys import parse_key
from flopcount.run import ComputeMonitor

WORKERS = Path(__file__).parent / "_workers.py"
SECRET = b"an hmac secret of more than sixteen bytes"


def row(step: int, flops: int, *, run: str = "r", kind: str = "train", end: int | None = None, **kw) -> Row:
    return Row(run=run, model="m", phase="pre-training", phase_kind="pre-training", row_kind=kind,
               step_start=step, step_end=step + 1 if end is None else end, flops_measured=flops, tokens=1, **kw)


def test_rows_round_trip_exactly(ledger_location):
    """FLOP beyond int64 and float64's 2^53, floats and extra data come back unchanged."""
    big = 10**26 + 1
    with Ledger(ledger_location) as led:
        led.append(row(0, big, wall_seconds=0.1 + 0.2, created_at=1.7e9 + 1 / 3,
                       extra={"base_training_compute": 3 * 10**25 + 1, "energy_joules": 12.5}))
    with Ledger(ledger_location, create=False) as led:
        (back,) = led.rows()
        check = led.verify()
    assert back.flops == big and back.wall_seconds == 0.1 + 0.2 and back.created_at == 1.7e9 + 1 / 3
    assert back.extra["base_training_compute"] == 3 * 10**25 + 1
    assert check.ok and check.rows == 1 and check.head == back.hash


def test_rows_are_append_only(ledger_location):
    with Ledger(ledger_location) as led:
        led.append(row(0, 5))
        with pytest.raises(Exception, match="append-only"):
            if is_pg(ledger_location):
                led.db.execute("UPDATE flopcount_rows SET tokens='9'")
            else:
                led.db.execute("UPDATE rows SET tokens='9'")


def test_readers_cannot_write(ledger_location):
    with Ledger(ledger_location) as led:
        led.append(row(0, 5))
    with Ledger(ledger_location, create=False) as led:
        with pytest.raises(InputError, match="read-only"):
            led.append(row(1, 5))
        if is_pg(ledger_location):  # the session itself is read-only, not just our wrapper
            with pytest.raises(Exception, match="read-only transaction"):
                led.db.execute("INSERT INTO flopcount_meta VALUES ('x', 'y')")


def test_signed_rows_need_the_key(ledger_location):
    """HMAC-signed rows: the right key verifies; another key, an unsigned writer, or a
    forged signature are each refused or reported."""
    key, other = parse_key(SECRET, "k"), parse_key(b"another secret, also long enough", "k2")
    with Ledger(ledger_location, key=key) as led:
        for i in range(3):
            led.append(row(i, 10**24))
    with Ledger(ledger_location) as led, pytest.raises(InputError, match="signed by hmac:"):
        led.append(row(3, 1))  # an unsigned writer cannot extend a signed ledger
    with Ledger(ledger_location, key=other) as led, pytest.raises(InputError, match="this writer holds"):
        led.append(row(3, 1))
    with Ledger(ledger_location, create=False) as led:
        assert led.verify(key).ok
        assert "signatures NOT checked" in " ".join(led.verify().notes)
        wrong = led.verify(other)
    assert not wrong.ok and "not by hmac:" in wrong.problems[0]
    raw(ledger_location, "UPDATE {rows} SET signature={p} WHERE seq=(SELECT max(seq) FROM {rows})", ("00" * 32,))
    with Ledger(ledger_location, create=False) as led:
        check = led.verify(key)
    assert not check.ok and check.problems == ("row 3: signature does not match (row rewritten or forged)",) \
        or check.problems[0].endswith("signature does not match (row rewritten or forged)")


def test_ed25519_public_key_checks_and_cannot_sign(ledger_location, tmp_path):
    pytest.importorskip("cryptography")
    from flopcount.ledger.keys import generate, load_key
    private, public = generate(tmp_path / "k")
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    with Ledger(ledger_location, key=load_key(private)) as led:
        led.append(row(0, 7))
        point = led.checkpoint()
    auditor = load_key(public)
    assert not auditor.can_sign and auditor.id == load_key(private).id
    with Ledger(ledger_location, create=False) as led:
        assert led.verify(auditor, point).ok
    assert cp.signature_problem(point, auditor) is None
    forged = cp.Checkpoint(5, point.head, point.created_at, point.key_id, point.signature)
    assert "edited or forged" in cp.signature_problem(forged, auditor)
    with pytest.raises(InputError, match="public key"):
        Ledger(ledger_location, key=auditor)


def test_witnessed_head_shows_truncation_and_rewrites(ledger_location):
    with Ledger(ledger_location) as led:
        for i in range(4):
            led.append(row(i, 10**24))
        point = led.checkpoint()
        led.append(row(4, 10**24))
    with Ledger(ledger_location, create=False) as led:
        later = led.verify(expect=point)
    assert later.ok and "1 rows appended since" in " ".join(later.notes)
    raw(ledger_location, "DELETE FROM {rows} WHERE seq >= 4")
    with Ledger(ledger_location, create=False) as led:
        cut = led.verify(expect=point)
        unwitnessed = led.verify()
    assert unwitnessed.ok  # the chain of 3 rows is consistent with itself: why heads are witnessed
    assert not cut.ok and cut.problems[0].startswith("TRUNCATED: the witness saw 4 rows, the ledger holds 3")


def test_a_resume_marker_alone_erases_nothing(ledger_location):
    """Steps 0-10 written; a resume marker from step 0 (forged, or a run that died again)
    removes nothing until rows re-covering steps 0-10 appear; then the first attempt's
    rows stop counting (lost, not used) and the re-run counts once."""
    with Ledger(ledger_location) as led:
        led.append(row(0, 600, end=6))
        led.append(row(6, 400, end=10))
        led.append(row(0, 0, kind="resume", end=10))
        assert sum(r.flops for r in counted_rows(list(led.rows()))) == 1000
        led.append(row(0, 300, end=3, rerun=True))  # half of the first row re-run: both count (over)
        assert sum(r.flops for r in counted_rows(list(led.rows()))) == 1300
        led.append(row(3, 300, end=6, rerun=True))  # the first row is now re-run in full
        assert sum(r.flops for r in counted_rows(list(led.rows()))) == 1000
        led.append(row(6, 400, end=10, rerun=True))
        counted = counted_rows(list(led.rows()))
    assert sum(r.flops for r in counted) == 1000 and all(r.rerun for r in counted)


def test_monitor_status_and_record_through_the_cli(ledger_location, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monitor = ComputeMonitor("m", ledger=ledger_location, flush_every=2, flush_seconds=None,
                                 handle_signals=False)
        for _ in range(5):
            monitor.step(3 * 10**24 + 1, tokens=4096)
        monitor.close()
    assert main(["verify", ledger_location]) == 0
    assert main(["status", ledger_location, "--json"]) == 0
    out = capsys.readouterr().out
    status = json.loads(out[out.index("{"):])
    assert status["models"]["m"]["training"] == str(5 * (3 * 10**24 + 1))
    assert main(["record", "--ledger", ledger_location, "-o", str(tmp_path / "rec")]) == 0
    record = json.loads((tmp_path / "rec.json").read_text())
    assert record["totals"]["training"]["total"] == str(5 * (3 * 10**24 + 1))
    assert record["ledger"]["checkpoint"]["rows"] == record["ledger"]["rows"] == 3
    assert main(["record", "--check", str(tmp_path / "rec.json")]) == 0


def test_eight_writers_from_two_clusters(ledger_location, tmp_path):
    """2 processes ("clusters") × 4 threads, each a run of one lineage writing 20 steps
    of 1e23 every step: 160 rows, exact total 1.6e25, chain intact. No run alone passes
    1e25 (2e24 each): a run sees the line crossed only by reading the others' rows."""
    outs = [tmp_path / f"c{i}.json" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, str(WORKERS), "cluster", ledger_location, f"cluster{i}", "4", "20",
                               str(outs[i])]) for i in range(2)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    results = {k: v for out in outs for k, v in json.loads(out.read_text()).items()}
    with Ledger(ledger_location, create=False) as led:
        check = led.verify()
        rows = list(led.rows())
    assert check.ok and len(rows) == 160 and {r.run for r in rows} == set(results)
    assert sum(r.flops for r in rows) == 160 * 10**23
    assert all(int(r["own"]) == 20 * 10**23 for r in results.values())
    assert max(int(r["seen"]) for r in results.values()) == 160 * 10**23  # the last writer saw everyone
    assert any(r["crossed"] for r in results.values())


def test_sqlite_readers_leave_files_as_they_are(tmp_path, capsys):
    """A blank file and a foreign SQLite database are refused with one line and left
    byte-for-byte unchanged, by readers and by a writer alike."""
    import sqlite3
    blank = tmp_path / "blank.db"
    blank.write_bytes(b"")
    foreign = tmp_path / "app.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    before = foreign.read_bytes()
    for command in (["verify"], ["status"], ["plot", "run"]):
        for path in (blank, foreign):
            assert main([*command, str(path), *(["-o", str(tmp_path / "x.png")] if "plot" in command else [])]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and ("not a flopcount ledger" in err), err
    with pytest.raises(InputError, match="not a flopcount ledger"):
        Ledger(foreign)
    assert foreign.read_bytes() == before and blank.read_bytes() == b""
    assert not Path(str(foreign) + "-wal").exists()


def test_sqlite_ledger_where_no_shm_can_be_made(tmp_path, monkeypatch, capsys):
    """A read-only folder (the suite runs as root, for whom none is read-only: SQLite's
    refusal of `mode=ro` there is simulated). The reader falls back to `immutable=1`,
    which cannot see rows in the -wal: verify reads the file's rows and fails, saying
    which file holds rows it did not read."""
    import sqlite3
    path = tmp_path / "l.db"
    with Ledger(path) as led:
        led.append(row(0, 5))
        led.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        led.append(row(1, 5))  # still open: this row sits in the -wal
        shutil.copy(path, tmp_path / "copy.db")
        shutil.copy(str(path) + "-wal", tmp_path / "copy.db-wal")
    real = sqlite3.connect

    def no_shm(database, *args, **kwargs):
        if "mode=ro" in str(database):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", no_shm)
    before = (tmp_path / "copy.db").read_bytes()
    assert main(["verify", str(tmp_path / "copy.db")]) == 1
    out = capsys.readouterr().out
    assert "1 rows" in out and "copy.db-wal beside the ledger holds committed rows that were NOT read" in out
    assert (tmp_path / "copy.db").read_bytes() == before
    monkeypatch.setattr(sqlite3, "connect", real)
    assert main(["verify", str(tmp_path / "copy.db")]) == 0  # where -shm can be made, the -wal is read
    out = capsys.readouterr().out
    assert "2 rows" in out and "copy.db-wal beside the ledger holds rows not yet checkpointed" in out


def test_writers_opening_a_new_sqlite_ledger_at_once(tmp_path):
    """Eight writers opening one new SQLite ledger at the same moment (as the runs of a job
    starting together do) all open it: none sees the schema half-made ("not a flopcount
    ledger") or a lock on the switch to WAL ("database is locked"). Each of 20 rounds starts
    the eight together; before the fix a third of the rounds had a writer refused."""
    import threading
    for trial in range(20):
        path, errors = tmp_path / f"l{trial}.db", []
        barrier = threading.Barrier(8)

        def open_it() -> None:
            barrier.wait()
            try:
                with Ledger(path):
                    pass
            except Exception as exc:  # noqa: BLE001 - collected, asserted below
                errors.append(str(exc))

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        with Ledger(path, create=False) as ledger:
            assert ledger.verify().ok
