"""The EU AI Act's questions in the order they decide each other: who is the provider
(Guidelines §3.2), is the model general-purpose (Guidelines §2.1), is it presumed to have
systemic risk (Art. 51(2)), and the notification that follows (Art. 52(1)). Each returns
its value and the reason, with its provision."""
from __future__ import annotations

import datetime as dt

from ..data.obligations import CHAPTER_V_DATE, LEGACY_DATE, NOTIFY_DAYS
from ..data.thresholds import GPAI_MODALITIES
from .compute import ComputeSummary, met
from ..inputs.facts import Facts
from .lines import notify_by
from .result import Duty, Reading

NOTIFY_PROVISION = "Art. 52(1)"


def role(c: ComputeSummary, facts: Facts) -> tuple[str, str, tuple[Reading, ...]]:
    """Original provider, a modifier who becomes one, or not a provider (Guidelines §3.2)."""
    if "EU" not in facts.deploys:
        return "not_provider", "not made available on the Union market (deploys): the AI Act's GPAI duties attach " \
                               "to placing on the market (Art. 2(1)(a), Art. 3(9))", ()
    if not c.is_modification:
        return "original", "develops the model and places it on the market under its own name (Art. 3(3))", ()
    line = c.figures.get("modification_line", "one third of the base")
    if c.base_systemic and c.modification_cumulative is not None and met(c.modification) != met(
            c.modification_cumulative):
        readings = (
            Reading(f"the modification's training compute against {line} decides: "
                    f"{'over' if met(c.modification) else 'not over'} (Guidelines §3.2.2 compares training compute)",
                    "Guidelines §3.2.2; Annex A.1"),
            Reading(f"a systemic-risk base is judged on cumulative compute, so the modification's cumulative compute "
                    f"(incl. non-public synthetic data) is compared: {'over' if met(c.modification_cumulative) else 'not over'}",
                    "Art. 51(2); Guidelines Annex A.1"))
        return "review", "the one-third comparison for a systemic-risk base admits two readings", readings
    if c.modification == "not applicable":
        return "original", ("the base model is not a general-purpose AI model: the one-third rule (Guidelines §3.2) "
                            "is about modifying one, so the modified model is judged on its own, as its provider's "
                            "(Guidelines §2.1)"), ()
    if c.modification == "below":
        return "not_provider", (f"the modification is not over {line}: the modifier does not become a provider "
                                "and owes no Art. 52-55 duty; the base's provider keeps its own (Guidelines §3.2)"), ()
    how = "over" if c.modification == "crossed" else f"{c.modification} (treated as over, conservatively)"
    return "modifier", (f"the modification is {how} {line}: provider of the modified model, its duties covering the "
                        "modification (Guidelines §3.2; Recital 109)"), ()


def gpai(c: ComputeSummary, facts: Facts, provider: str) -> tuple[str, str]:
    """GPAI status: for a modifier the base's (a modified GPAI model stays one); else the
    indicative criterion, > 10^23 training FLOP and generating language, images or video."""
    if provider == "not_provider":
        return "n/a", "not a provider"
    if provider == "review":
        return "review", "follows the provider role, which admits two readings"
    if c.is_modification and facts.base_gpai is not False:  # a base that is not GPAI: judged on its own, below
        if facts.base_gpai:
            return "yes", "a modification of a GPAI model is one (Guidelines §3.2)"
        if c.base_systemic:
            return "yes", "the base has systemic risk, which only a GPAI model can have (Art. 51(1))"
        return "presumed", ("whether the base is a GPAI model is not stated: taken as one, as the threshold verdicts "
                            "take it (conservative); add base_model.gpai (Guidelines §3.2)")
    training = c.figures.get("training", "the training compute")
    if c.gpai == "below" and c.modalities is not None and not c.modalities & GPAI_MODALITIES:
        return "no", (f"generates {', '.join(sorted(c.modalities))}: not language, images or video; the criterion is "
                      "indicative (Guidelines §2.1)")
    own = "; the base is not a GPAI model, so the modified model is judged on its own" \
        if c.is_modification else ""
    if c.gpai == "below":
        return "no", f"training compute {training} is not over 10^23 FLOP (Guidelines §2.1, indicative){own}"
    if c.gpai == "at most":
        return "review", (f"training compute at most {training} (an upper bound: the run can stop early): a GPAI "
                          "model only if the run trains past the line (Guidelines §2.1; or past 10^25, Art. 51(2)); "
                          "the tokens trained decide")
    if c.gpai == "straddles":
        return "review", (f"training compute {training} straddles the indicative 10^23 line (Guidelines §2.1): "
                          "narrow the estimate")
    if c.gpai == "presumed":
        return "presumed", "presumed to have systemic risk, which only a GPAI model can have (Art. 51(1))"
    note = "" if c.modalities is not None else "; modalities not stated: presumed on compute alone (add modalities)"
    return "presumed", f"training compute {training} > 10^23 FLOP (Guidelines §2.1 indicative criterion){note}{own}"


def systemic(c: ComputeSummary, provider: str, gpai_status: str) -> tuple[str, str]:
    """The Art. 51(2) presumption on cumulative compute; a provider by modification of a
    systemic-risk base is presumed to have one (Guidelines §3.2.2)."""
    if provider == "not_provider" or gpai_status in ("no", "n/a"):
        return "n/a", "not a GPAI model's provider"
    if c.systemic == "below" and not (c.is_modification and c.base_systemic):
        return "no", f"cumulative compute {c.figures.get('cumulative', 'cumulative compute')} is not over 10^25 FLOP " \
                     "(Art. 51(2))"
    if c.systemic == "at most" and provider != "review":
        return "at_most", (f"cumulative compute at most {c.figures.get('cumulative', 'cumulative compute')} (an upper "
                           "bound: the run can stop early), over 10^25 FLOP: presumed only if the run trains past "
                           "the line (Art. 51(2)); the tokens trained decide")
    if "review" in (provider, gpai_status):
        return "review", "follows the provider role or GPAI status, which admit two readings"
    if c.is_modification and c.base_systemic:
        if c.modification == "at most":
            return "at_most", ("modification over one third of a systemic-risk base only as an upper bound (the run "
                               "can stop early): presumed only if it trains past one third (Guidelines §3.2.2); the "
                               "tokens trained decide")
        return "presumed", "modification over one third of a systemic-risk base: presumed (Guidelines §3.2.2)"
    cumulative = c.figures.get("cumulative", "cumulative compute")
    if c.systemic in ("crossed", "presumed"):
        return "presumed", f"cumulative compute {cumulative} > 10^25 FLOP (Art. 51(2))"
    if c.systemic == "straddles":
        return "straddles", (f"cumulative compute {cumulative} {c.systemic} 10^25 FLOP (Art. 51(2)): treated as "
                             "possibly met; narrow the estimate (Guidelines Annex A.2)")
    return "no", f"cumulative compute {cumulative} is not over 10^25 FLOP (Art. 51(2))"


def notify(c: ComputeSummary, facts: Facts, systemic_status: str, as_of: dt.date) -> Duty:
    """Art. 52(1): within two weeks of the line being met or known to be met; known at the
    latest when the run that crosses it starts (Recital 112; Guidelines §2.3)."""
    if systemic_status not in ("presumed", "straddles", "at_most", "review"):
        return Duty("not_applicable", NOTIFY_PROVISION, "no systemic-risk presumption")
    if systemic_status == "at_most":
        return Duty("conditional", NOTIFY_PROVISION, "only if the run trains past the line (the figure is an upper "
                    "bound): notify within two weeks of when it becomes known that it will be met (Art. 52(1))")
    if systemic_status == "review":
        return Duty("review", NOTIFY_PROVISION, "follows the provider role, which admits two readings")
    placed = facts.release.placed_on_market
    if placed is not None and placed < CHAPTER_V_DATE:
        # dated from when it was known (the run that crosses), counted from Chapter V for what was known before
        early = notify_by(c.known or CHAPTER_V_DATE, NOTIFY_DAYS)
        met = (f"two weeks after it was known, at the latest {c.known} (start of the run that crosses it)"
               if c.known is not None and c.known >= CHAPTER_V_DATE else
               "two weeks after Chapter V applied, the line having been met before")
        readings = (Reading(f"notify by {early}: {met}", "Art. 52(1), Art. 113(b)"),
                    Reading(f"notify by {LEGACY_DATE}, with the other obligations of a model placed before "
                            f"{CHAPTER_V_DATE}", "Art. 111(3)"))
        return Duty("review", NOTIFY_PROVISION, f"placed on the market {placed}, before Chapter V applied: two "
                    f"readings; the earlier date is shown", early, as_of > early, readings)
    prefix = ("the estimate may cross 10^25: treat it as known that it may be met and notify, or narrow the "
              "estimate; " if systemic_status == "straddles" else "")
    if c.known is None:
        return Duty("due", NOTIFY_PROVISION, prefix + "notify the Commission within two weeks of when it became known "
                    "that the line will be met, at the latest the start of the run that crosses it (Recital 112; "
                    "Guidelines §2.3): give the phases' start dates to date it")
    by = notify_by(c.known, NOTIFY_DAYS)
    return Duty("due", NOTIFY_PROVISION, prefix + f"notify the Commission without delay and by {by}: two weeks after "
                f"it was known, at the latest {c.known} (start of the run that crosses it)", by, as_of > by)
