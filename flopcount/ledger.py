"""The compute ledger: an append-only SQLite file with a hash chain.

One row per flush: run, model, phase, kind of work, step range, FLOP by method, tokens,
time, hardware. FLOP are stored as decimal TEXT (SQLite integers are int64 and totals
reach 1e26). Each row's `hash` = SHA-256 over the previous row's hash and this row's
canonical JSON, so editing or deleting any row breaks the chain (`flopcount verify`);
triggers refuse UPDATE and DELETE so mistakes fail loudly. WAL mode and
`BEGIN IMMEDIATE` let several runs append to one ledger at once; each flush is one
committed transaction, so a killed run loses at most the rows it had not flushed.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError

SCHEMA_VERSION = 1
GENESIS = "0" * 64

#: Row kinds: "train" and "generate" count by their phase kind; "eval" counts in
#: neither quantity; "resume" marks that the steps after a checkpoint are re-run, so the
#: earlier rows covering them no longer count (their compute was lost, not used).
ROW_KINDS = ("train", "generate", "eval", "resume")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL, model TEXT NOT NULL, phase TEXT NOT NULL, phase_kind TEXT NOT NULL,
    row_kind TEXT NOT NULL, step_start INTEGER NOT NULL, step_end INTEGER NOT NULL,
    flops_measured TEXT, flops_analytic TEXT, flops_hardware TEXT, flops_recomputed TEXT NOT NULL,
    tokens TEXT NOT NULL, wall_seconds REAL NOT NULL, accelerator_seconds REAL NOT NULL,
    accelerator TEXT, devices INTEGER NOT NULL, rerun INTEGER NOT NULL, created_at REAL NOT NULL,
    extra TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE
);
CREATE TRIGGER IF NOT EXISTS rows_no_update BEFORE UPDATE ON rows
    BEGIN SELECT RAISE(ABORT, 'flopcount ledger rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS rows_no_delete BEFORE DELETE ON rows
    BEGIN SELECT RAISE(ABORT, 'flopcount ledger rows are append-only'); END;
"""

_INT_FIELDS = ("flops_measured", "flops_analytic", "flops_hardware", "flops_recomputed", "tokens")


@dataclass
class Row:
    """One flushed interval of one run. FLOP are exact ints (None: method not used)."""

    run: str
    model: str
    phase: str
    phase_kind: str
    row_kind: str
    step_start: int
    step_end: int
    flops_measured: int | None = None
    flops_analytic: int | None = None
    flops_hardware: int | None = None
    flops_recomputed: int = 0
    tokens: int = 0
    wall_seconds: float = 0.0
    accelerator_seconds: float = 0.0
    accelerator: str | None = None
    devices: int = 1
    rerun: bool = False
    created_at: float = field(default_factory=time.time)
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
    prev_hash: str = ""
    hash: str = ""

    @property
    def flops(self) -> int:
        """The row's best count: measured, else analytic, else hardware."""
        for value in (self.flops_measured, self.flops_analytic, self.flops_hardware):
            if value is not None:
                return value
        return 0

    def payload(self) -> str:
        """Canonical JSON of everything but seq and hashes: what the chain signs."""
        data = asdict(self)
        for key in ("seq", "prev_hash", "hash"):
            data.pop(key)
        for key in _INT_FIELDS:
            data[key] = None if data[key] is None else str(data[key])
        data["rerun"] = bool(data["rerun"])
        return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + payload).encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    head: str
    problems: tuple[str, ...] = ()


class Ledger:
    """Open (creating if needed) a ledger file. Use as a context manager or close()."""

    def __init__(self, path: str | Path, *, create: bool = True, timeout: float = 30.0):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise InputError("no such ledger", source=str(self.path))
        try:
            self.db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # a committed flush survives power loss
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a readable flopcount ledger ({exc})", source=str(self.path)) from None
        version = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version is None or version[0] != str(SCHEMA_VERSION):
            raise InputError(f"ledger schema version {version and version[0]!r}; this flopcount reads "
                             f"{SCHEMA_VERSION}", source=str(self.path), field="meta.schema_version")

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def append(self, row: Row) -> Row:
        """Append one row atomically, chained to the current head (safe across processes)."""
        if row.row_kind not in ROW_KINDS:
            raise ValueError(f"row_kind must be one of {ROW_KINDS}, got {row.row_kind!r}")
        self.db.execute("BEGIN IMMEDIATE")  # serialises appenders: the head cannot move under us
        try:
            head = self.db.execute("SELECT hash FROM rows ORDER BY seq DESC LIMIT 1").fetchone()
            row.prev_hash = head[0] if head else GENESIS
            row.hash = chain_hash(row.prev_hash, row.payload())
            values = json.loads(row.payload())
            values["extra"] = json.dumps(values["extra"], sort_keys=True)
            columns = list(values) + ["prev_hash", "hash"]
            cursor = self.db.execute(
                f"INSERT INTO rows ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [*values.values(), row.prev_hash, row.hash])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        row.seq = cursor.lastrowid
        return row

    def rows(self, run: str | None = None, model: str | None = None) -> Iterator[Row]:
        query, args = "SELECT * FROM rows", []
        conditions = [(c, v) for c, v in (("run", run), ("model", model)) if v is not None]
        if conditions:
            query += " WHERE " + " AND ".join(f"{c} = ?" for c, _ in conditions)
            args = [v for _, v in conditions]
        cursor = self.db.execute(query + " ORDER BY seq", args)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield _row(dict(zip(names, values)), self.path)

    def verify(self) -> Verification:
        """Recompute the chain: any edit, deletion, insertion or reordering shows."""
        problems, prev, count = [], GENESIS, 0
        try:
            for row in self.rows():
                count += 1
                if row.prev_hash != prev:
                    problems.append(f"row {row.seq}: prev_hash does not match the previous row "
                                    "(a row was deleted or inserted)")
                if chain_hash(row.prev_hash, row.payload()) != row.hash:
                    problems.append(f"row {row.seq}: contents do not match its hash (row was edited)")
                prev = row.hash
        except (sqlite3.DatabaseError, InputError) as exc:
            problems.append(f"unreadable: {exc}")
        return Verification(not problems, count, prev, tuple(problems))


def _row(values: dict[str, Any], path: Path) -> Row:
    try:
        for key in _INT_FIELDS:
            if values[key] is not None:
                values[key] = int(values[key])
        values["extra"] = json.loads(values["extra"])
        values["rerun"] = bool(values["rerun"])
        return Row(**values)
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"corrupt row {values.get('seq')}: {exc}", source=str(path), field="rows") from None


def counted_rows(rows: list[Row]) -> list[Row]:
    """Rows that count: each run's rows minus those superseded by a later resume marker
    (steps re-run after restoring a checkpoint; the first attempt's work was lost)."""
    superseded: set[int] = set()
    for marker in rows:
        if marker.row_kind != "resume":
            continue
        for row in rows:
            if (row.run == marker.run and row.seq is not None and marker.seq is not None and row.seq < marker.seq
                    and row.row_kind != "resume" and row.step_end > marker.step_start):
                superseded.add(row.seq)
    return [r for r in rows if r.row_kind != "resume" and r.seq not in superseded]


def process_tag() -> str:
    """host:pid, to tell concurrent appenders apart in a row's extra data."""
    return f"{os.uname().nodename}:{os.getpid()}"
