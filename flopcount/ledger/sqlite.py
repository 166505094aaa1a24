"""SQLite ledgers: one file on one machine (WAL needs shared memory: not on a network
filesystem; use PostgreSQL to share a ledger across machines).

Writers use WAL and `BEGIN IMMEDIATE`, so several runs on one machine append at once and
each flush is one committed transaction (a killed run loses at most what it had not
flushed); `synchronous=FULL` makes a commit survive power loss; closing checkpoints the
WAL into the file so a copy of the `.db` alone is complete. Readers open `immutable=1`
when no -wal file is beside the ledger (no writer has it open: nothing is created beside
it), else `mode=ro` (which reads the -wal), or `immutable=1` again where the folder is
read-only (then the -wal's rows are reported unread); they never create, migrate or change
a ledger.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

from ..boundary.errors import InputError
from .base import COLUMNS, SCHEMA_VERSION, Ledger

APPLICATION_ID = 0x666C6F70  # "flop" in the SQLite header: tells our files from others

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL, model TEXT NOT NULL, phase TEXT NOT NULL, phase_kind TEXT NOT NULL,
    row_kind TEXT NOT NULL, step_start INTEGER NOT NULL, step_end INTEGER NOT NULL,
    flops_measured TEXT, flops_analytic TEXT, flops_hardware TEXT, flops_recomputed TEXT NOT NULL,
    tokens TEXT NOT NULL, wall_seconds REAL NOT NULL, accelerator_seconds REAL NOT NULL,
    accelerator TEXT, devices INTEGER NOT NULL, rerun INTEGER NOT NULL, created_at REAL NOT NULL,
    extra TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, key_id TEXT, signature TEXT
);
CREATE TRIGGER rows_no_update BEFORE UPDATE ON rows
    BEGIN SELECT RAISE(ABORT, 'flopcount ledger rows are append-only'); END;
CREATE TRIGGER rows_no_delete BEFORE DELETE ON rows
    BEGIN SELECT RAISE(ABORT, 'flopcount ledger rows are append-only'); END;
INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');
PRAGMA application_id = {APPLICATION_ID};
"""


class SqliteLedger(Ledger):
    schemes = ("",)
    immutable = False

    def _open(self, location: str | Path, *, create: bool, timeout: float) -> None:
        self.path = Path(location)
        self.display = str(self.path)
        if not self.path.exists():
            if not create:
                raise InputError("no such ledger", source=self.display)
        elif self.path.is_dir():
            raise InputError("is a folder, not a ledger file", source=self.display)
        elif not create and self.path.stat().st_size == 0:
            raise InputError("empty file: not a flopcount ledger", source=self.display)
        try:
            self.db = self._connect(create, timeout)
            tables, app = self._inspect()
            if not {"meta", "rows"} <= tables or app not in (0, APPLICATION_ID):
                if tables or app or not create:
                    raise InputError("an SQLite database but not a flopcount ledger ("
                                     + (f"tables: {', '.join(sorted(tables))}" if tables else "no tables")
                                     + "); refusing to read or change it", source=self.display)
            if create:  # only now, once the file is known to be ours or blank
                self._wal(timeout)
                self.db.execute("PRAGMA synchronous=FULL")  # a committed flush survives power loss
                self._initialise()
                self._upgrade()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a readable flopcount ledger ({exc})", source=self.display) from None

    def _inspect(self) -> tuple[set[str], int]:
        """The tables and application id, read in one transaction: another writer creating
        the ledger at the same moment is seen before or after its schema, never half-way."""
        self.db.execute("BEGIN")
        try:
            tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            return tables, self.db.execute("PRAGMA application_id").fetchone()[0]
        finally:
            self.db.execute("COMMIT")

    def _wal(self, timeout: float) -> None:
        """Switch to WAL (once per file: it persists). The switch needs the file to itself and
        SQLite reports "database is locked" at once rather than waiting while another writer
        opens it, so it is retried within the same timeout as any lock."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _connect(self, create: bool, timeout: float) -> sqlite3.Connection:
        if create:
            return sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        uri = "file:" + quote(str(self.path.resolve()))
        if not self.path.with_name(self.path.name + "-wal").exists():
            # no writer has it open (an open WAL writer keeps a -wal file): read the file as
            # it is, creating no -shm/-wal beside it (an auditor's folder stays untouched)
            return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)
        try:  # mode=ro reads a -wal beside the file (rows of a run that has not closed)
            db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:  # a read-only folder: no -shm can be made
            self.immutable = True
            return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)

    def _initialise(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:  # another writer may have initialised it while we waited for the lock
            if self.db.execute("SELECT count(*) FROM sqlite_master WHERE name='rows'").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        self.db.execute(statement)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _upgrade(self) -> None:
        """Schema 1 → 2 (signature columns), for writers only."""
        if self._meta("schema_version") != "1":
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(rows)")}
            for name in ("key_id", "signature"):
                if name not in columns:
                    self.db.execute(f"ALTER TABLE rows ADD COLUMN {name} TEXT")
            self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _meta(self, key: str) -> str | None:
        try:
            found = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a readable flopcount ledger ({exc})", source=self.display) from None
        return found[0] if found else None

    def _append_tx(self, make: Callable[[dict[str, Any] | None], dict[str, Any]]) -> int:
        self.db.execute("BEGIN IMMEDIATE")  # serialises appenders: the head cannot move under us
        try:
            cursor = self.db.execute("SELECT hash, key_id FROM rows ORDER BY seq DESC LIMIT 1")
            head = cursor.fetchone()
            values = make(dict(zip(("hash", "key_id"), head)) if head else None)
            cursor = self.db.execute(f"INSERT INTO rows ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                                     [values[c] for c in COLUMNS])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return int(cursor.lastrowid)

    def _select(self, conditions: list[tuple[str, Any]]) -> Iterator[dict[str, Any]]:
        query = "SELECT * FROM rows"
        if conditions:
            query += " WHERE " + " AND ".join(f"{c} = ?" for c, _ in conditions)
        try:
            cursor = self.db.execute(query + " ORDER BY seq", [v for _, v in conditions])
            names = [d[0] for d in cursor.description]
            for values in cursor:
                yield dict(zip(names, values))
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a readable flopcount ledger ({exc})", source=self.display) from None

    def storage_notes(self) -> tuple[list[str], list[str]]:
        wal = self.path.with_name(self.path.name + "-wal")
        if not wal.exists() or wal.stat().st_size == 0:
            return [], []
        if self.immutable:
            return [f"{wal.name} beside the ledger holds committed rows that were NOT read (read-only "
                    "folder): copy both files to a writable folder and verify there"], []
        return [], [f"{wal.name} beside the ledger holds rows not yet checkpointed into the file (a run "
                    "is open or ended without closing); they were read. Copy both files together"]

    def close(self) -> None:
        if not self.read_only:
            try:  # fold the WAL into the file: a copy of the .db alone is then complete
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError:
                pass  # another connection is reading; the last one to close checkpoints
        self.db.close()
