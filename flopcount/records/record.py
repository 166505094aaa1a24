"""Annex XI compute records: build from a run plan and/or a ledger, validate, check.

A record is versioned JSON validated against `schema/compute-record-v1.json` on write
and on read. FLOP values are decimal-integer strings (exact beyond 2^53; interval ends
of the hardware method are rounded to whole FLOP). A record is assembled from its inputs
by the section builders of `flopcount.records` (`records.pipeline.assemble`); `check`
reads the inputs back from the record (and its ledger), assembles them with the same
builders and names the first derived field that differs. The record alone is enough to
regenerate its Markdown and HTML reports (`flopcount.records.report`).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..boundary.errors import InputError
from ..ledger import Ledger, load_key
from ..ledger import checkpoint as cp
from ..inputs.plan import BaseModel, Plan
from .phases import (METHOD_TEXT, PRIMARY, CountedPhase, achieved_utilization, from_plan,  # noqa: F401
                             merge_ledger, phases_from_ledger, with_measured_utilization)
from ..inputs.facts import Facts
from .checking import check  # noqa: F401
from .obligations import refuse_unstated
from .pipeline import CONVENTION, Inputs, assemble  # noqa: F401
from .schema import schema, validate  # noqa: F401
from .sections import OPEN_SOURCE_NOTE, no_peak  # noqa: F401
from .verdicts import verdict_phases, verdicts  # noqa: F401

__all__ = ["build", "check", "validate", "load", "write", "schema", "phases_from_ledger", "verdict_phases", "verdicts",
           "no_peak", "with_measured_utilization", "achieved_utilization"]


def _read_ledger(ledger_path: str | Path, key_file: str | Path | None, model: str | None,
                 plan: Plan | None) -> tuple[list[CountedPhase], dict[str, Any], dict[str, Any]]:
    """The ledger's phases for the record's model, what its rows say of the model, and the
    ledger's identity (verified first: a ledger failing verification is refused)."""
    with Ledger(ledger_path, create=False, key=load_key(key_file)) as ledger:
        verified = ledger.verify(ledger.key)
        if not verified.ok:
            raise InputError("ledger failed verification: " + "; ".join(verified.problems), source=ledger.display)
        measured, info = phases_from_ledger(list(ledger.rows()), ledger.display, model,
                                            plan.model.name if plan else None)
        point = cp.make(verified.rows, verified.head, ledger.key)
    return measured, info, {"path": str(ledger_path), "rows": verified.rows, "head": verified.head,
                            "verified": verified.ok, "model": info["model"], "checkpoint": point.to_json()}


def _plan_inputs(plan: Plan, measured: list[CountedPhase] | None) -> Inputs:
    """What a plan states (with the ledger's measured utilisation where the plan gives none)."""
    if measured is not None:
        plan = with_measured_utilization(plan, measured)
    phases, result = from_plan(plan)
    achieved = achieved_utilization(measured or [])
    for entry in phases:
        if entry.utilization_source == "default" and entry.name in achieved:
            entry.utilization_source = "measured"
    b = plan.base
    spec = plan.model.spec
    given = {"total": plan.model.active_params, "source": "given in the plan (model.params)"} \
        if spec is None and plan.model.active_params is not None else None
    return Inputs(plan.model.name, phases, spec=spec, counted_parameters=given, is_modification=b is not None,
                  base=None if b is None else BaseModel(b.name, b.training_compute, b.systemic_risk, gpai=b.gpai),
                  modalities=plan.modalities, placed_on_market=plan.placed_on_market,
                  released=plan.released.isoformat() if plan.released else None,
                  dependencies=[] if b is None else [b.name + (f" (version {b.version})" if b.version else "")],
                  inference_tokens=plan.seq_len, attention=plan.attention, notes=list(result.notes), facts=plan.facts)


def _ledger_inputs(info: dict[str, Any]) -> Inputs:
    """What a ledger alone states of its model: name, base model, parameter count."""
    base = None if info["base"] is None else BaseModel("base model", info["base"], info["base_systemic_risk"])
    return Inputs(info["model"], [], is_modification=base is not None, base=base,
                  dependencies=[] if base is None else [base.name], facts=Facts())


def build(*, plan: Plan | None = None, ledger_path: str | Path | None = None, model: str | None = None,
          provider: str = "unknown provider", contact: str | None = None, open_source: bool = False,
          modalities: frozenset[str] | None = None, placed_on_market: dt.date | None = None,
          released: dt.date | None = None, key_file: str | Path | None = None,
          as_of: dt.date | None = None) -> dict[str, Any]:
    """A compute record from a plan, a ledger, or both (ledger phases add "measured"
    estimates to plan phases of the same name, and are preferred as primary), with the
    law engine's obligations on the plan's facts (provider, release, deploys) at `as_of`
    (default today). `open_source` claims the Art. 53(2) exemption: it needs the plan's
    release facts (InputError naming the missing ones), and the exemption is the
    engine's answer on them, never the claim's."""
    if plan is None and ledger_path is None:
        raise InputError("give a run plan, a ledger, or both")
    read = _read_ledger(ledger_path, key_file, model, plan) if ledger_path is not None else None
    if plan is not None:
        inputs = _plan_inputs(plan, read[0] if read else None)
    else:
        inputs = _ledger_inputs(read[1])
        inputs.modalities, inputs.placed_on_market = modalities, placed_on_market
        inputs.released = released.isoformat() if released else None
    if read is not None:
        measured, info, inputs.ledger = read
        inputs.phases = merge_ledger(inputs.phases, measured)
        inputs.counted_parameters = info["parameters"]
    if open_source:
        refuse_unstated(inputs.facts)
    inputs.provider, inputs.contact, inputs.open_source = provider, contact, open_source
    inputs.as_of = as_of or dt.date.today()
    inputs.created_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    inputs.flopcount_version = __version__
    record, _ = assemble(inputs)
    validate(record, "record")
    return record


def write(record: dict, out: str | Path) -> list[Path]:
    """record.json, record.md and record.html at `out` (a path stem)."""
    from .report import to_html, to_markdown
    stem = Path(out)
    paths = [stem.parent / f"{stem.name}{ext}" for ext in (".json", ".md", ".html")]  # names may contain dots
    texts = [json.dumps(record, indent=2, ensure_ascii=False) + "\n", to_markdown(record), to_html(record)]
    try:  # everything rendered first: a failure writes nothing half-way
        stem.parent.mkdir(parents=True, exist_ok=True)
        for path, text in zip(paths, texts):
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or stem}: {exc.strerror or exc}", field="--output") from None
    return paths


def load(path: str | Path) -> dict:
    from ..boundary.fields import load_mapping
    if Path(path).suffix.lower() != ".json":
        raise InputError("a compute record is a .json file", source=str(path))
    return load_mapping(path)

