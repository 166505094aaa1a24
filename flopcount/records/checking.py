"""`record --check`: read a record's inputs back (and its ledger's), assemble them with the
builders `build` uses, and name every field where the record differs, the first first.

Nothing here decides a rule: the expected record comes from `pipeline.assemble`, so a
status, a date, a total, a note or a peak is whatever the verdict engine, the ledger
summary and the accelerator table give for the record's own inputs. A record written
before a field existed (threshold `notes` and `bound`, a hardware row's
`utilization_source`) still reads: a missing field passes where the inputs give it empty
(no notes, no bound); missing notes the engine does give are reported, asking for the
record to be written again.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from . import form as documentation
from ..inputs.configs import spec_from_mapping
from ..data.phases import BY_ID as PHASE_KINDS
from ..boundary.errors import InputError
from ..ledger import Ledger, load_key
from ..ledger import checkpoint as cp
from ..inputs.plan import BaseModel
from .phases import CountedPhase, from_record, merge_ledger, phases_from_ledger
from .obligations import read_section
from .pipeline import Inputs, assemble
from .schema import validate
from .sections import counted
from .verdicts import day_of

MISSING = object()
_ROW = re.compile(r"^(thresholds|phases)\[(\d+)\]\.(.+)$")


def check(record: dict, source: str, ledger_path: str | Path | None = None,
          key_file: str | Path | None = None) -> list[str]:
    """Schema, the record's inputs, its ledger's provenance, then every derived field
    against what the record's inputs (and ledger) give; returns the problems (empty: all
    good)."""
    validate(record, source)
    problems = _input_problems(record)
    if any(".kind:" in p for p in problems):
        return problems  # an unknown phase kind: nothing can be derived from it
    found, measured, info = _ledger(record, ledger_path, key_file)
    if found and measured is None:
        return problems + found
    try:
        rebuilt, evaluations = assemble(inputs_from_record(record, measured, info))
    except (InputError, KeyError, ValueError, TypeError) as exc:
        return problems + found + [f"the record's derived fields cannot be re-derived from its inputs "
                                   f"({type(exc).__name__}: {exc})"]
    statuses = {e.threshold.id: e for e in evaluations}
    problems += found + [_message(path, have, want, rebuilt, statuses)
                         for path, have, want in differences(record, rebuilt)]
    return problems + documentation.check(record)


def _input_problems(record: dict) -> list[str]:
    """What no builder can take: an unknown phase kind, a stated estimate's interval out of
    order (a measured one is the ledger's, re-derived from its rows)."""
    problems = []
    for i, p in enumerate(record["phases"]):
        for method, e in p["estimates"].items():
            if method != "measured" and not int(e["low"]) <= int(e["total"]) <= int(e["high"]):
                problems.append(f"phases[{i}].estimates.{method}: interval not ordered (low ≤ total ≤ high)")
        if p["kind"] not in PHASE_KINDS:
            problems.append(f"phases[{i}].kind: unknown phase kind {p['kind']!r}")
        elif "hardware" in p["estimates"] and counted(p["kind"]) and not any(h["phase"] == p["name"] and h.get("utilization")
                                                    for h in record["hardware"]):
            problems.append(f"phases[{i}].estimates.hardware: no hardware row (accelerator, precision, utilisation) "
                            f"for phase {p['name']!r}")
    return problems


def inputs_from_record(record: dict, measured: list[CountedPhase] | None, info: dict | None) -> Inputs:
    """Everything the record states but does not derive, as `build` would have had it;
    with the record's ledger, the ledger's phases merged in as `build` merges them."""
    model, lineage, form = record["model"], record["lineage"], record["documentation_form"]
    general, inference = form["general"], form.get("inference")
    spec = spec_from_mapping(model["architecture"], "model.architecture", fallback=False) \
        if model["architecture"] else None
    stated = model["parameters"]
    counted = info["parameters"] if info is not None else (
        {"total": stated["total"], "source": stated.get("source")} if stated and spec is None else None)
    facts, as_of = read_section(record["facts"]) if "facts" in record else (None, None)  # version 1: none
    b = lineage["base_model"] or {}
    base = BaseModel(b.get("name") or "base model", int(b["training_compute"]) if b.get("training_compute") else None,
                     bool(b.get("systemic_risk")), gpai=facts.base_gpai if facts else None) \
        if lineage["is_modification"] else None
    phases = from_record(record)
    if measured is not None:
        phases = merge_ledger(_plan_phases(phases, measured), measured)
    return Inputs(
        model["name"], phases, provider=record["provider"]["name"], contact=record["provider"].get("contact"),
        open_source=record["open_source"]["claims_exemption"], spec=spec, counted_parameters=counted,
        is_modification=lineage["is_modification"], base=base,
        modalities=frozenset(general["modalities"]) if general.get("modalities") else None,
        placed_on_market=day_of(general.get("placed_on_eu_market")), released=general.get("released"),
        dependencies=general.get("dependencies"), inference_tokens=inference and inference["tokens"],
        inference_flop=inference and int(inference["flop"]), ledger=record["ledger"],
        notes=record.get("notes", []), facts=facts, as_of=as_of, created_at=record["created_at"], flopcount_version=record["flopcount_version"])


def _plan_phases(phases: list[CountedPhase], measured: list[CountedPhase]) -> list[CountedPhase]:
    """The record's phases that a plan gave (a phase with only a measured estimate is the
    ledger's own, read again from it); a measured estimate the ledger has no rows for is
    dropped, so that the comparison shows it."""
    names = {m.name for m in measured}
    out = []
    for p in phases:
        if set(p.estimates) == {"measured"}:
            continue
        if p.name not in names:
            p.estimates.pop("measured", None)
        out.append(p)
    return out


def _ledger(record: dict, ledger_path: str | Path | None, key_file: str | Path | None
            ) -> tuple[list[str], list[CountedPhase] | None, dict | None]:
    """Provenance: the record's head is in the ledger at its row count (truncation and
    rewrites show) and its checkpoint is signed; then the ledger's phases for the record's
    model. A record whose figures came from a ledger cannot drop it (`"ledger": null`)."""
    led = record.get("ledger")
    from_ledger = [i for i, p in enumerate(record["phases"]) if "measured" in p["estimates"]]
    if led is None:
        if from_ledger or ledger_path is not None:
            return ["ledger: the record names no ledger, but " + (
                f"phases {from_ledger} carry ledger-measured FLOP" if from_ledger else
                "one was given to check against")], None, None
        return [], None, None
    key = load_key(key_file)  # a bad key file is bad input (exit 2), not a failed check
    try:
        with Ledger(ledger_path or led["path"], create=False) as ledger:
            verification = ledger.verify(key, cp.Checkpoint(led["rows"], led["head"]))
            rows = list(ledger.rows())[:led["rows"]]
            display = ledger.display
    except InputError as exc:
        return [f"ledger: {exc}"], None, None
    problems = [f"ledger: {p}" for p in verification.problems] + _checkpoint(led, key)
    if problems:
        return problems, None, None
    try:
        measured, info = phases_from_ledger(rows, display, led.get("model") or record["model"]["name"])
    except InputError as exc:
        return [f"ledger: {exc}"], None, None
    names = {m.name for m in measured}
    mine = {p["name"] for p in record["phases"]}
    problems = [f"phases[{i}]: {record['phases'][i]['name']!r} has ledger-measured FLOP but no rows in the ledger"
                for i in from_ledger if record["phases"][i]["name"] not in names]
    problems += [f"phases: the ledger's phase {m.name!r} is missing from the record (compute dropped)"
                 for m in measured if m.name not in mine]
    return problems, measured, info


def _checkpoint(led: dict, key: bytes | None) -> list[str]:
    point = led.get("checkpoint")
    if point is None:
        return []
    try:
        signed = cp.from_json(point, "ledger.checkpoint")
    except InputError as exc:
        return [str(exc)]
    problems = []
    if (signed.rows, signed.head) != (led["rows"], led["head"]):
        problems.append("ledger.checkpoint: rows/head differ from the record's ledger rows/head")
    problem = cp.signature_problem(signed, key)
    return problems + ([f"ledger.checkpoint: {problem}"] if problem else [])


class _Rows(int):
    def __repr__(self) -> str:
        return f"{int(self)} rows"


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def differences(have: Any, want: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(JSON path, the record's value, the re-derived value) wherever they differ, in the
    record's order. A field the record lacks passes where the re-derived one is empty (a
    record written before that field existed); a list of scalars compares as one value."""
    if isinstance(have, dict) and isinstance(want, dict):
        for key in [*want, *(k for k in have if k not in want)]:
            sub = f"{path}.{key}" if path else key
            if key not in have:
                if not _empty(want[key]):
                    yield sub, MISSING, want[key]
            elif key not in want:
                if have[key] is not None:
                    yield sub, have[key], None
            else:
                yield from differences(have[key], want[key], sub)
    elif isinstance(have, list) and isinstance(want, list) and any(isinstance(v, dict) for v in (*have, *want)):
        for i, (h, w) in enumerate(zip(have, want)):
            yield from differences(h, w, f"{path}[{i}]")
        if len(have) != len(want):
            yield path, _Rows(len(have)), _Rows(len(want))
    elif have != want or isinstance(have, bool) != isinstance(want, bool):
        yield path, have, want


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:200] + " … " + text[-60:]


def _message(path: str, have: Any, want: Any, rebuilt: dict, evaluations: dict) -> str:
    """One difference, saying where the expected value comes from."""
    row = _ROW.match(path)
    table, index, name = (row.group(1), int(row.group(2)), row.group(3)) if row else (None, 0, path)
    if have is MISSING and table == "thresholds" and name == "notes":
        return (f"{path}: missing; the record's phases give {len(want)} ({'; '.join(want)}) — a record written "
                "before notes: write it again")
    have = None if have is MISSING else have
    said = "the record's inputs give"
    if table == "thresholds" and name in ("notes", "bound"):
        said = "the record's phases give"
    elif table == "thresholds" and name == "status":
        said = "the totals say"
    elif table == "phases" and index < len(rebuilt["phases"]) and "measured" in rebuilt["phases"][index]["estimates"] \
            and name not in ("counts_in", "primary", "kind", "name"):
        said = "the ledger gives"
    text = f"{path}: {_short(have)} but {said} {_short(want)}"
    return text + (_why(rebuilt["thresholds"][index], have, evaluations) if name == "status" and table ==
                   "thresholds" and index < len(rebuilt["thresholds"]) else "")


def _why(row: dict, have: Any, evaluations: dict) -> str:
    """Why the engine's status differs from the record's, where a rule explains it."""
    if row.get("bound") == "upper":
        return " (an upper bound: the phases marked bound 'upper' can stop early)"
    if row["status"] == "not applicable":
        return " (the modifier is not the provider of a new model, Guidelines §3.2: the EU rows do not apply)"
    systemic = evaluations.get("eu-systemic-risk")
    if row["id"] == "eu-gpai" and systemic is not None and systemic.met and have != row["status"]:
        return (" (systemic risk is met, and a systemic-risk model is a general-purpose AI model: the GPAI row is "
                "met too)")
    return ""
