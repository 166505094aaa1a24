"""An estimate with its verdict: the count layer's phases and totals (`count_plan`),
judged once by the verdict engine (`flopcount.law.counted.verdict`). This is
`flopcount.estimate`, what the CLI, records, suites and notebooks call.

The count layer's names are re-exported so the old import path `flopcount.estimate`
(a module before the layer folders) keeps every name it had.
"""
from __future__ import annotations

from dataclasses import replace

from ..count.estimate import (ANALYTIC, METHODS, PRIMARY_ORDER, MethodEstimate, PhaseResult,  # noqa: F401
                              Quantity, Result, choose_primary, count_plan, per_token_training, phase_estimates,
                              upper_bound_quantities)
from ..inputs.plan import Plan
from .counted import (accuracy_notes, alternatives, phases_context, reconciling_utilization, threshold_quantities,  # noqa: F401
                      verdict, verdict_context)


def estimate(plan: Plan, prefer: str | None = None) -> Result:
    """All estimates for a plan, its totals and their threshold evaluations, with a note
    wherever the methods disagree by more than the accuracy Annex A.2 accepts."""
    counted = count_plan(plan, prefer)
    phases = list(counted.phases)
    return replace(counted, evaluations=tuple(verdict(phases, plan.base, plan.modalities, plan.placed_on_market)),
                   notes=counted.notes + tuple(accuracy_notes(phases)))
