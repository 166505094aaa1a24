"""PostgreSQL ledgers: one ledger shared by runs on many machines and clusters.

Same rows, same chain, same signatures as SQLite, in tables `flopcount_meta` and
`flopcount_rows` of the database the URL names (one ledger per database). Appends take an
EXCLUSIVE table lock from reading the head to committing, so the database serialises
writers from any number of hosts while readers go on reading. Triggers refuse UPDATE,
DELETE and TRUNCATE; a database owner can drop them, which is why the chain, signatures
and witnessed heads exist. Readers connect with `default_transaction_read_only=on`.
Needs `psycopg` (extra `flopcount[postgres]`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterator

from ..boundary.errors import InputError
from .base import COLUMNS, SCHEMA_VERSION, Ledger

_LOCK_ID = 0x666C6F70  # advisory lock taken while creating the tables (two first writers)

_SCHEMA = f"""
CREATE TABLE flopcount_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE flopcount_rows (
    seq BIGSERIAL PRIMARY KEY,
    run TEXT NOT NULL, model TEXT NOT NULL, phase TEXT NOT NULL, phase_kind TEXT NOT NULL,
    row_kind TEXT NOT NULL, step_start BIGINT NOT NULL, step_end BIGINT NOT NULL,
    flops_measured TEXT, flops_analytic TEXT, flops_hardware TEXT, flops_recomputed TEXT NOT NULL,
    tokens TEXT NOT NULL, wall_seconds DOUBLE PRECISION NOT NULL, accelerator_seconds DOUBLE PRECISION NOT NULL,
    accelerator TEXT, devices INTEGER NOT NULL, rerun INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL,
    extra TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, key_id TEXT, signature TEXT
);
CREATE FUNCTION flopcount_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'flopcount ledger rows are append-only'; END $$;
CREATE TRIGGER flopcount_rows_no_change BEFORE UPDATE OR DELETE ON flopcount_rows
    FOR EACH ROW EXECUTE FUNCTION flopcount_append_only();
CREATE TRIGGER flopcount_rows_no_truncate BEFORE TRUNCATE ON flopcount_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flopcount_append_only();
INSERT INTO flopcount_meta VALUES ('schema_version', '{SCHEMA_VERSION}');
"""


def _display(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


class PostgresLedger(Ledger):
    schemes = ("postgresql", "postgres")

    def _open(self, location: str | Path, *, create: bool, timeout: float) -> None:
        self.path = str(location)
        self.display = _display(self.path)
        try:
            import psycopg
        except ImportError:
            raise InputError("PostgreSQL ledgers need psycopg: pip install 'flopcount[postgres]'",
                             source=self.display) from None
        self._errors = psycopg.Error
        options = "" if create else "-c default_transaction_read_only=on"
        try:
            self.db = psycopg.connect(self.path, autocommit=True, connect_timeout=max(1, int(timeout)),
                                      options=options)
        except psycopg.Error as exc:
            raise InputError(f"cannot connect ({_first_line(exc)})", source=self.display) from None
        try:
            exists = self.db.execute("SELECT to_regclass('flopcount_rows') IS NOT NULL").fetchone()[0]
            if not exists:
                if not create:
                    raise InputError("the database holds no flopcount ledger (no flopcount_rows table)",
                                     source=self.display)
                self.db.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))  # first writers take turns
                try:  # a new transaction after the lock: sees tables another writer just made
                    if not self.db.execute("SELECT to_regclass('flopcount_rows') IS NOT NULL").fetchone()[0]:
                        with self.db.transaction():
                            self.db.execute(_SCHEMA)
                finally:
                    self.db.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
        except psycopg.Error as exc:
            raise InputError(f"not a readable flopcount ledger ({_first_line(exc)})", source=self.display) from None

    def _meta(self, key: str) -> str | None:
        try:
            found = self.db.execute("SELECT value FROM flopcount_meta WHERE key=%s", (key,)).fetchone()
        except self._errors as exc:
            raise InputError(f"not a readable flopcount ledger ({_first_line(exc)})", source=self.display) from None
        return found[0] if found else None

    def _append_tx(self, make: Callable[[dict[str, Any] | None], dict[str, Any]]) -> int:
        with self.db.transaction():
            self.db.execute("LOCK TABLE flopcount_rows IN EXCLUSIVE MODE")  # readers still read
            head = self.db.execute("SELECT hash, key_id FROM flopcount_rows ORDER BY seq DESC LIMIT 1").fetchone()
            values = make(dict(zip(("hash", "key_id"), head)) if head else None)
            seq = self.db.execute(
                f"INSERT INTO flopcount_rows ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
                "RETURNING seq", [values[c] for c in COLUMNS]).fetchone()[0]
        return int(seq)

    def _select(self, conditions: list[tuple[str, Any]]) -> Iterator[dict[str, Any]]:
        query = "SELECT * FROM flopcount_rows"
        if conditions:
            query += " WHERE " + " AND ".join(f"{c} = %s" for c, _ in conditions)
        try:
            cursor = self.db.execute(query + " ORDER BY seq", [v for _, v in conditions])
            names = [d.name for d in cursor.description]
            rows = cursor.fetchall()
        except self._errors as exc:
            raise InputError(f"not a readable flopcount ledger ({_first_line(exc)})", source=self.display) from None
        for values in rows:
            yield dict(zip(names, values))

    def close(self) -> None:
        self.db.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
