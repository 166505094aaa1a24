"""Which total a row's FLOP count toward, decided in one place, and a ledger read into totals.

Rows store what ran — phase kind, tokens, FLOP by the method that counted them. Which total
that work counts toward is decided here, when reading, from `data.phases` (Commission
Guidelines C(2025) 5045, Annex A.1): training compute (GPAI criterion, the one-third
modification rule, SB 53's lineage) sums the kinds that update parameters; cumulative
compute (systemic risk) also the kinds that feed capabilities (non-public synthetic data,
merged or initialising weights); the rest is recorded and counted in neither. Every
consumer — the monitor's reading of earlier runs, `status`, records, charts, plans
imported from ledgers, estimates — asks this module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, TypeVar

from ..data.phases import BY_ID as PHASE_KINDS, PhaseKind
from .rows import Row, counted_rows

#: The quantities thresholds are measured on, and which phase kinds each sums.
COUNTS_IN = {"training": lambda k: k.training, "cumulative": lambda k: k.cumulative,
             "modification": lambda k: k.training, "training_lineage": lambda k: k.training}

N = TypeVar("N", int, float)


def adds(kind: PhaseKind, flops: N) -> dict[str, N]:
    """What `flops` of a phase of this kind add to each quantity (0 where it counts not)."""
    return {q: flops if counts(kind) else flops * 0 for q, counts in COUNTS_IN.items()}


def counts_toward(kind_id: str) -> str:
    """"training" (and cumulative), "cumulative" only, or "neither" (recorded, counted in
    no total) — an unknown kind counts in neither."""
    kind = PHASE_KINDS.get(kind_id)
    if kind is None:
        return "neither"
    return "training" if kind.training else "cumulative" if kind.cumulative else "neither"


def run_steps(rows: Iterable[Row]) -> dict[str, int]:
    """The step each run reached (its highest `step_end`). Steps a resumed run re-runs keep
    its run id, so they count once; separate runs of a model add up."""
    reached: dict[str, int] = {}
    for row in rows:
        reached[row.run] = max(reached.get(row.run, 0), row.step_end)
    return reached


@dataclass
class PhaseTotals:
    """One phase of one model, from its rows. Exact ints."""
    kind: str
    ran: int = 0                 # training-loop FLOP that ran, whatever total it counts toward
    training: int = 0
    cumulative: int = 0
    eval: int = 0                # evaluation rows: recorded, counted in neither
    lost: int = 0                # rows a resume superseded
    recomputed: int = 0
    tokens: int = 0
    accelerator_seconds: float = 0.0
    rows: list[Row] = field(default_factory=list)

    @property
    def steps_by_run(self) -> dict[str, int]:
        return run_steps(self.rows)


@dataclass
class ModelTotals:
    """One model's phases, runs and base model, as its rows state them."""
    model: str
    phases: dict[str, PhaseTotals] = field(default_factory=dict)
    runs: set[str] = field(default_factory=set)
    base: int | None = None               # the base model's training compute (a modification)
    base_systemic_risk: bool = False

    @property
    def training(self) -> int:
        return sum(p.training for p in self.phases.values())

    @property
    def cumulative(self) -> int:
        """The rows' cumulative compute (a base model's compute not included)."""
        return sum(p.cumulative for p in self.phases.values())


def summarise(rows: Iterable[Row], *, exclude_run: str | None = None) -> dict[str, ModelTotals]:
    """Each model's totals from a ledger's rows: rows a resume superseded are `lost`, the
    others count as `adds` decides."""
    rows = [r for r in rows if r.run != exclude_run]
    counted = {r.seq for r in counted_rows(rows)}
    out: dict[str, ModelTotals] = {}
    for row in rows:
        if row.row_kind == "resume":
            continue
        m = out.setdefault(row.model, ModelTotals(row.model))
        m.runs.add(row.run)
        m.base = row.extra.get("base_training_compute", m.base)
        m.base_systemic_risk = row.extra.get("base_systemic_risk", m.base_systemic_risk)
        p = m.phases.setdefault(row.phase, PhaseTotals(row.phase_kind))
        p.rows.append(row)
        p.recomputed += row.flops_recomputed
        p.accelerator_seconds += row.accelerator_seconds
        if row.seq not in counted:
            p.lost += row.flops
        elif row.row_kind == "eval":
            p.eval += row.flops
        else:
            p.ran += row.flops
            p.tokens += row.tokens
            kind = PHASE_KINDS.get(row.phase_kind)
            if kind is not None:
                more = adds(kind, row.flops)
                p.training += more["training"]
                p.cumulative += more["cumulative"]
    return out
