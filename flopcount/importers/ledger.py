"""A flopcount ledger (SQLite) → a run plan: each ledger phase becomes a plan phase with the
tokens the monitor saw and its counted FLOP as the phase's `flops` (shown as method
"reported", beside the analytic count from the tokens), dated by its first and last rows.

The ledger is verified first (hash chain, signatures where signed); a ledger that fails is
refused, never read around. Rows are counted as `record --ledger` counts them (resumed steps
once). The model: `--base-config` (its config.json, for the analytic count), else the
parameter count the monitor logged (tensors counted: an MoE's total, not its active count).
Dates are row write times (UTC), so a phase's start is its first flush, not its first step.
`record --ledger` remains the way to a record from a ledger; this import is for planning on
from it (add the phases still to come) and for `estimate`/`plot`. PostgreSQL ledgers are not
read here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..ledger import Ledger
from ..ledger.phases import phases_from_ledger
from .base import Imported
from .recipe import Flags, run_plan

SQLITE_MAGIC = b"SQLite format 3\x00"


def sniff(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    with Ledger(path, create=False) as ledger:
        check = ledger.verify()
        if not check.ok:
            raise InputError("ledger failed verification: " + "; ".join(check.problems), source=str(path))
        phases, info = phases_from_ledger(list(ledger.rows()), str(path), None)
    imported = Imported(plan={}, trace={})
    if flags.base_config:
        model: dict[str, Any] = {"name": info["model"], "config": str(Path(flags.base_config).resolve())}
        imported.trace["model"] = "--base-config"
    elif isinstance(info["parameters"], dict) and info["parameters"].get("total"):
        model = {"name": info["model"], "params": int(info["parameters"]["total"])}
        imported.trace["model"] = "the parameter count the monitor logged (rows' extra.parameters.total)"
        imported.notes.append("the model is a parameter count (tensors counted: an MoE's total, not its active "
                              "count); pass --base-config for the full formula beside the measured count")
    else:
        raise InputError("the ledger holds no parameter count: pass --base-config (the model's config.json)",
                         source=str(path), field="--base-config")
    out = []
    for i, p in enumerate(phases):
        phase: dict[str, Any] = {"name": p.name, "kind": p.kind}
        if p.kind.startswith("synthetic-data"):
            phase.update(kind="synthetic-data", public=p.kind == "synthetic-data-public")
        if p.tokens:
            phase["tokens"] = p.tokens
        phase["flops"] = p.estimates["measured"][0]
        phase.update(start=p.start[:10], end=p.end[:10])
        imported.trace[f"phases[{i}].flops"] = "sum of the phase's counted rows (measured, else analytic)"
        out.append(phase)
    if flags.seq_len:
        imported.trace["seq_len"] = "--seq-len"
    else:
        imported.notes.append("the ledger holds no sequence length: pass --seq-len for the analytic count beside "
                              "the measured one")
    imported.notes.append(f"verified {check.rows} rows (head {check.head[:16]}…); the measured count is each "
                          "phase's flops (method reported)")
    imported.plan = run_plan(path.stem, model, flags.count("seq_len"), *out)
    return imported
