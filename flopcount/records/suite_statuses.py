"""Each checkpoint of a suite judged as a model on the market: its estimate
(`checkpoint_plan`, `checkpoint_result`), its threshold statuses and its obligations, with
as few calls to the engines as the monotonicity of compute allows.

Threshold statuses come from the verdict engine (`estimate.verdict`), called on a
checkpoint's phase, never re-derived here. Compute grows with the step and each status
holds over one interval of compute, so the engine is asked at the first and last checkpoint
and, where they differ, at the middle one, recursively: O(lines × log checkpoints) calls.

Obligations: each checkpoint is a model placed on the market, so its obligations follow its
compute. They come from the law engine (`law.summary.of_estimate` on `estimate` of the plan
stopped at that checkpoint, `checkpoint_plan`), judged at one as-of date for the whole
table, never from a copy of its rules. The engine is a pure function of three things:
the plan's facts (one model's are the same at every checkpoint: the suite's `release:` and
`provider:` under the model's own), the as-of date (one per table), and the compute summary
`law.summary.summarise` makes, whose fields other than `figures` are statuses against a
line (each monotone in compute, like the verdict's) and the date a line became known (None
until it is met, then fixed); `figures` only word the reasons, which the table leaves out.
So the bisection's key at a checkpoint is its verdict statuses *and* that summary without
its figures: where the key is equal at both ends of a stretch it is equal throughout, and
so are the obligations, which are assessed once per stretch of equal key (a "status
segment": two for a run that crosses one line) and repeated down its rows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from ..count.estimate import MethodEstimate, PhaseResult, Result
from ..law.counted import verdict
from ..law.estimate import estimate
from ..law.summary import of_estimate, summarise
from ..inputs.plan import Plan
from .suite_types import Model

#: The obligations columns: the EU summary (law/result.py's JSON keys) and whether each US
#: state statute applies, at each checkpoint.
OBLIGATIONS = ("eu_gpai", "eu_systemic_risk", "eu_open_source_exemption", "eu_notify", "eu_notify_by",
               "ca_sb53_applies", "ny_raise_applies")


def checkpoint_plan(model: Model, step: int) -> Plan:
    """The model's plan stopped at checkpoint `step`: its run's tokens to that step (and, where
    the run gives accelerator time, the same share of it, as the table's hardware columns
    read it); the phases before the run whole. `estimate` of it is the checkpoint's estimate."""
    plan = model.plan
    run = plan.phases[-1]
    tokens = int(step) * model.tokens_per_step
    hardware = run.hardware
    full = model.last_step * model.tokens_per_step
    if hardware is not None and full:
        hardware = dataclasses.replace(hardware, hours=hardware.hours * tokens / full)
    return dataclasses.replace(plan, phases=(*plan.phases[:-1], dataclasses.replace(run, tokens=tokens,
                                                                                    hardware=hardware)))


def checkpoint_result(model: Model, step: int) -> Result:
    """`estimate` of the checkpoint (the model's own result at its run's last step)."""
    if int(step) == model.last_step:
        return model.result
    return estimate(checkpoint_plan(model, step), prefer=model.run.primary)


def _obligations_row(result: Result, as_of: dt.date) -> tuple:
    """The OBLIGATIONS columns of one checkpoint, from the law engine's JSON (law/result.py)."""
    o = of_estimate(result, as_of).to_json()
    eu = o["eu"]
    return (eu["gpai"], eu["systemic_risk"], eu["open_source_exemption"], eu["notify"]["status"], eu["notify"]["by"],
            o["ca_sb53"]["applies"], o["ny_raise"]["applies"])


def _statuses(model: Model, totals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
              as_of: dt.date | None = None) -> dict[str, list]:
    """Each threshold's status and whether the checkpoint is over it, from the verdict
    engine; with `as_of`, the OBLIGATIONS columns from the law engine, assessed once per
    stretch of checkpoints whose key (statuses and the law's compute summary without its
    figures: module docstring) is equal."""
    pr0 = model.run
    n = len(model.steps)
    cache: dict[int, tuple] = {}
    results: dict[int, Result] = {}

    def at(i: int) -> tuple:
        if i not in cache:
            ests = {m: MethodEstimate(m, own[i], own_lo[i], own_hi[i], pr0.estimates[m].per_token,
                                      pr0.estimates[m].formula)
                    for m, (own, own_lo, own_hi) in totals.items()}
            phase = dataclasses.replace(pr0.phase, tokens=int(model.steps[i]) * model.tokens_per_step)
            evs = verdict([*model.prior, PhaseResult(phase, ests, pr0.primary)], model.plan.base, model.plan.modalities,
                          model.plan.placed_on_market)
            key: tuple = tuple((ev.threshold.id, ev.status, ev.met) for ev in evs)
            if as_of is not None:
                results[i] = checkpoint_result(model, int(model.steps[i]))
                key = (key, dataclasses.replace(summarise(results[i]), figures={}))
            cache[i] = key
        return cache[i]

    filled: list[int] = [0] * n   # each row: the checkpoint whose key (and engine result) it shares

    def fill(lo: int, hi: int) -> None:
        a, b = at(lo), at(hi)
        if a == b:
            for i in range(lo, hi + 1):
                filled[i] = lo
            return
        if hi - lo <= 1:
            filled[lo], filled[hi] = lo, hi
            return
        mid = (lo + hi) // 2
        fill(lo, mid)
        fill(mid, hi)

    fill(0, n - 1)
    out: dict[str, list] = {}
    for i in filled:
        row = cache[i][0] if as_of is not None else cache[i]
        for tid, st, met in row:
            out.setdefault(f"status_{tid}", []).append(st)
            out.setdefault(f"over_{tid}", []).append(met)
    if as_of is not None:
        rows: list[tuple] = []
        for j, i in enumerate(filled):   # one assessment per stretch of equal key, at a checkpoint in it
            if j == 0 or cache[i] != cache[filled[j - 1]]:
                segment = _obligations_row(results[i], as_of)
            rows.append(segment)
        for j, name in enumerate(OBLIGATIONS):
            out[name] = [r[j] for r in rows]
    return out
