"""The ledger: append-only rows in a hash chain, optionally signed, in SQLite or PostgreSQL.

`Ledger(location)` opens an SQLite file (the embedded default) or, for a
`postgresql://` URL, a shared PostgreSQL database that runs on several clusters can add
to. Both store the same rows and the same chain; the backends differ only in how they
connect, serialise appends and read rows. Reading commands open read-only
(`create=False`): a ledger is never written, migrated or created by being looked at.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator

from ..boundary.errors import InputError
from . import checkpoint as cp
from .keys import ROW_DOMAIN, Key
from .rows import GENESIS, INT_FIELDS, ROW_KINDS, Row, chain_hash

SCHEMA_VERSION = 2           # 2: rows carry key_id and signature; 1 is read as unsigned
READABLE_VERSIONS = ("1", "2")
COLUMNS = ("run", "model", "phase", "phase_kind", "row_kind", "step_start", "step_end", "flops_measured",
           "flops_analytic", "flops_hardware", "flops_recomputed", "tokens", "wall_seconds",
           "accelerator_seconds", "accelerator", "devices", "rerun", "created_at", "extra",
           "prev_hash", "hash", "key_id", "signature")


@dataclass(frozen=True)
class Verification:
    """What `verify` found: problems make it fail; notes say what was and was not checked."""

    ok: bool
    rows: int
    head: str
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def is_postgres(location: str | Path) -> bool:
    return isinstance(location, str) and location.split("://", 1)[0] in ("postgresql", "postgres")


class Ledger:
    """Open a ledger (`create=True`: for appending, created if missing; `create=False`:
    read-only). `key` signs appended rows; a ledger whose rows are signed refuses
    unsigned appends and appends signed with another key. Use as a context manager."""

    path: Any  # the location, as given (a Path for SQLite, a URL for PostgreSQL)
    #: URL schemes a backend opens ("": a file path); each backend class declares its own and is
    #: registered as it is defined (`__init_subclass__`), so this base imports no backend
    schemes: ClassVar[tuple[str, ...]] = ()
    _backends: ClassVar[dict[str, type["Ledger"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Ledger._backends.update({scheme: cls for scheme in cls.schemes})

    def __new__(cls, location: str | Path, **kwargs: Any) -> "Ledger":
        if cls is Ledger:  # the backend for the location (flopcount.ledger imports both)
            cls = Ledger._backends[location.split("://", 1)[0] if is_postgres(location) else ""]
        return super().__new__(cls)

    def __init__(self, location: str | Path, *, create: bool = True, read_only: bool | None = None,
                 key: Key | None = None, timeout: float = 30.0):
        self.read_only = (not create) if read_only is None else read_only
        self.key = key
        if key is not None and not self.read_only and not key.can_sign:  # fail at start, not at the first write
            raise InputError(f"{key.id} is a public key: a writer needs the private key to sign rows",
                             source=str(location))
        self._open(location, create=create and not self.read_only, timeout=timeout)
        version = self._meta("schema_version")
        if version not in READABLE_VERSIONS:
            raise InputError(f"ledger schema version {version!r}; this flopcount reads {', '.join(READABLE_VERSIONS)}",
                             source=self.display, field="meta.schema_version")

    # --- what a backend provides ------------------------------------------------------
    display: str = ""

    def _open(self, location: str | Path, *, create: bool, timeout: float) -> None: raise NotImplementedError
    def _meta(self, key: str) -> str | None: raise NotImplementedError
    def _append_tx(self, make: Any) -> int: raise NotImplementedError
    def _select(self, conditions: list[tuple[str, Any]]) -> Iterator[dict[str, Any]]: raise NotImplementedError
    def close(self) -> None: raise NotImplementedError
    def storage_notes(self) -> tuple[list[str], list[str]]:
        """(problems, notes) about the storage itself, e.g. an SQLite -wal file beside."""
        return [], []

    # --- shared ----------------------------------------------------------------------
    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def append(self, row: Row) -> Row:
        """Append one row atomically, chained to (and, with a key, signed after) the current
        head; the backend holds a lock from reading the head to committing."""
        if self.read_only:
            raise InputError("ledger opened read-only", source=self.display)
        if row.row_kind not in ROW_KINDS:
            raise ValueError(f"row_kind must be one of {ROW_KINDS}, got {row.row_kind!r}")

        def make(head: dict[str, Any] | None) -> dict[str, Any]:
            head_key = head and head.get("key_id")
            mine = self.key.id if self.key else None
            if head_key and head_key != mine:
                raise InputError(f"the ledger's rows are signed by {head_key}; this writer "
                                 + (f"holds {mine}" if mine else "has no key (set FLOPCOUNT_LEDGER_KEY_FILE)"),
                                 source=self.display)
            row.prev_hash = head["hash"] if head else GENESIS
            row.hash = chain_hash(row.prev_hash, row.payload())
            row.key_id = mine
            row.signature = self.key.sign(ROW_DOMAIN, row.hash) if self.key else None
            values = json.loads(row.payload())
            values["extra"] = json.dumps(values["extra"], sort_keys=True)
            values["rerun"] = int(values["rerun"])  # an INTEGER column in both backends
            values.update(prev_hash=row.prev_hash, hash=row.hash, key_id=row.key_id, signature=row.signature)
            return values

        row.seq = self._append_tx(make)
        return row

    def rows(self, run: str | None = None, model: str | None = None) -> Iterator[Row]:
        conditions = [(c, v) for c, v in (("run", run), ("model", model)) if v is not None]
        for values in self._select(conditions):
            yield _row(values, self.display)

    def verify(self, key: Key | None = None, expect: cp.Checkpoint | None = None) -> Verification:
        """Recompute the chain from genesis; with `key`, check every row's signature; with
        `expect`, check the chain still extends a head witnessed outside the ledger. The
        notes say which of these could not be checked."""
        problems, notes = self.storage_notes()
        prev, hashes, signers = GENESIS, [], {}
        try:
            for row in self.rows():
                hashes.append(row.hash)
                if row.prev_hash != prev:
                    problems.append(f"row {row.seq}: prev_hash does not match the previous row "
                                    "(a row was deleted, inserted or moved)")
                if chain_hash(row.prev_hash, row.payload()) != row.hash:
                    problems.append(f"row {row.seq}: contents do not match its hash (row was edited)")
                prev = row.hash
                signers[row.key_id] = signers.get(row.key_id, 0) + 1
                if key is not None:
                    if row.signature is None:
                        problems.append(f"row {row.seq}: unsigned (forged, or written without the key)")
                    elif row.key_id != key.id:
                        problems.append(f"row {row.seq}: signed by {row.key_id}, not by {key.id}")
                    elif not key.verify(ROW_DOMAIN, row.hash, row.signature):
                        problems.append(f"row {row.seq}: signature does not match (row rewritten or forged)")
        except InputError as exc:
            problems.append(f"unreadable: {exc}")
        signed = {k: n for k, n in signers.items() if k}
        if key is not None:
            notes.append(f"signatures: all {len(hashes)} rows checked against {key.id}")
        elif signed:
            notes.append("signatures NOT checked (give --key): "
                         + ", ".join(f"{n} rows signed by {k}" for k, n in signed.items()))
        else:
            notes.append("rows are unsigned: an edit with the chain recomputed, or a forged append, "
                         "cannot be told from real rows")
        if expect is not None:
            for problem in (cp.signature_problem(expect, key), cp.compare(expect, hashes)):
                if problem:
                    problems.append(problem)
            if expect.signature and key is None:
                notes.append(f"the checkpoint's signature ({expect.key_id}) was not checked (give --key)")
            if not problems and expect.rows is not None:
                notes.append(f"extends the witnessed head at row {expect.rows} "
                             f"({len(hashes) - expect.rows} rows appended since)")
        else:
            notes.append("no witnessed head given (--expect): rows cut from the end, or an older copy, "
                         "cannot be detected")
        return Verification(not problems, len(hashes), prev, tuple(problems), tuple(notes))

    def checkpoint(self) -> cp.Checkpoint:
        """The current head, signed with this ledger's key if it can sign."""
        head, count = GENESIS, 0
        for row in self.rows():
            head, count = row.hash, count + 1
        return cp.make(count, head, self.key)


#: Keys of a row's `extra` that flopcount reads, and the JSON types they must have.
EXTRA_TYPES: dict[str, tuple[type, ...]] = {
    "base_training_compute": (int, type(None)), "base_systemic_risk": (bool,),
    "energy_joules": (int, float), "energy_note": (str,), "writer": (str,), "method": (str,),
    "hardware": (dict,), "parameters": (dict,), "emissions_kg": (int, float)}


def _check_extra(extra: Any) -> None:
    if not isinstance(extra, dict):
        raise ValueError("extra is not a JSON object")
    for key, types in EXTRA_TYPES.items():
        value = extra.get(key)
        if key in extra and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
                             or (isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0)):
            raise ValueError(f"extra.{key} is {value!r}, not a {' or '.join(t.__name__ for t in types)} ≥ 0")


def _row(values: dict[str, Any], source: str) -> Row:
    try:
        values = dict(values)
        for key in INT_FIELDS:
            if values[key] is not None:
                values[key] = int(values[key])
        values["extra"] = json.loads(values["extra"])
        _check_extra(values["extra"])
        values["rerun"] = bool(values["rerun"])
        for key in ("step_start", "step_end", "devices"):
            if not isinstance(values[key], int) or isinstance(values[key], bool):
                raise ValueError(f"{key} is not an integer")
        for key in ("wall_seconds", "accelerator_seconds", "created_at"):
            if not isinstance(values[key], (int, float)) or isinstance(values[key], bool):
                raise ValueError(f"{key} is not a number")
        return Row(**values)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"corrupt row {values.get('seq')}: {exc}", source=source, field="rows") from None
