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

from dataclasses import dataclass
from fractions import Fraction

from ..model.formulas import forward_flops, generation_flops, kaplan_6nd, training_flops
from ..hardware.accelerators import hardware_flops
from ..ledger.summary import COUNTS_IN
from ..boundary.interval import Interval
from ..boundary.numbers import to_int
from ..inputs.plan import Phase, Plan
from ..model.spec import Parameters, count_parameters

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


#: A total with its interval (sums of the phases' primary estimates): the one `Interval` type.
Quantity = Interval


@dataclass(frozen=True)
class Result:
    plan: Plan
    parameters: Parameters | None
    phases: tuple[PhaseResult, ...]
    training: Interval            # this plan's own training compute
    cumulative: Interval          # this plan's own cumulative compute
    lineage_cumulative: Interval  # plus the base model's compute, when known
    by_method: dict[str, Interval]
    covered: dict[str, tuple[str, ...]]  # method -> phases (counted in cumulative) it covers
    evaluations: tuple = ()       # the law's rows (flopcount.law.thresholds.Evaluation), filled by
    notes: tuple[str, ...] = ()   # flopcount.estimate; a bare count_plan() leaves them empty
    upper_bound: frozenset[str] = frozenset()  # totals that are only maxima (upper_bound_quantities)


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


def is_maximum(pr: PhaseResult) -> bool:
    """A phase whose figure is only a maximum: its tokens are (a recipe that can stop early)
    and the figure used is token-based (analytic)."""
    return pr.phase.upper_bound and pr.primary in ANALYTIC


def upper_bound_quantities(phases: list[PhaseResult]) -> frozenset[str]:
    """The totals that are only maxima: those counting a phase that is (`is_maximum`)."""
    return frozenset(key for key, counts in COUNTS_IN.items()
                     if any(is_maximum(pr) and counts(pr.phase.kind) for pr in phases))


def count_plan(plan: Plan, prefer: str | None = None) -> Result:
    """All estimates for a plan and its totals, without verdicts (`evaluations` is empty):
    the law layer judges them (`flopcount.estimate`, which is `flopcount.law.estimate.estimate`)."""
    phases = []
    for phase in plan.phases:
        ests = phase_estimates(phase)
        phases.append(PhaseResult(phase, ests, choose_primary(ests, prefer)))
    training, cumulative = Interval(), Interval()
    by_method: dict[str, Interval] = {}
    covered: dict[str, list[str]] = {}
    for pr in phases:
        if pr.phase.kind.training:
            training += Interval.of(pr.best)
        if pr.phase.kind.cumulative:
            cumulative += Interval.of(pr.best)
            for method, est in pr.estimates.items():
                by_method[method] = by_method.get(method, Interval()) + Interval.of(est)
                covered.setdefault(method, []).append(pr.phase.name)

    notes = []
    base = plan.base
    lineage = cumulative
    if base is not None:
        if base.training_compute is not None:
            # The base model's weights initialise this one: its compute is part of the
            # modified model's cumulative compute (Guidelines Annex A.1).
            lineage = cumulative + Interval.exact(base.training_compute)
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
    params = count_parameters(plan.model.spec) if plan.model.spec else None
    return Result(plan, params, tuple(phases), training, cumulative, lineage, by_method,
                  {m: tuple(v) for m, v in covered.items()}, (), tuple(notes),
                  upper_bound_quantities(phases))


def per_token_training(plan: Plan, method: str) -> Fraction | None:
    """Training FLOP per token of the plan's model at its seq_len, full training."""
    spec = plan.model.spec
    if method == "full" and spec is not None:
        return Fraction(training_flops(spec, plan.seq_len, plan.attention).total, plan.seq_len)
    if method == "6ND" and plan.model.active_params is not None:
        return Fraction(6 * plan.model.active_params)
    return None
