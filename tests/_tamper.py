"""What an attacker with write access to the storage can do, on either backend: run SQL
with the append-only triggers off, and recompute the chain after an edit."""
from __future__ import annotations

import json
import sqlite3

from flopcount.ledger.rows import GENESIS, Row, chain_hash


def is_pg(location: str) -> bool:
    return location.startswith("postgresql://")


def raw(location: str, sql: str, params: tuple = ()) -> list:
    """Run `sql` ({rows}: the rows table, {p}: a placeholder) bypassing the triggers."""
    if is_pg(location):
        import psycopg
        with psycopg.connect(location, autocommit=True) as db:
            db.execute("ALTER TABLE flopcount_rows DISABLE TRIGGER USER")
            cur = db.execute(sql.format(rows="flopcount_rows", p="%s"), params)
            out = cur.fetchall() if cur.description else []
            db.execute("ALTER TABLE flopcount_rows ENABLE TRIGGER USER")
            return out
    db = sqlite3.connect(location, isolation_level=None)
    try:
        db.execute("DROP TRIGGER IF EXISTS rows_no_update")
        db.execute("DROP TRIGGER IF EXISTS rows_no_delete")
        return db.execute(sql.format(rows="rows", p="?"), params).fetchall()
    finally:
        db.close()


def rechain(location: str) -> None:
    """Recompute every hash from genesis (what an attacker without the key can do)."""
    from flopcount.ledger import Ledger
    with Ledger(location, create=False) as led:
        rows = list(led.rows())
    prev = GENESIS
    for row in rows:
        new = chain_hash(prev, row.payload())
        raw(location, "UPDATE {rows} SET prev_hash={p}, hash={p} WHERE seq={p}", (prev, "x" + new[1:] + str(row.seq), row.seq))
        prev = new
    prev = GENESIS
    for row in rows:  # two passes: hash is UNIQUE, so park the values first
        new = chain_hash(prev, row.payload())
        raw(location, "UPDATE {rows} SET prev_hash={p}, hash={p} WHERE seq={p}", (prev, new, row.seq))
        prev = new


def forge(location: str, row: Row, *, signature: str | None = None, key_id: str | None = None) -> None:
    """Append `row` chained to the current head, by SQL, without the writer's key."""
    head = raw(location, "SELECT hash FROM {rows} ORDER BY seq DESC LIMIT 1")
    row.prev_hash = head[0][0] if head else GENESIS
    row.hash = chain_hash(row.prev_hash, row.payload())
    row.key_id, row.signature = key_id, signature
    insert_as_is(location, row)


def insert_as_is(location: str, row: Row) -> None:
    """Insert `row` with its own link, hash and signature (copied from elsewhere)."""
    values = json.loads(row.payload())
    values["extra"] = json.dumps(values["extra"], sort_keys=True)
    values["rerun"] = int(values["rerun"])
    values.update(prev_hash=row.prev_hash, hash=row.hash, key_id=row.key_id, signature=row.signature)
    cols = list(values)
    raw(location, f"INSERT INTO {{rows}} ({', '.join(cols)}) VALUES ({', '.join(['{p}'] * len(cols))})",
        tuple(values.values()))
