"""A record's inputs, and the pipeline that turns them into the record.

`Inputs` holds everything a record states but does not derive; `assemble` calls the
section builders in order, each on the inputs or on sections built before it. `build`
fills `Inputs` from a plan and a ledger; `check` fills them from a record (and its
ledger) and compares what `assemble` gives with what the record says.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import form as documentation
from ..boundary.numbers import flop_text
from ..inputs.plan import BaseModel
from ..model.spec import ModelSpec
from ..inputs.facts import Facts
from ..law.thresholds import Evaluation
from . import obligations as obl, sections, verdicts as law
from .phases import CountedPhase

CONVENTION = "1 multiply-add = 2 FLOP"


@dataclass
class Inputs:
    model_name: str
    phases: list[CountedPhase]               # merged: plan estimates, ledger sums
    provider: str = "unknown provider"
    contact: str | None = None
    open_source: bool = False                # claims the Art. 53(2) exemption
    spec: ModelSpec | None = None            # the model's architecture
    counted_parameters: dict | None = None   # the monitor's count from the tensors (ledger)
    is_modification: bool = False
    base: BaseModel | None = None            # name, training compute, systemic risk (a modification)
    modalities: frozenset[str] | None = None
    placed_on_market: dt.date | None = None
    released: str | None = None              # ISO date
    dependencies: Any = field(default_factory=list)  # the form's answer: names and versions, or "N/A"
    inference_tokens: int | None = None      # the stated inference task's length
    attention: str | None = None             # the attention convention (for an encoder's forward pass)
    inference_flop: int | None = None        # as stated, where the convention is not known
    ledger: dict | None = None               # the ledger's identity (path, rows, head, checkpoint)
    notes: list[str] = field(default_factory=list)
    facts: Facts | None = None               # what the law turns on (flopcount.law); None: a version 1 record
    as_of: dt.date | None = None             # the date the obligations are judged at
    created_at: str = ""
    flopcount_version: str = ""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _lineage(inputs: Inputs, evaluations: list[Evaluation], training: int) -> dict[str, Any]:
    base = inputs.base
    return {"is_modification": inputs.is_modification, "base_model": None if not inputs.is_modification else {
        "name": base.name if base else "base model",
        "training_compute": None if base is None or base.training_compute is None else flop_text(base.training_compute),
        "systemic_risk": bool(base and base.systemic_risk)},
        "modification_rule": law.modification_rule(evaluations, training) if inputs.is_modification else None}


def assemble(inputs: Inputs) -> tuple[dict[str, Any], list[Evaluation]]:
    """The record, and the verdict engine's evaluations it states. With facts (version 2),
    the law engine's obligations for them; without (a version 1 record read back), none."""
    phases = [sections.phase_row(p) for p in inputs.phases]
    hardware = [h for h in map(sections.hardware_row, inputs.phases) if h is not None]
    base = inputs.base if inputs.is_modification else None
    base_compute = base.training_compute if base and base.training_compute else 0
    totals = sections.totals(phases, base_compute)
    evaluations = law.verdicts(phases, hardware, base, inputs.modalities, inputs.placed_on_market)
    crossed = law.crossings(inputs.phases, evaluations, base_compute) if inputs.ledger is not None else {}
    facts = obl.section(inputs.facts, inputs.as_of or dt.date.today()) if inputs.facts is not None else None
    block = None if facts is None else obl.obligations(
        facts, inputs.model_name, phases, hardware, evaluations, base, inputs.modalities, inputs.placed_on_market,
        law.day_of(inputs.released))
    meters = {p.name: (p.energy_joules, p.energy_note, p.emissions_kg) for p in inputs.phases
              if p.energy_joules is not None}
    record = {
        "record_version": 1 if facts is None else 2, "flopcount_version": inputs.flopcount_version, "created_at": inputs.created_at,
        "convention": CONVENTION, "provider": {"name": inputs.provider, "contact": inputs.contact},
        "model": {"name": inputs.model_name, "architecture": inputs.spec.to_dict() if inputs.spec else None,
                  "parameters": sections.parameters(inputs.spec, inputs.counted_parameters)},
        "lineage": _lineage(inputs, evaluations, int(totals["training"]["total"])),
        "phases": phases, "totals": totals, "training_time": sections.training_time(phases),
        "hardware": hardware, "energy": sections.energy(phases, hardware, meters),
        "thresholds": [law.threshold_row(e, crossed.get(e.threshold.id)) for e in evaluations],
        "open_source": law.open_source(inputs.open_source, evaluations, block and block["eu"]),
        **({} if facts is None else {"facts": facts, "obligations": block}),
        "methods": sections.methods(phases, hardware), "ledger": inputs.ledger, "notes": list(inputs.notes),
    }
    record["documentation_form"] = documentation.form(
        record, released=inputs.released, placed_on_market=_iso(inputs.placed_on_market),
        modalities=sorted(inputs.modalities) if inputs.modalities else None, dependencies=inputs.dependencies,
        inference_answer=sections.inference(inputs.spec, inputs.inference_tokens, inputs.attention,
                                            inputs.inference_flop))
    return record, evaluations
