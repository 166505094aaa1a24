"""Verdicts: compare compute with the legal lines of `data.thresholds`, in the order the
law decides them.

1. A modification first decides who the provider is (Guidelines C(2025) 5045 §3.2): the
   modifier becomes the provider of a new model only when its modification uses more than
   one third of the original model's training compute (fallbacks when unknown; an interval
   that straddles the line is treated as crossing, the conservative reading). Below it,
   the EU rows do not apply to the modifier at all (¶62–63): no Art. 52 duty, whatever the
   base model's status.
2. Then the model's own status: the GPAI criterion on training compute and the modality
   (§2.1), the systemic-risk presumption on cumulative compute (Art. 51(2)), or, for a
   provider by modification of a systemic-risk model, the presumption that the modified
   model has systemic risk (§3.2.2, ¶70) — with its own notification duty.
3. Notification (Art. 52(1)): two weeks from when it became known that the line will be
   met, at the latest the start of the run that crosses it (§2.3, ¶30); never from the day
   a report is made. The duty starts when Chapter V applies (2 Aug 2025); models placed on
   the market before then also get Art. 111(3)'s compliance date.

4. A figure that is only a maximum (a recipe that can stop early: a wall-clock limit, a
   sequence-length cap) cannot cross a line: over it, the status is "at most" (the compute
   is at most that multiple of the line; the real count decides), below it "below" as
   usual. Duties that follow from a crossing are stated as conditional.

5. Uncertainty, after the status is set and without changing it: a row notes where another
   method's interval lies across the line from the primary figure (with the utilisation
   at which the hardware method would agree), and where the primary figure is close enough
   below the line that the ±30% an estimate may be off (Guidelines Annex A.2) reaches it.

A verdict table is consistent by construction: a model presumed to have systemic risk is a
general-purpose AI model, and a modifier that is not the provider has no EU duty. These
are the project's readings of the texts, tested as such; not legal advice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction

from ..boundary.numbers import sig2
from ..data.assumptions import ACCEPTED_ERROR
from ..data.thresholds import CHAPTER_V_APPLIES, GPAI_MODALITIES, LEGACY_COMPLIANCE, THRESHOLDS, Threshold
from .lines import (STATUSES, UPPER_NOTE, Alternative, Context, Evaluation, Run, becomes_provider, binds, notify_by,  # noqa: F401
                    bounded, known_by, line_int, modification_line, runs_in_order, status)


def _deadline(ctx: Context, known: dt.date | None, days: int) -> tuple[dt.date | None, str]:
    applies_from = dt.date.fromisoformat(CHAPTER_V_APPLIES)
    legacy = ctx.placed_on_market is not None and ctx.placed_on_market < applies_from
    if known is None:  # the date it became known is the run's, never the placing on the market (Art. 52(1))
        latest = (f"; the model was on the market by {ctx.placed_on_market.isoformat()}, so it was known before then"
                  if ctx.placed_on_market is not None else "")
        return None, (f"notify the Commission within {days} days of when it became known that the line would be met "
                      "— at the latest the start of the run that crosses it (Art. 52(1); Guidelines §2.3); that date "
                      f"is not stated{latest}: give the phases' start dates (plan field start) to date it"
                      + (f"; placed on the market before {CHAPTER_V_APPLIES}: the other obligations by "
                         f"{LEGACY_COMPLIANCE} (Art. 111(3))" if legacy else ""))
    when = notify_by(known, days)
    text = f"notify the Commission without delay and by {when.isoformat()} (Art. 52(1): two weeks after it became known"
    text += f", at the latest {known.isoformat()}" if known >= applies_from else \
        f"; known by {known.isoformat()}, before Chapter V applied on {CHAPTER_V_APPLIES}, so counted from then"
    text += ")"
    if legacy:  # a contested point: both readings, the earlier date kept (conservative)
        text += (f"; placed on the market before {CHAPTER_V_APPLIES}, the texts admit two readings: notification due "
                 f"as dated here (Art. 52(1) from Art. 113(b)), or with the other obligations by {LEGACY_COMPLIANCE} "
                 "(Art. 111(3)); the earlier date is kept")
    return when, text


def _row(t: Threshold, line, q, st: str, basis: str, **kw) -> Evaluation:
    return Evaluation(t, line, q[0], q[1], q[2], st, basis, **kw)


def _decided(t: Threshold, line, q, st: str, basis: str, ctx: Context, **kw) -> Evaluation:
    """A row the line decides, with the upper-bound reading (`bounded`) applied."""
    upper = t.quantity in ctx.upper_bound
    st, bound = bounded(st, t.quantity, ctx, line)
    if st == "at most":
        basis = f"{basis}, {UPPER_NOTE}"
    elif upper and st == "crossed":
        basis = f"{basis}; the phases with exact figures alone cross the line (others are only maxima)"
    return _row(t, line, q, st, basis, bound=bound, **kw)


def evaluate(quantities: dict[str, tuple[float, float, float]], ctx: Context = Context()) -> list[Evaluation]:
    """Every threshold, each on its own quantity ("training", "cumulative" with the base
    model's compute, "modification", "training_lineage"), decided in the order above."""
    by_id: dict[str, Evaluation] = {}
    provider = True
    if ctx.is_modification and ctx.base_gpai is False:  # §3.2 is about modifying a GPAI model
        t = next(t for t in THRESHOLDS if t.quantity == "modification")
        mod_line, _ = modification_line(ctx.base_training, ctx.base_systemic)
        by_id[t.id] = _row(t, mod_line, quantities["modification"], "not applicable",
                           "the base model is not a general-purpose AI model: the one-third rule (Guidelines §3.2) "
                           "is about modifying one; the modified model is judged on its own (§2.1)")
    elif ctx.is_modification:
        t = next(t for t in THRESHOLDS if t.quantity == "modification")
        mod_line, basis = modification_line(ctx.base_training, ctx.base_systemic)
        st, bound = bounded(status(*quantities["modification"][1:], mod_line), "modification", ctx, mod_line)
        # the upper estimate decides: an interval across the line is taken as crossing (conservative)
        provider = becomes_provider(quantities["modification"][2], mod_line)
        duty = {"crossed": "the modifier becomes the provider of the modified model; its obligations cover the "
                           "modification (Recital 109)",
                "straddles": "the interval straddles one third: treated as crossing (conservative) — the modifier "
                             "is taken to be the provider; narrow the estimate to decide",
                "at most": "the modification's compute is at most this, an upper bound over one third: treated as "
                           "crossing (conservative) — the modifier is taken to be the provider; give the tokens "
                           "trained to decide",
                "below": "the modifier does not become a provider (Guidelines §3.2, ¶62–63): no Art. 53 or Art. 52 "
                         "duty for it; the base model's provider keeps its obligations"}[st]
        by_id[t.id] = _row(t, mod_line, quantities["modification"], st,
                           basis + (f", {UPPER_NOTE}" if st == "at most" else ""),
                           duty=duty, bound=bound)

    for t in THRESHOLDS:
        if t.id in by_id or t.quantity == "modification":
            continue
        q = quantities[t.quantity]
        if not binds(t, provider):
            by_id[t.id] = _row(t, t.flop, q, "not applicable",
                               "modification at or below one third: the modifier is not the provider (§3.2)")
        elif t.id == "eu-systemic-risk" and ctx.is_modification and ctx.base_systemic:
            by_id[t.id] = _presumed_by_modification(t, q, mod_line, by_id, ctx)
        else:
            by_id[t.id] = _decided(t, t.flop, q, status(q[1], q[2], t.flop), f"{t.quantity.replace('_', ' ')} compute",
                                   ctx)
    _gpai(by_id, quantities, ctx)
    _notify(by_id, ctx)
    _uncertainty(by_id, ctx)
    return [by_id[t.id] for t in THRESHOLDS if t.id in by_id]


def _presumed_by_modification(t: Threshold, q, mod_line, by_id: dict[str, Evaluation], ctx: Context) -> Evaluation:
    """A provider by modification of a systemic-risk model: the modified model is presumed
    to have systemic risk (Guidelines §3.2.2, ¶70). Where the modification is over one third
    only as an upper bound (the run can stop early), so is the presumption: "at most", its
    notification conditional on the run training past one third."""
    known = known_by(ctx.runs, "modification", mod_line)
    when, text = _deadline(ctx, known, t.notify_days or 0)
    rule = next((ev for ev in by_id.values() if ev.threshold.quantity == "modification"), None)
    if rule is not None and rule.status == "at most":
        return _row(t, t.flop, q, "at most",
                    "modified model of a systemic-risk model, its modification over one third only as an upper bound: "
                    f"presumed to have systemic risk only if it trains past one third (Guidelines §3.2.2, ¶70), "
                    f"{UPPER_NOTE}", notify_by=None, bound="upper",  # conditional: no firm date
                    duty="only if the run trains past one third: the figure is an upper bound; once it is known that "
                         "it will be, " + text)
    return _row(t, t.flop, q, "presumed", "modified model of a systemic-risk model, modification above one third: "
                "presumed to have systemic risk (Guidelines §3.2.2, ¶70)", notify_by=when, duty=text)


def _gpai(by_id: dict[str, Evaluation], quantities, ctx: Context) -> None:
    """The 10^23 criterion is indicative and about models that generate language (text or
    audio), images or video from text (§2.1); a modified GPAI model stays one; a model
    presumed to have systemic risk is a GPAI model (Art. 51 presupposes it)."""
    ev = by_id.get("eu-gpai")
    if ev is None or not ev.applies:
        return
    t, q = ev.threshold, quantities["training"]
    systemic = by_id.get("eu-systemic-risk")
    if ctx.is_modification and ctx.base_gpai is not False:
        by_id[t.id] = _row(t, t.flop, q, "presumed", "modification of a general-purpose AI model by its new provider: "
                           "the modified model is one (the criterion is not re-tested on the modification, §3.2)")
    elif systemic is not None and systemic.status == "at most" and not ev.met:
        by_id[t.id] = _row(t, t.flop, q, "at most", "systemic risk at most (an upper bound): a general-purpose AI "
                           "model only if the run trains past that line (Art. 51(2)); training compute alone is below "
                           f"the indicative line, {UPPER_NOTE}", bound="upper")
    elif systemic is not None and systemic.met and not ev.met:
        by_id[t.id] = _row(t, t.flop, q, "presumed", "presumed to have systemic risk (Art. 51(2)), which only a "
                           "general-purpose AI model can be; training compute alone is below the indicative line")
    elif ev.met and ctx.modalities is not None and not ctx.modalities & GPAI_MODALITIES:
        by_id[t.id] = _row(t, t.flop, q, "below", f"training compute is over the line, but the model generates "
                           f"{', '.join(sorted(ctx.modalities))}: not language, images or video (§2.1); the "
                           "criterion is indicative only")
    elif ev.met and ctx.modalities is None:
        by_id[t.id] = _row(t, t.flop, q, ev.status, ev.basis + "; the criterion also needs the model to "
                           "generate text, audio, images or video (§2.1): modalities not stated", bound=ev.bound)


def _notify(by_id: dict[str, Evaluation], ctx: Context) -> None:
    ev = by_id.get("eu-systemic-risk")
    if ev is None or ev.status not in ("crossed", "straddles", "at most") or (ctx.is_modification and ctx.base_systemic):
        return  # a presumption by modification is dated on the modification (_presumed_by_modification)
    t = ev.threshold
    offset = (ctx.base_training or 0) if t.quantity == "cumulative" else 0
    known = known_by(ctx.runs, t.quantity, t.flop, offset)
    when, text = _deadline(ctx, known, t.notify_days or 0)
    if ev.status == "straddles":
        text = ("the upper estimate crosses the line: treat it as known that it may be met and notify, or narrow "
                "the estimate (Annex A.2 accepts 30%); " + text)
    elif ev.status == "at most":  # conditional: the date below is the latest if it does, not a firm one
        when, text = None, ("only if the run trains past the line: the figure is an upper bound; once it is known "
                            "that it will be met, " + text)
    by_id[t.id] = replace(ev, notify_by=when, duty=text)


def _uncertainty(by_id: dict[str, Evaluation], ctx: Context) -> None:
    """Notes on rows the line decides (not inapplicable or presumed ones); the status stays
    the primary method's."""
    for key, ev in by_id.items():
        if ev.status in ("below", "crossed", "straddles", "at most"):
            notes = (*other_methods(ev, ctx), *near_line(ev))
            if notes:
                by_id[key] = replace(ev, notes=notes)


def other_methods(ev: Evaluation, ctx: Context) -> list[str]:
    """Each other method whose interval reaches across the line from the primary figure:
    the primary method decides the status, but a method the Guidelines also accept (Annex
    A.2: hardware- or architecture-based) would put the compute on the other side."""
    line, over = Fraction(ev.line), Fraction(ev.compared) > Fraction(ev.line)
    notes = []
    for alt in ctx.alternatives:
        total, low, high = alt.quantities[ev.threshold.quantity]
        if not (Fraction(low) <= line if over else Fraction(high) > line):
            continue
        figure = sig2(total) if low == high else f"{sig2(total)} ({sig2(low)}–{sig2(high)})"
        side, primary_side = ("reaches down to", "crosses") if over else ("reaches over", "stays below")
        text = (f"{alt.method} {figure} {side} the line {sig2(line)}, which {ctx.primary} ({sig2(ev.compared)}) "
                f"{primary_side}; the status follows {ctx.primary}")
        u = alt.utilization.get(ev.threshold.quantity)
        if u is not None:
            text += f"; the methods agree at utilisation {u:.0%} (hardware central = {alt.analytic})"
        notes.append(text)
    return notes


def near_line(ev: Evaluation) -> list[str]:
    """Below the line, but by less than an estimate may be off: Annex A.2 accepts an
    estimate within 30% of the true compute, so a true figure over the line fits any
    estimate above (1 − 30%) of it. For the GPAI row, also that the criterion is indicative."""
    error = Fraction(str(ACCEPTED_ERROR))
    if ev.status != "below" or not Fraction(ev.compared) > (1 - error) * Fraction(ev.line):
        return []
    text = (f"×{ev.margin:.2f} of the line: the ±{ACCEPTED_ERROR:.0%} an estimate may be off (Guidelines Annex A.2) "
            f"reaches {sig2(ev.line)}; narrow it (a measured ledger) before relying on BELOW")
    if ev.threshold.indicative:
        text += (f"; the criterion is indicative ({ev.threshold.cite}): a model near it may be general-purpose "
                 "(or not) by its capabilities")
    return [text]
