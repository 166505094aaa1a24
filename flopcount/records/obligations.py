"""The record's `facts` (what the law turns on that compute does not give: provider,
release, where the model is made available, whether the base model is GPAI, and the
as-of date) and its `obligations` block: the law engine's answer (`flopcount.law.assess`)
for the record's own phase rows and facts.

One path for `build` and `check`: `build` writes the plan's facts as the `facts` section,
and the block is always assessed on that section read back (`read_section`, the plan's
own readers), so a record judged on facts it does not carry cannot be written. The
placing-on-market and first-release dates are the documentation form's (one field each).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import Fields
from ..law import assess
from ..inputs.facts import Facts, read_deploys, read_provider, read_release
from ..law.summary import summary_of
from ..inputs.plan import BaseModel
from ..law.thresholds import Evaluation
from .verdicts import verdict_phases

#: the release facts the engine judges the Art. 53(2) exemption on (`law.open_source`:
#: licence, monetisation incl. personal data as a condition of access, Guidelines §4;
#: publication), all needed before `record --open-source` writes anything
OPEN_SOURCE_FACTS = ("licence", "weights_public", "architecture_public", "usage_info_public", "monetised",
                     "personal_data_for_access")


def missing_open_source_facts(facts: Facts | None) -> list[str]:
    """The `release:` facts a claim of the open-source exemption needs and the plan lacks."""
    release = facts.release if facts is not None else None
    return [name for name in OPEN_SOURCE_FACTS if release is None or getattr(release, name) is None]


def section(facts: Facts, as_of: dt.date) -> dict[str, Any]:
    """The facts as the record writes them (a date as YYYY-MM-DD, words as lists)."""
    r, p = facts.release, facts.provider
    weights = r.weights_public.isoformat() if isinstance(r.weights_public, dt.date) else r.weights_public
    return {"as_of": as_of.isoformat(),
            "provider": {"established": p.established, "annual_revenue_usd": p.annual_revenue_usd},
            "release": {"licence": r.licence, "weights_public": weights, "architecture_public": r.architecture_public,
                        "usage_info_public": r.usage_info_public,
                        "monetised": None if r.monetised is None else list(r.monetised),
                        "personal_data_for_access": r.personal_data_for_access,
                        "restrictions": None if r.restrictions is None else list(r.restrictions)},
            "deploys": list(facts.deploys), "base_model_gpai": facts.base_gpai}


def read_section(data: dict, source: str = "record") -> tuple[Facts, dt.date]:
    """A record's `facts` read as strictly as a plan's (the plan's own readers)."""
    f = Fields(data, source, "facts")
    release = f.sub("release")
    if release.has("placed_on_market"):
        raise release.error("placed_on_market", "is the documentation form's placed_on_eu_market")
    as_of = f.date("as_of")
    if as_of is None:
        raise f.error("as_of", "required field is missing")
    return Facts(provider=read_provider(f.sub("provider")), release=read_release(release), deploys=read_deploys(f),
                 base_gpai=f.flag("base_model_gpai") if f.has("base_model_gpai") else None), as_of


def obligations(facts: dict, model: str, phase_rows: list[dict], hardware: list[dict],
                evaluations: list[Evaluation], base: BaseModel | None, modalities: frozenset[str] | None,
                placed_on_market: dt.date | None, released: dt.date | None) -> dict[str, Any]:
    """The law engine's JSON (flopcount/schema/obligations.schema.json) for the record's
    phase rows as written and its `facts` section: `build` writes it, `check` re-derives it."""
    judged, as_of = read_section(facts)
    judged = replace(judged, release=replace(judged.release, placed_on_market=placed_on_market), released=released)
    summary = summary_of(model, verdict_phases(phase_rows, hardware), evaluations, base, modalities, placed_on_market)
    return assess(summary, judged, as_of).to_json()


def refuse_unstated(facts: Facts | None) -> None:
    """`--open-source` grants nothing by itself: without the release facts, one line naming them."""
    missing = missing_open_source_facts(facts)
    if missing:
        raise InputError("the open-source exemption is judged from the plan's release facts, not granted by the "
                         "flag: give release: " + ", ".join(missing) + " (Art. 53(2); Guidelines §4)",
                         field="--open-source")
