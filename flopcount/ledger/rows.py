"""Ledger rows, the hash chain over them, and which rows count.

FLOP are exact Python ints (stored as decimal text: SQL integers are int64 and totals
reach 1e26). Each row's `hash` = SHA-256 over the previous row's hash and this row's
canonical JSON, so an edit, deletion, insertion or reordering *inside* the chain breaks
it. What the chain alone cannot show (rows cut from the end, a chain recomputed after an
edit, forged appends) needs a signing key and a witnessed head: see `keys` and
`checkpoint`.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

GENESIS = "0" * 64

#: Row kinds: "train" and "generate" count by their phase kind; "eval" counts in
#: neither quantity; "resume" marks that the steps after a checkpoint are re-run, so the
#: earlier rows covering them no longer count once the re-run rows appear.
ROW_KINDS = ("train", "generate", "eval", "resume")

INT_FIELDS = ("flops_measured", "flops_analytic", "flops_hardware", "flops_recomputed", "tokens")
#: Columns outside the signed payload: the row's place and its chain/signature values.
UNSIGNED = ("seq", "prev_hash", "hash", "key_id", "signature")


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
    key_id: str | None = None
    signature: str | None = None

    @property
    def flops(self) -> int:
        """The row's best count: measured, else analytic, else hardware."""
        for value in (self.flops_measured, self.flops_analytic, self.flops_hardware):
            if value is not None:
                return value
        return 0

    def payload(self) -> str:
        """Canonical JSON of everything but the row's place, hashes and signature."""
        data = asdict(self)
        for key in UNSIGNED:
            data.pop(key)
        for key in INT_FIELDS:
            data[key] = None if data[key] is None else str(data[key])
        data["rerun"] = bool(data["rerun"])
        return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + payload).encode()).hexdigest()


def _covered(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the union of `spans` covers every step in [start, end)."""
    for s, e in sorted(spans):
        if s > start:
            return False
        start = max(start, e)
        if start >= end:
            return True
    return start >= end


def counted_rows(rows: list[Row]) -> list[Row]:
    """Rows that count, in ledger order.

    A "resume" marker says the steps after a checkpoint run again; an earlier row of its
    run stops counting only once rows written after the marker cover every one of its
    steps past the checkpoint (the first attempt's work was lost and redone). Until then
    it counts: a marker alone, forged or from a run that died again, never removes
    compute, and a partly re-run row is counted twice (over, never under)."""
    superseded: set[int] = set()
    for marker in rows:
        if marker.row_kind != "resume" or marker.seq is None:
            continue
        later = [(r.step_start, r.step_end) for r in rows
                 if r.run == marker.run and r.seq is not None and r.seq > marker.seq and r.row_kind != "resume"]
        for row in rows:
            if (row.run == marker.run and row.seq is not None and row.seq < marker.seq
                    and row.row_kind != "resume" and row.step_end > marker.step_start
                    and _covered(max(row.step_start, marker.step_start), row.step_end, later)):
                superseded.add(row.seq)
    return [r for r in rows if r.row_kind != "resume" and r.seq not in superseded]


def process_tag() -> str:
    """host:pid, to tell concurrent appenders apart in a row's extra data."""
    return f"{os.uname().nodename}:{os.getpid()}"
