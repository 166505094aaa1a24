"""From counted phases to the verdict engine's inputs, and the verdict: each quantity's
(central, low, high) summed from the phases' primary estimates, the other methods' figures
beside them, the runs in time order, and `evaluate` applied once. `estimate` and compute
records both reach their verdicts through `verdict` here."""
from __future__ import annotations

import datetime as dt

from ..boundary.interval import Interval
from ..data.assumptions import ACCEPTED_ERROR
from ..count.estimate import ANALYTIC, METHODS, PhaseResult, is_maximum, upper_bound_quantities
from ..hardware.accelerators import SECONDS_PER_HOUR
from ..inputs.plan import BaseModel, Plan
from ..ledger.summary import COUNTS_IN, adds
from .lines import Alternative, Context, Evaluation, Run, runs_in_order
from .thresholds import evaluate


def threshold_quantities(phases: list[PhaseResult], base_compute: int, pick=lambda pr: pr.best) -> dict:
    """(central, low, high) of each quantity, summing the estimate `pick` chooses per phase;
    the known compute of a base model counts in cumulative compute (its weights initialise
    this one, Guidelines Annex A.1) and in SB 53's lineage."""
    base = Interval.exact(base_compute)
    out = {}
    for key, counts in COUNTS_IN.items():
        q = sum((Interval.of(pick(pr)) for pr in phases if counts(pr.phase.kind)), Interval())
        out[key] = (q + base if key in ("cumulative", "training_lineage") else q).triple
    return out


def reconciling_utilization(phases: list[PhaseResult], method: str, key: str) -> tuple[float, str] | None:
    """The utilisation at which the hardware method's central figure equals the
    architecture-based count, over the phases counted in `key` where one of the pair is
    the primary and the other `method`: Σ analytic FLOP / Σ accelerator-seconds × peak."""
    flop, capacity, names = 0, 0.0, set()
    for pr in phases:
        pair = {method: pr.estimates.get(method), pr.primary: pr.best}
        hw = pr.phase.hardware
        if not COUNTS_IN[key](pr.phase.kind) or hw is None or "hardware" not in pair or len(pair) != 2:
            continue
        name = next(m for m in pair if m != "hardware")
        if name in ANALYTIC and pair[name] is not None:
            flop += pair[name].total
            capacity += hw.hours * SECONDS_PER_HOUR * hw.peak
            names.add(name)
    return (flop / capacity, "/".join(sorted(names))) if capacity else None


def alternatives(phases: list[PhaseResult], base_compute: int) -> tuple[Alternative, ...]:
    """Every method other than the primary, as the quantities it would give where it applies."""
    methods = [m for m in METHODS if any(m in pr.estimates and m != pr.primary for pr in phases)]
    out = []
    for m in methods:
        util = {key: r for key in COUNTS_IN if (r := reconciling_utilization(phases, m, key))}
        out.append(Alternative(m, threshold_quantities(phases, base_compute, lambda pr: pr.estimates.get(m, pr.best)),
                               {k: u for k, (u, _) in util.items()},
                               next((name for _, name in util.values()), "")))
    return tuple(out)


def verdict_context(plan: Plan, phases: list[PhaseResult]) -> Context:
    return phases_context(phases, plan.base, plan.modalities, plan.placed_on_market)


def phases_context(phases: list[PhaseResult], base: BaseModel | None, modalities: frozenset[str] | None = None,
                   placed_on_market: dt.date | None = None) -> Context:
    """What the verdict engine needs beside the quantities: the lineage, the runs in time
    order, the primary method and every other method's figures (`alternatives`)."""
    runs = runs_in_order(Run(pr.phase.start, adds(pr.phase.kind, pr.best.high)) for pr in phases)
    primaries = {pr.primary for pr in phases}
    base_compute = base.training_compute if base and base.training_compute else 0
    return Context(is_modification=base is not None, base_training=base.training_compute if base else None,
                   base_systemic=bool(base and base.systemic_risk), base_gpai=base.gpai if base else None,
                   modalities=modalities,
                   placed_on_market=placed_on_market, runs=runs,
                   primary=primaries.pop() if len(primaries) == 1 else "the primary estimate",
                   alternatives=alternatives(phases, base_compute),
                   upper_bound=upper_bound_quantities(phases),
                   floor={k: q[1] for k, q in threshold_quantities(phases, base_compute, _certain).items()})


def _certain(pr: PhaseResult) -> Interval:
    """A phase's part of the certain minimum: nothing from a phase whose figure is only a maximum."""
    return Interval() if is_maximum(pr) else Interval.of(pr.best)


def verdict(phases: list[PhaseResult], base: BaseModel | None = None, modalities: frozenset[str] | None = None,
            placed_on_market: dt.date | None = None) -> list[Evaluation]:
    """The threshold evaluations of phases (each with its methods' estimates and its
    primary): the one path from phases to verdicts, for `estimate` and compute records."""
    base_compute = base.training_compute if base and base.training_compute else 0
    return evaluate(threshold_quantities(phases, base_compute),
                    phases_context(phases, base, modalities, placed_on_market))


def accuracy_notes(phases: list[PhaseResult]) -> list[str]:
    """Annex A.2 accepts an estimate within 30%: say where the methods of a phase disagree
    by more than that with the one used, or where its interval is wider than that."""
    notes, limit = [], ACCEPTED_ERROR
    for pr in phases:
        used = pr.best
        if used.total and max(used.total - used.low, used.high - used.total) > limit * used.total:
            notes.append(f"{pr.phase.name}: the {used.method} interval reaches beyond ±{limit:.0%} of its central "
                         f"value (Guidelines Annex A.2 asks for {limit:.0%}); narrow it (measured utilisation, "
                         "a ledger) or document why it is the best available.")
        for method, est in pr.estimates.items():
            if method != used.method and used.total and abs(est.total - used.total) > limit * used.total:
                notes.append(f"{pr.phase.name}: {method} differs from {used.method} by "
                             f"{(est.total - used.total) / used.total:+.0%}, more than the {limit:.0%} Annex A.2 "
                             "accepts; say which is right and why.")
    return notes
