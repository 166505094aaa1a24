"""Suite models that build on earlier ones: `from: NAME` (a run continued from another
model's checkpoint) and `soup: [NAMES]` (weights averaged from several runs). The compute
behind the starting weights counts toward every checkpoint's cumulative compute
(Guidelines Annex A.1), so these resolve to plans whose earlier phases are the other
models' own.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Mapping

import numpy as np

from ..data.phases import BY_ID
from ..boundary.fields import Fields
from ..law.estimate import estimate
from ..inputs.plan import Plan
from ..model.spec import count_parameters
from .suite_sources import _is_olmo
from .suite_types import Model


def _chain(entry: Fields, path: Path | None, plan: Plan, models: Mapping[str, Model]) -> tuple[Plan, str, list[str]]:
    """`from: NAME`: this run starts from model NAME's checkpoint (the step its OLMo
    `load_path` names, else NAME's last step); NAME's phases up to that step come first, so
    every checkpoint counts them (Guidelines Annex A.1: compute behind the weights a model
    is initialised from counts toward its cumulative compute)."""
    name = entry.text("from")
    base = models.get(name)
    if base is None:
        raise entry.error("from", f"no earlier model named {name!r} in this suite")
    step = None
    if path is not None and _is_olmo(path):
        from ..importers import olmo
        step = olmo.load_step(path)
    how = f"the checkpoint its load_path names" if step is not None else f"{name}'s last step"
    step = base.last_step if step is None else step
    if step > base.last_step:
        raise entry.error("from", f"starts from step {step:,} of {name}, past its last step {base.last_step:,}")
    own = base.run.phase
    start = dataclasses.replace(own, tokens=step * base.tokens_per_step, name=f"{own.name} (to step {step:,})")
    if plan.model.spec is not None and base.plan.model.spec is not None and \
            count_parameters(plan.model.spec).total != count_parameters(base.plan.model.spec).total:
        raise entry.error("from", f"{name} has another architecture ({count_parameters(base.plan.model.spec).total:,}"
                          f" parameters): a run continues the same weights")
    phases = (*(pr.phase for pr in base.prior), start, *plan.phases)
    note = (f"cumulative reading: starts from {name} at step {step:,} ({how}): its {step * base.tokens_per_step:,} "
            "tokens" + (" and what it builds on" if base.prior else "") + " count at every checkpoint "
            "(Guidelines Annex A.1: compute behind initialising weights counts toward cumulative compute)")
    return dataclasses.replace(plan, phases=phases), f"{name}@{step}", [note]


def _soup(entry: Fields, models: Mapping[str, Model]) -> Model:
    """`soup: [NAMES]`: weights averaged from the named runs' last checkpoints. Its compute
    is every ingredient's own run plus, once, what they all start from; the ingredients'
    runs are kind `merged-weights` (data/phases.py: compute behind merged or averaged weights
    counts toward cumulative compute, Guidelines Annex A.1). One checkpoint: the soup."""
    names = entry.raw("soup")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names):
        raise entry.error("soup", "must list two or more earlier models by name")
    parts = []
    for n in names:
        if n not in models:
            raise entry.error("soup", f"no earlier model named {n!r} in this suite")
        parts.append(models[n])
    first = parts[0]
    for m in parts[1:]:
        if tuple(pr.phase for pr in m.prior) != tuple(pr.phase for pr in first.prior):
            raise entry.error("soup", f"{m.name} and {first.name} start from different weights: a soup averages "
                              "runs from one start")
        if m.result.parameters and first.result.parameters and m.result.parameters.total != first.result.parameters.total:
            raise entry.error("soup", f"{m.name} and {first.name} differ in architecture")
    merged = [dataclasses.replace(m.run.phase, kind=BY_ID["merged-weights"]) for m in parts]
    plan = dataclasses.replace(first.plan, name=entry.text("name"), phases=(*(pr.phase for pr in first.prior), *merged))
    last = parts[-1]
    note = (f"cumulative reading: soup of {', '.join(names)}: each ingredient's own run (kind merged-weights: compute "
            "behind merged or averaged weights counts toward cumulative compute, Guidelines Annex A.1) plus, once, "
            f"what they start from ({first.builds_on or 'nothing'}); training compute (the GPAI criterion) counts "
            "only the shared start, the ingredients count toward cumulative compute")
    return Model(entry.text("name"), entry.source or "", estimate(plan), last.last_step, last.tokens_per_step,
                 np.array([last.last_step], dtype=np.int64), (note,), "soup: " + ", ".join(names))
