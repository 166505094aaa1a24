"""Turn a plan into estimates: per phase and method, totals, lineage, threshold status.

Methods (convention: one multiply-add = 2 FLOP):
- "full": the per-architecture matmul count of `formulas` (needs a model spec);
- "6ND": 2·N FLOP per token per pass, N = active parameters (6·N·D for full training);
- "hardware": accelerator-seconds × peak × utilisation, an interval;
- "reported": a FLOP figure taken from elsewhere (e.g. a base model's documentation).
Each phase's *primary* estimate (first available of PRIMARY_ORDER, or the method the user
chose) feeds the totals; every other method is shown beside it for comparison.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from ..data import assumptions
from ..model.formulas import forward_flops, generation_flops, kaplan_6nd, training_flops
from ..hardware.accelerators import SECONDS_PER_HOUR, hardware_flops
from ..ledger.summary import COUNTS_IN, adds
from ..boundary.numbers import to_int
from ..inputs.plan import BaseModel, Phase, Plan
from ..model.spec import Parameters, count_parameters
from ..law.thresholds import Alternative, Context, Evaluation, Run, evaluate, runs_in_order

METHODS = ("full", "6ND", "hardware", "reported")
PRIMARY_ORDER = METHODS
ANALYTIC = ("full", "6ND")  # the Guidelines' architecture-based method (Annex A.2)


@dataclass(frozen=True)
class MethodEstimate:
    method: str
    total: int | float          # exact int for analytic counts, float64 for the hardware method
    low: int | float
    high: int | float
    per_token: Fraction | None  # FLOP per token of this phase's work, where defined
    formula: str


@dataclass(frozen=True)
class PhaseResult:
    phase: Phase
    estimates: dict[str, MethodEstimate]
    primary: str

    @property
    def best(self) -> MethodEstimate:
        return self.estimates[self.primary]


@dataclass(frozen=True)
class Quantity:
    """A compute total with its interval (sums of the phases' primary estimates)."""

    total: int | float = 0
    low: int | float = 0
    high: int | float = 0

    def __add__(self, other: "Quantity") -> "Quantity":
        return Quantity(self.total + other.total, self.low + other.low, self.high + other.high)

    @classmethod
    def of(cls, est: MethodEstimate) -> "Quantity":
        return cls(est.total, est.low, est.high)

    @property
    def triple(self) -> tuple[float, float, float]:
        return self.total, self.low, self.high


@dataclass(frozen=True)
class Result:
    plan: Plan
    parameters: Parameters | None
    phases: tuple[PhaseResult, ...]
    training: Quantity            # this plan's own training compute
    cumulative: Quantity          # this plan's own cumulative compute
    lineage_cumulative: Quantity  # plus the base model's compute, when known
    by_method: dict[str, Quantity]
    covered: dict[str, tuple[str, ...]]  # method -> phases (counted in cumulative) it covers
    evaluations: tuple[Evaluation, ...]
    notes: tuple[str, ...] = field(default=())


def _exact(method: str, total: int, per_token: Fraction | None, formula: str) -> MethodEstimate:
    return MethodEstimate(method, total, total, total, per_token, formula)


def phase_estimates(phase: Phase) -> dict[str, MethodEstimate]:
    """Every method the phase's inputs allow."""
    out: dict[str, MethodEstimate] = {}
    model, T, D = phase.model, phase.seq_len, phase.tokens
    train = phase.trainable
    if D is not None:
        if model.spec is not None:
            if phase.work == "generate":
                per_seq, formula = generation_flops(model.spec, T), f"forward only, KV-cached, T={T}"
            elif phase.work == "forward":
                per_seq = forward_flops(model.spec, T, phase.attention, images=phase.images).total
                formula = f"one forward pass, no backward, T={T}, attention {phase.attention}"
            else:
                frozen = not train.is_full
                lora = (train.lora_rank, train.lora_targets) if train.mode == "lora" else None
                per_seq = training_flops(model.spec, T, phase.attention,
                                         trainable_weights=train.weights if train.mode == "frozen" else None,
                                         lora=lora, images=phase.images).total
                formula = f"forward+backward matmuls, T={T}, attention {phase.attention}"
                if model.spec.has_vision:
                    formula += (f", {phase.images} image(s) per sample" if phase.images else
                                ", text only (no images per sample given)")
                formula += f", {train.mode} ({train.adapter_weights or train.weights:,} trained weights)" if frozen else ""
            per_tok = Fraction(per_seq, T)
            out["full"] = _exact("full", to_int(per_tok * D), per_tok, formula)
        N = model.active_params
        if N is None:  # hardware only: no parameter count, so no 6·N·D
            pass
        elif phase.work != "train":
            out["6ND"] = _exact("6ND", 2 * N * D, Fraction(2 * N), "2·N·D (forward only)")
        elif train.is_full:
            out["6ND"] = _exact("6ND", kaplan_6nd(N, D), Fraction(6 * N), "6·N·D")
        else:
            A, W = train.adapter_weights, train.weights
            per = 4 * (N + A) + 2 * (W + A)
            out["6ND"] = _exact("6ND", per * D, Fraction(per), "(4·N + 2·N_trained)·D, frozen base")
    if phase.hardware is not None:
        hw = phase.hardware
        iv = hardware_flops(hw)
        u = hw.utilization
        util = f"U={u[0]:.0%}" if u[0] == u[1] else f"U={u[0]:.0%}–{u[1]:.0%}"
        per_tok = Fraction(iv.total) / D if D else None
        out["hardware"] = MethodEstimate(
            "hardware", iv.total, iv.low, iv.high, per_tok,
            f"{hw.hours:,.0f} {hw.accelerator.id} h × {hw.peak / 1e12:g} TFLOP/s ({hw.precision}) × {util}")
    if phase.reported is not None:
        out["reported"] = _exact("reported", phase.reported, None, "as reported")
    return out


def choose_primary(estimates: dict[str, MethodEstimate], prefer: str | None) -> str:
    if prefer and prefer in estimates:
        return prefer
    return next(m for m in PRIMARY_ORDER if m in estimates)


def threshold_quantities(phases: list[PhaseResult], base_compute: int, pick=lambda pr: pr.best) -> dict:
    """(central, low, high) of each quantity, summing the estimate `pick` chooses per phase;
    the known compute of a base model counts in cumulative compute (its weights initialise
    this one, Guidelines Annex A.1) and in SB 53's lineage."""
    base = Quantity(base_compute, base_compute, base_compute)
    out = {}
    for key, counts in COUNTS_IN.items():
        q = sum((Quantity.of(pick(pr)) for pr in phases if counts(pr.phase.kind)), Quantity())
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
                   # a phase's tokens only a maximum: the token-based figures are upper bounds
                   upper_bound=frozenset(key for key, counts in COUNTS_IN.items() if any(
                       pr.phase.upper_bound and pr.primary in ANALYTIC and counts(pr.phase.kind) for pr in phases)))


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
    notes, limit = [], assumptions.ACCEPTED_ERROR
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


def estimate(plan: Plan, prefer: str | None = None) -> Result:
    """All estimates for a plan, its totals and their threshold evaluations."""
    phases = []
    for phase in plan.phases:
        ests = phase_estimates(phase)
        phases.append(PhaseResult(phase, ests, choose_primary(ests, prefer)))
    training, cumulative = Quantity(), Quantity()
    by_method: dict[str, Quantity] = {}
    covered: dict[str, list[str]] = {}
    for pr in phases:
        if pr.phase.kind.training:
            training += Quantity.of(pr.best)
        if pr.phase.kind.cumulative:
            cumulative += Quantity.of(pr.best)
            for method, est in pr.estimates.items():
                by_method[method] = by_method.get(method, Quantity()) + Quantity.of(est)
                covered.setdefault(method, []).append(pr.phase.name)

    notes = []
    base = plan.base
    lineage = cumulative
    if base is not None:
        if base.training_compute is not None:
            # The base model's weights initialise this one: its compute is part of the
            # modified model's cumulative compute (Guidelines Annex A.1).
            lineage = cumulative + Quantity(base.training_compute, base.training_compute, base.training_compute)
        else:
            notes.append(f"{base.name}: training compute unknown, so cumulative totals cover this plan only and the "
                         "one-third rule uses the Guidelines' fallback line (§3.2), meant only for a base whose "
                         "compute can be neither known nor estimated (¶64); give it (--base-compute; plan: "
                         "base_model.training_compute) and whether the base has systemic risk "
                         "(--base-systemic-risk; plan: base_model.systemic_risk).")
    notes.extend(plan.notes)
    spec = plan.model.spec
    if spec is not None:
        notes.extend(spec.notes)
        notes.extend(f"Implementation vs model FLOP: {n}. The analytic count is the model's; the law's \"compute "
                     "used\" is what was executed, so use a measured ledger where the run used this implementation."
                     for n in spec.implementation_notes())
        if spec.windowed:
            notes.append(f"Attention convention {plan.attention}: windowed = T² on global layers and the window on "
                         "sliding/chunked ones; full = T² everywhere; causal = unmasked pairs only.")
    text_only = [p.name for p in plan.phases if p.tokens is not None and p.model.spec is not None
                 and p.model.spec.has_vision and not p.images and p.work != "generate"]
    if text_only:
        notes.append(f"Vision tower not run in {', '.join(text_only)}: counted as text only. Give the images per "
                     "sample (--images-per-sample; plan: images_per_sample) to count the vision tower per image.")
    if any(p.seq_len_assumed for p in plan.phases if p.tokens is not None and p.model.spec is not None):
        notes.append(f"Sequence length not given: assumed {plan.seq_len} tokens for the full count.")
    evaluations = verdict(phases, plan.base, plan.modalities, plan.placed_on_market)
    notes.extend(accuracy_notes(phases))
    params = count_parameters(plan.model.spec) if plan.model.spec else None
    return Result(plan, params, tuple(phases), training, cumulative, lineage, by_method,
                  {m: tuple(v) for m, v in covered.items()}, tuple(evaluations), tuple(notes))


def per_token_training(plan: Plan, method: str) -> Fraction | None:
    """Training FLOP per token of the plan's model at its seq_len, full training."""
    spec = plan.model.spec
    if method == "full" and spec is not None:
        return Fraction(training_flops(spec, plan.seq_len, plan.attention).total, plan.seq_len)
    if method == "6ND" and plan.model.active_params is not None:
        return Fraction(6 * plan.model.active_params)
    return None
