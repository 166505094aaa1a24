"""Head checkpoints: (row count, head hash), optionally signed, to witness outside the ledger.

A chain can be cut at its end or recomputed after an edit and still be consistent with
itself; a head written down elsewhere (a file under version control, a compute record, an
email to an auditor) is what shows it. `compare` tells, for a ledger's chain, whether it
still extends the witnessed head.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..boundary.errors import InputError
from .keys import HEAD_DOMAIN, Key
from .rows import GENESIS

FORMAT = "flopcount-checkpoint/1"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Checkpoint:
    rows: int | None          # None: a bare hash was witnessed, without its row count
    head: str
    created_at: str = ""
    key_id: str | None = None
    signature: str | None = None

    def message(self) -> str:
        return f"{self.rows}\0{self.head}\0{self.created_at}"

    def signed(self, key: Key | None) -> "Checkpoint":
        if key is None or not key.can_sign:
            return self
        return Checkpoint(self.rows, self.head, self.created_at, key.id, key.sign(HEAD_DOMAIN, self.message()))

    def to_json(self) -> dict:
        return {"format": FORMAT, **asdict(self)}


def make(rows: int, head: str, key: Key | None) -> Checkpoint:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return Checkpoint(rows, head, now).signed(key)


def parse(text: str, source: str = "--expect") -> Checkpoint:
    """A witnessed head: "ROWS:HASH", a bare 64-hex HASH, or a checkpoint JSON file's path."""
    text = text.strip()
    if _HASH.fullmatch(text):
        return Checkpoint(None, text)
    rows, sep, head = text.partition(":")
    if sep and rows.isdigit() and _HASH.fullmatch(head):
        return Checkpoint(int(rows), head)
    path = Path(text)
    if not path.is_file():
        raise InputError("expected ROWS:HASH, a 64-hex head hash, or a checkpoint file", source=source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable checkpoint ({exc})", source=str(path)) from None
    return from_json(data, str(path))


def from_json(data: object, source: str) -> Checkpoint:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a flopcount checkpoint (format must be {FORMAT!r})", source=source)
    rows, head = data.get("rows"), data.get("head")
    if not (isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0):
        raise InputError("must be a whole number of rows", source=source, field="rows")
    if not (isinstance(head, str) and _HASH.fullmatch(head)):
        raise InputError("must be a 64-hex SHA-256 hash", source=source, field="head")
    extra = {k: data.get(k) for k in ("created_at", "key_id", "signature")}
    if not all(v is None or isinstance(v, str) for v in extra.values()):
        raise InputError("created_at, key_id and signature must be strings", source=source)
    return Checkpoint(rows, head, extra["created_at"] or "", extra["key_id"], extra["signature"])


def signature_problem(point: Checkpoint, key: Key | None) -> str | None:
    """Why the checkpoint's signature cannot be trusted (None: it checks, or none to check)."""
    if point.signature is None:
        return None
    if key is None:
        return None
    if point.key_id != key.id:
        return f"checkpoint signed by {point.key_id}, not by the given key {key.id}"
    if not key.verify(HEAD_DOMAIN, point.message(), point.signature):
        return "checkpoint signature does not match its rows/head/date (edited or forged)"
    return None


def compare(point: Checkpoint, hashes: list[str]) -> str | None:
    """Whether the chain `hashes` extends the witnessed head; the problem if not."""
    if point.rows is None:
        return None if point.head in hashes else (
            f"witnessed head {point.head[:16]}… is not in the ledger (rows rewritten or cut off)")
    if point.rows > len(hashes):
        return (f"TRUNCATED: the witness saw {point.rows} rows, the ledger holds {len(hashes)} "
                f"({point.rows - len(hashes)} removed from the end, or this is an older copy)")
    if point.rows and hashes[point.rows - 1] != point.head:
        return (f"REWRITTEN: row {point.rows}'s hash differs from the witnessed head {point.head[:16]}… "
                "(rows at or before it were edited and the chain recomputed)")
    if point.rows == 0 and point.head != GENESIS:
        return "a witness of 0 rows must carry the genesis hash"
    return None
