"""Human and JSON renderings of an estimate.

The JSON is a documented contract (README, "JSON output"). FLOP are decimal strings, as
in compute records: exact beyond 2^53, where JSON readers that parse numbers as doubles
(JavaScript, jq) would silently drop digits of a 10^25 total. Integral counts are written
with every digit; hardware-method values (float64) and fractional per-token averages are
rounded to whole FLOP, as records round them.
"""
from __future__ import annotations

import shutil
import textwrap
from typing import Any

from .. import __version__
from ..data.assumptions import DEFAULT_ATTENTION_REASON
from ..count.estimate import METHODS, MethodEstimate, Quantity, Result, per_token_training
from ..boundary.numbers import exact_int, flop_text, human, multiple, sig2
from ..law.thresholds import line_int

CONVENTION = "1 multiply-add = 2 FLOP"


def _quantity(q: Quantity) -> dict[str, Any]:
    return {"total": flop_text(q.total), "low": flop_text(q.low), "high": flop_text(q.high)}


def _estimate(e: MethodEstimate) -> dict[str, Any]:
    return {"total": flop_text(e.total), "low": flop_text(e.low), "high": flop_text(e.high),
            "per_token": flop_text(e.per_token), "formula": e.formula}


def to_json(result: Result, methods: tuple[str, ...] = METHODS) -> dict[str, Any]:
    plan, params = result.plan, result.parameters
    if params is not None:
        parameters = {"total": params.total, "active": params.active, "embedding": params.embedding}
    elif plan.model.active_params is not None:
        given = plan.model.active_params  # a bare N: the dense model's total and active count
        parameters = {"total": given, "active": given, "embedding": None}
    else:
        parameters = None  # hardware only
    flops = {}
    for method, q in result.by_method.items():
        if method in methods:
            flops[method] = {"per_token_training": flop_text(per_token_training(plan, method)), **_quantity(q),
                             "phases": list(result.covered[method])}
    phases = []
    for pr in result.phases:
        p = pr.phase
        phases.append({
            "name": p.name, "kind": p.kind.id, "work": p.work,
            "counts_in": {"training": p.kind.training, "cumulative": p.kind.cumulative},
            "model": p.model.name, "tokens": p.tokens, "seq_len": p.seq_len, "attention": p.attention,
            "images_per_sample": p.images, "trainable": p.trainable.mode, "primary": pr.primary,
            "bound": "upper" if p.upper_bound else None,
            "estimates": {m: _estimate(e) for m, e in pr.estimates.items() if m in methods},
        })
    thresholds = [{
        "id": ev.threshold.id, "value": str(line_int(ev.line)), "line_exact": str(ev.line), "quantity": ev.threshold.quantity,
        "status": ev.status, "margin": ev.margin, "compared": flop_text(ev.compared), "basis": ev.basis,
        "title": ev.threshold.title, "provision": ev.threshold.provision, "cite": ev.threshold.cite,
        "legal_status": ev.threshold.status, "notify_days": ev.threshold.notify_days,
        "notify_by": ev.notify_by.isoformat() if ev.notify_by else None, "duty": ev.duty or None,
        "verified": ev.threshold.verified, "notes": list(ev.notes), "bound": ev.bound,
    } for ev in result.evaluations]
    return {
        "flopcount_version": __version__, "convention": CONVENTION,
        "model": {"name": plan.model.name, "source": plan.model.spec.source if plan.model.spec else None,
                  "origin": plan.model.spec.origin if plan.model.spec else "parameters",
                  "parameters_by_tower": ({k: {"total": v[0], "active": v[1]} for k, v in result.parameters.by_tower.items()}
                                          if result.parameters else None)},
        "plan": plan.source or None, "seq_len": plan.seq_len, "attention": plan.attention,
        "parameters": parameters, "flops": flops,
        "compute": {key: {**_quantity(q), "bound": "upper" if key.split("_")[-1] in result.upper_bound else None}
                    for key, q in (("training", result.training), ("cumulative", result.cumulative),
                                   ("lineage_cumulative", result.lineage_cumulative))},
        "base_model": None if plan.base is None else {
            "name": plan.base.name, "training_compute": flop_text(plan.base.training_compute),
            "systemic_risk": plan.base.systemic_risk},
        "phases": phases, "thresholds": thresholds, "notes": list(result.notes),
        "obligations": _obligations(result),
    }


def _obligations(result: Result) -> dict[str, Any]:
    """`flopcount obligations --json` for the estimated model, judged today."""
    from ..law.summary import of_estimate
    return of_estimate(result).to_json()


def _cell(e: MethodEstimate | None, primary: bool) -> str:
    if e is None:
        return "—"
    text = sig2(e.total) if e.low == e.high else f"{sig2(e.total)} ({sig2(e.low)}–{sig2(e.high)})"
    return text + (" *" if primary else "")


def _span(q: Quantity) -> str:
    return sig2(q.total) if q.low == q.high else f"{sig2(q.total)} (range {sig2(q.low)} – {sig2(q.high)})"


def width() -> int:
    """The terminal's width ($COLUMNS, else the terminal, else 80), never under 60."""
    return max(60, shutil.get_terminal_size((80, 24)).columns)


def table(rows: list[list[str]], cols: int | None = None) -> list[str]:
    """Aligned columns; where a row would pass `cols`, its last column goes on the next
    line, indented under the second, so nothing wraps mid-cell."""
    cols = cols or width()
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    if sum(widths) + 2 * len(widths) <= cols:
        return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    head = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r[:-1], head)).rstrip())
        if r[-1]:
            out.append(" " * (4 + head[0]) + r[-1])
    return out


def wrap(lines: list[str], cols: int | None = None) -> list[str]:
    """Prose lines wrapped at `cols`, continuation lines indented past the line's marker."""
    cols = cols or width()
    out = []
    for line in lines:
        if len(line) <= cols:
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        marker = line.lstrip().split(" ", 1)[0]
        hang = indent + (len(marker) + 1 if marker in ("!", "Note:", "-") else 2)
        out += textwrap.wrap(line, cols, subsequent_indent=" " * hang, break_on_hyphens=False,
                             break_long_words=False)  # a URL stays whole, to copy
    return out


def _obligations_line(result: Result) -> str:
    """What the law asks, in one line (`flopcount obligations` gives each duty)."""
    from ..law.summary import of_estimate, one_line
    return one_line(of_estimate(result))


def to_text(result: Result, methods: tuple[str, ...] = METHODS) -> str:
    plan, params = result.plan, result.parameters
    default = f" (default: {DEFAULT_ATTENTION_REASON})" if plan.attention_assumed else ""
    shape = f"; attention {plan.attention}{default}; seq_len {plan.seq_len}" if plan.model.spec else ""
    out = [f"flopcount {__version__} — {plan.model.name}" + (f"  ({plan.source})" if plan.source else ""),
           f"convention: {CONVENTION}{shape}", ""]
    if params is not None:
        out.append(f"Parameters  total {params.total:,} ({sig2(params.total)})")
        out.append(f"            active {params.active:,}, embedding {params.embedding:,}")
    elif plan.model.active_params is not None:
        out.append(f"Parameters  {plan.model.active_params:,} (given)")
    else:
        out.append("Parameters  not given: the hardware method alone (accelerator-hours × peak × utilisation)")
    shown = [m for m in METHODS if m in methods and any(m in pr.estimates for pr in result.phases)]
    out += ["", "FLOP by phase and method (* = used for the totals)"]
    for pr in result.phases:  # one block per phase: methods down, so it fits any width
        k = pr.phase.kind
        counts = "+".join(n for n, on in (("training", k.training), ("cumulative", k.cumulative)) if on) or "neither"
        tokens = f"{human(pr.phase.tokens)} tokens" if pr.phase.tokens is not None else "tokens not given"
        tokens = f"at most {tokens} (an upper bound)" if pr.phase.upper_bound else tokens
        out.append(f"  {pr.phase.name}" + (f" ({k.id})" if k.id != pr.phase.name else "")
                   + f": counts in {counts}; {tokens}")
        rows = [[m, _cell(pr.estimates[m], m == pr.primary)] for m in shown if m in pr.estimates]
        out += ["  " + line for line in table(rows)] if rows else ["    no method applies"]
    out.append("")
    most = {q: "at most " if q in result.upper_bound else "" for q in ("training", "cumulative")}
    out.append(f"Training compute    {most['training']}{_span(result.training)} FLOP")
    out.append(f"Cumulative compute  {most['cumulative']}{_span(result.cumulative)} FLOP")
    if plan.base is not None and plan.base.training_compute is not None:
        out.append(f"  with base model    {most['cumulative']}{_span(result.lineage_cumulative)} FLOP "
                   f"({plan.base.name}: {sig2(plan.base.training_compute)})")
    rows = [["threshold", "line", "measured on", "status", "margin", "provision"]]
    for ev in result.evaluations:
        t = ev.threshold
        provision = t.cite + ("" if t.status != "revoked" else " [revoked]")
        provision += " [unverified]" if not t.verified else ""
        rows.append([t.id, f"> {sig2(ev.line)}", t.quantity.replace("_", " "), ev.status.upper(),
                     f"×{multiple(ev.margin)}", provision])
    out += ["", "Thresholds (strictly greater than the line crosses it)", *table(rows)]
    for ev in result.evaluations:
        if ev.status == "crossed" and sig2(ev.low) == sig2(ev.line):
            out.append(f"  {ev.threshold.id}: {exact_int(ev.low):,} FLOP is over the line although both round to "
                       f"{sig2(ev.line)}")
        if not ev.basis.endswith(" compute"):
            out.append(f"  {ev.threshold.id}: {ev.basis}")
        if ev.duty:
            out.append(f"  ! {ev.threshold.id}: {ev.duty}")
        out += [f"  - {ev.threshold.id}: {note}" for note in ev.notes]
    out += ["", _obligations_line(result)]
    if result.notes:
        out += ["", *(f"Note: {n}" for n in result.notes)]
    return "\n".join(wrap(out)) + "\n"
