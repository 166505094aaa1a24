"""Human reports of a compute record: Markdown, and a self-contained HTML page with the
charts embedded as PNG data. Both are rendered from the record JSON alone."""
from __future__ import annotations

import base64
from decimal import Decimal
import html
import io
import re
from pathlib import Path

from ..law.result import ROW_HEADER, duty_row
from ..boundary.numbers import multiple, sig2, sig2_plain
from .record import no_peak

ANNEX_MAP = (
    ("Annex XI 1(1)(c) — date of release; MDF: release and Union market dates, dependencies",
     "documentation_form.general"),
    ("Annex XI 1(1)(d) — architecture and number of parameters; MDF: total parameters", "model"),
    ("Annex XI 1(1)(e) — modality of outputs", "documentation_form.general.modalities"),
    ("Annex XI 1(2)(d) — computational resources used to train (FLOP); MDF: computation, order of magnitude, "
     "method, uncertainty", "totals, phases, methods, documentation_form.compute"),
    ("Annex XI 1(2)(d) — training time; MDF: wall-clock days, hardware-days, range",
     "training_time, documentation_form.training_time"),
    ("Annex XI 1(2)(d) — other relevant details (hardware type, count, precision)", "hardware"),
    ("Annex XI 1(2)(e) — known or estimated energy consumption; MDF: energy (MWh) and method",
     "energy, documentation_form.energy"),
    ("MDF — benchmarked amount of computation used for inference, and method", "documentation_form.inference"),
    ("MDF general information — models modified or fine-tuned; Guidelines §3.2", "lineage"),
    ("AI Act Art. 51(2), 52(1) — systemic-risk threshold and notification", "thresholds"),
    ("AI Act Art. 53(2) — open-source exemption", "open_source, obligations.eu.open_source_exemption"),
    ("AI Act Arts. 52–55, 111(3); SB 53; RAISE — what the provider owes, by when (record version 2)",
     "facts, obligations"),
)



#: how a hardware row's utilisation was obtained, as the record's tables say it
UTILIZATION_SOURCES = {"given": "given", "default": "default band", "measured": "the run's measured MFU"}


def _utilization(h: dict) -> str:
    """"38.2% (the run's measured MFU)", "30%–50% (default band)", or — without one."""
    values = list(dict.fromkeys(h.get("utilization", [])))
    if not values:
        return "—"
    text = "–".join(f"{u:.1%}" if len(values) == 1 else f"{u:.0%}" for u in values)
    source = UTILIZATION_SOURCES.get(h.get("utilization_source", ""))
    return f"{text} ({source})" if source else text

def _f(value: str | int | float | None) -> str:
    """Two significant figures from the exact value (FLOP are decimal strings)."""
    if value is None:
        return "—"
    return sig2(int(value)) if isinstance(value, str) and value.isdigit() else sig2(value)


def _rate(flops_per_s: float) -> str:
    """A peak FLOP/s in TFLOP/s as its datasheet writes it (989.4, not 9.894e+14)."""
    tera = (Decimal(repr(float(flops_per_s))) / 10**12).normalize()
    return f"{tera:,f} T"


def _form_rows(record: dict) -> list[list[str]]:
    f = record["documentation_form"]
    g, tt, c, en, inf = f["general"], f["training_time"], f["compute"], f["energy"], f["inference"]
    deps = g["dependencies"] if isinstance(g["dependencies"], str) else "; ".join(g["dependencies"])
    rows = [["date first released", g["released"] or "— (not given: --released / plan `released`)"],
            ["date placed on the Union market", g["placed_on_eu_market"] or "— (not given)"],
            ["modalities generated", ", ".join(g["modalities"]) if g["modalities"] else "— (not given)"],
            ["models modified or fine-tuned (dependencies)", deps],
            ["total parameters", f["parameters"] or "—"],
            ["training time, range (national authorities)", tt["range"] or "—"],
            ["training time, wall-clock days", "—" if tt["wall_clock_days"] is None else f"{tt['wall_clock_days']:,}"],
            ["training time, hardware-days", "—" if tt["hardware_days"] is None else f"{tt['hardware_days']:,}"],
            ["computation used for training (FLOP)", ("at most " if "training" in bounded(record) else "")
             + f"{c['flop']} (order of magnitude {c['order_of_magnitude']}); method: {', '.join(c['methods'])}"
             + ("; an upper bound: the run can stop early" if "training" in bounded(record) else "")],
            ["uncertainty", c["uncertainty"]["statement"]],
            ["energy used for training (MWh)", en["mwh"] + (f" (range {en['range_mwh'][0]} – {en['range_mwh'][1]})"
                                                           if en.get("range_mwh") else "")
             + f"; method: {en['method']}" + (f"; {en['reason']}" if en["reason"] else "")]]
    if inf:
        rows += [["benchmarked inference compute", f"{_f(inf['flop'])} FLOP ({inf['flop_per_token']} per token) to "
                                                   f"{inf['task']}"],
                 ["inference method", inf["method"]]]
    else:
        rows.append(["benchmarked inference compute", "— (the record has no model architecture)"])
    return rows


def _span(iv: dict) -> str:
    return _f(iv["total"]) if iv["low"] == iv["high"] else f"{_f(iv['total'])} ({_f(iv['low'])} – {_f(iv['high'])})"


UPPER_TEXT = ("AT MOST: the compared figure is an upper bound — a phase's tokens are only a maximum (the run can "
              "stop early: a wall-clock limit, a step cap); the line may or may not be crossed, and the tokens "
              "trained decide (flopcount --tokens, or tokens: in the plan). Never read as crossed.")


def bounded(record: dict) -> set[str]:
    """The quantities (training, cumulative, ...) whose figure is only a maximum, as the
    record's threshold rows say (bound "upper")."""
    return {t["quantity"] for t in record["thresholds"] if t.get("bound") == "upper"}


def _tokens(p: dict) -> str:
    if p["tokens"] is None:
        return "—"
    return f"at most {p['tokens']:,} (upper bound)" if p.get("bound") == "upper" else f"{p['tokens']:,}"


def _tables(record: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for every table; shared by Markdown and HTML."""
    methods = [m["id"] for m in record["methods"]]
    phases = [[p["name"], p["kind"], "+".join(k for k, v in p["counts_in"].items() if v) or "neither", _tokens(p),
               *(_span(p["estimates"][m]) + (" *" if m == p["primary"] else "") if m in p["estimates"] else "—"
                 for m in methods)] for p in record["phases"]]
    t, most = record["totals"], bounded(record)
    totals = [[label, ("at most " if quantity in most else "") + _span(t[q]), f"{int(t[q]['total']):,}"]
              for label, q, quantity in (("training compute", "training", "training"),
                                         ("cumulative compute", "cumulative", "cumulative"),
                                         ("cumulative incl. base model", "lineage_cumulative", "cumulative"))]
    thresholds = [[x["id"], f"> {_f(x['line'])}", x["quantity"].replace("_", " "), x["status"].upper(),
                   f"×{multiple(x['margin'])}",
                   "—" if not x["crossed_at"] else f"{x['crossed_at']['date']} (steps {x['crossed_at']['steps'][0]}–"
                                                   f"{x['crossed_at']['steps'][1]})",
                   x["notify_by"] or "—", x.get("duty") or x.get("basis") or "", x["provision"]]
                  for x in record["thresholds"]]
    tt = record["training_time"]
    time_rows = [["wall-clock hours", "—" if tt["wall_clock_hours"] is None else f"{tt['wall_clock_hours']:,.1f}"],
                 ["accelerator-hours", "—" if tt["accelerator_hours"] is None else f"{tt['accelerator_hours']:,.0f}"],
                 ["start", tt.get("start") or "—"], ["end", tt.get("end") or "—"]]
    hardware = [[h["phase"], h["name"], str(h["devices"] or "—"), h["precision"],
                 _rate(h["peak_flops"]) if "peak_flops" in h else no_peak(h),
                 _utilization(h),
                 "—" if h["accelerator_hours"] is None else f"{h['accelerator_hours']:,.0f}"] for h in record["hardware"]]
    e = record["energy"]
    energy = [["method", e["method"]],
              ["MWh", "—" if not e["kwh"] else f"{sig2_plain(e['kwh']['total'] / 1000)} (range "
                                               f"{sig2_plain(e['kwh']['low'] / 1000)} – "
                                               f"{sig2_plain(e['kwh']['high'] / 1000)})"]]
    energy += [["assumption", a] for a in e["assumptions"]]
    annex = [[item, where] for item, where in ANNEX_MAP]
    return [
        ("Compute by phase and method (* = counted in totals; FLOP, 1 multiply-add = 2 FLOP)",
         ["phase", "kind", "counts in", "tokens", *methods], phases),
        ("Totals", ["quantity", "FLOP (2 significant figures)", "exact FLOP"], totals),
        (THRESHOLDS_TABLE, ["id", "line", "measured on", "status", "margin", "crossed", "notify by", "duty or basis",
                        "provision"], thresholds),
        *obligation_tables(record),
        ("Training time", ["", "value"], time_rows),
        ("Hardware", ["phase", "accelerator", "devices", "precision", "peak FLOP/s", "utilisation",
                      "accelerator-hours"], hardware),
        ("Energy", ["", "value"], energy),
        ("Model Documentation Form (compute items)", ["item", "answer"], _form_rows(record)),
        ("Where each Annex XI / Model Documentation Form item is answered", ["item", "record field"], annex),
    ]


THRESHOLDS_TABLE = "Thresholds"


def threshold_notes(record: dict) -> list[tuple[str, str]]:
    """(threshold id, note) for every row's notes (another method's interval across the
    line, a figure near it), in the order of the table; records written before notes: none."""
    return [(t["id"], note) for t in record["thresholds"] for note in t.get("notes") or ()]


def verdict(record: dict) -> str:
    """One line: the EU verdict with its duty, then the other regimes' statuses."""
    by_id = {t["id"]: t for t in record["thresholds"]}
    rule = record["lineage"].get("modification_rule")
    parts = []
    if rule and not rule["becomes_provider"]:
        parts.append("EU: the modifier does not become the provider (one-third rule), no EU duty")
    else:
        systemic, gpai = by_id.get("eu-systemic-risk"), by_id.get("eu-gpai")
        if systemic and systemic["status"] == "at most":
            parts.append("EU: systemic risk at most (an upper bound over the line: the run can stop early; the tokens "
                         "trained decide, notify only if it trains past the line)")
        elif systemic and systemic["status"] in ("crossed", "straddles", "presumed"):
            when = f" — notify the Commission by {systemic['notify_by']}" if systemic["notify_by"] else \
                " — notify the Commission (date: give the runs' start dates)"
            parts.append(f"EU: systemic risk {systemic['status']}{when}")
        elif gpai:
            upper = " (an upper bound: the run can stop early; the tokens trained decide)" \
                if gpai["status"] == "at most" else ""
            parts.append(f"EU: general-purpose AI model {gpai['status']}{upper}; systemic risk below")
    parts += [f"{t['id']} {t['status']}" for t in record["thresholds"] if not t["id"].startswith("eu-")
              and t["legal_status"].split(" ")[0] != "revoked"]
    return "; ".join(parts)


def _header(record: dict) -> list[tuple[str, str]]:
    m = record["model"]
    params = m["parameters"]
    lineage = record["lineage"]
    rows = [("Verdict", verdict(record)), ("Model", m["name"]), ("Provider", record["provider"]["name"]),
            ("Parameters", "—" if not params else f"{params['total']:,} ({params['notified_form']}); active "
                                                  + (f"{params['active']:,}" if params["active"] is not None
                                                     else "not known")),
            ("Record", f"version {record['record_version']}, flopcount {record['flopcount_version']}, "
                       f"{record['created_at']}")]
    if lineage["is_modification"]:
        b = lineage["base_model"]
        rule = lineage["modification_rule"]
        rows.append(("Base model", f"{b['name']}: {_f(b['training_compute']) if b['training_compute'] else 'unknown'}"
                                   f" FLOP{' (systemic risk)' if b['systemic_risk'] else ''}"))
        rows.append(("One-third rule", f"modification {_f(rule['modification_compute'])} vs line {_f(rule['line'])} "
                                       f"({rule['basis']}): {rule['status']}"
                                       + (" — the modifier becomes a provider" if rule["becomes_provider"] else "")))
    if record["ledger"]:
        led = record["ledger"]
        rows.append(("Ledger", f"{led['path']}: {led['rows']} rows, head {led['head']}"))
    rows.append(("Open source", _open_source(record["open_source"])))
    return rows


def _open_source(o: dict) -> str:
    """Version 2: the engine's answer and its reason, and whether the provider claims it;
    version 1: the general note where the exemption is claimed."""
    if "exemption" in o:
        return (f"exemption {o['exemption']}: {o['note']}" + ("; the provider claims the exemption"
                                                                if o["claims_exemption"] else ""))
    return o["note"] if o["claims_exemption"] else "no exemption claimed"


def obligation_tables(record: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """One table per regime of a version 2 record's obligations block: duty, status, due,
    overdue, provision (`duty_row`, the cells `flopcount obligations` prints); none for a
    version 1 record."""
    o = record.get("obligations")
    if not o:
        return []
    eu = o["eu"]
    out = [(f"{OBLIGATIONS_TABLE} — EU AI Act, as of {o['as_of']}: provider {eu['provider']}, GPAI {eu['gpai']}, "
            f"systemic risk {eu['systemic_risk']}, open-source exemption {eu['open_source_exemption']}",
            list(ROW_HEADER), [list(duty_row("notify", eu["notify"]))]
            + [list(duty_row(k, d)) for k, d in eu["duties"].items()])]
    for title, key in (("California SB 53", "ca_sb53"), ("New York RAISE Act", "ny_raise")):
        st = o[key]
        rows = [list(duty_row(k, d)) for k, d in st["duties"].items()] or [["—", "not_applicable", "—", "", st["why"]]]
        out.append((f"{OBLIGATIONS_TABLE} — {title}: {'applies' if st['applies'] else 'does not apply'}, "
                    f"tier {st['tier']}", list(ROW_HEADER), rows))
    return out


OBLIGATIONS_TABLE = "Obligations"


def obligation_warnings(record: dict) -> list[str]:
    o = record.get("obligations")
    return list(o["eu"]["warnings"]) if o else []


def to_markdown(record: dict) -> str:
    out = [f"# Compute record: {record['model']['name']}", ""]
    out += [f"- **{k}**: {v}" for k, v in _header(record)]
    for title, header, rows in _tables(record):
        out += ["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
        if title == THRESHOLDS_TABLE and bounded(record):
            out += ["", UPPER_TEXT]
        if title.startswith(OBLIGATIONS_TABLE + " — EU") and obligation_warnings(record):
            out += [""] + [f"- warning: {w}" for w in obligation_warnings(record)]
        if title == THRESHOLDS_TABLE and threshold_notes(record):
            out += ["", "Notes on the thresholds (uncertainty around a line; the status stays the primary method's):",
                    ""] + [f"- **{tid}**: {note}" for tid, note in threshold_notes(record)]
    out += ["", "## Methods", ""] + [f"- **{m['id']}**: {m['description']}" for m in record["methods"]]
    if record.get("notes"):
        out += ["", "## Notes", ""] + [f"- {n}" for n in record["notes"]]
    return "\n".join(out) + "\n"


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def figures(record: dict) -> list[tuple[str, object]]:
    """(caption, matplotlib Figure): the methods chart and, with a ledger, the run chart,
    one line per run (`plot.ledger_runs`), of the record's model."""
    from . import plot
    phases = [(p["name"], {m: (float(e["total"]), float(e["low"]), float(e["high"])) for m, e in p["estimates"].items()})
              for p in record["phases"]]
    out = [("Estimates by phase and method against the thresholds",
            plot.phase_methods_chart(phases, f"{record['model']['name']}: estimates by method"))]
    led = record.get("ledger")
    from ..ledger import Ledger, is_postgres
    if led and (is_postgres(led["path"]) or Path(led["path"]).exists()):
        with Ledger(led["path"], create=False) as ledger:
            runs = plot.ledger_runs(list(ledger.rows())[:led["rows"]], led.get("model") or record["model"]["name"])
        if any(r.steps for r in runs):
            out.append(("Cumulative compute recorded in the ledger, one line per run",
                        plot.run_chart(runs=runs, title=f"{record['model']['name']}: recorded compute")))
    return out


def charts(record: dict) -> list[tuple[str, str]]:
    """(caption, base64 PNG) of each of `figures`."""
    return [(caption, _png(fig)) for caption, fig in figures(record)]


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.crossed{color:#b00;font-weight:600}.at-most{color:#a60;font-weight:600}img{max-width:100%}
figure{margin:1em 0}"""

CELL_CLASS = {"CROSSED": "crossed", "AT MOST": "at-most"}

LOADED = """<script>window.addEventListener('load',function(){var n=0;document.querySelectorAll('img')
.forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});document.body.setAttribute('data-images-loaded',n);});
</script>"""


_POWER = re.compile(r"10\^(-?[0-9]+)")


def _html(text: str) -> str:
    """Escaped, with powers of ten as superscripts: 3.9×10<sup>25</sup>."""
    return _POWER.sub(r"10<sup>\1</sup>", html.escape(text))


def to_html(record: dict) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Compute record: "
             f"{e(record['model']['name'])}</title><style>{CSS}</style></head><body>",
             f"<h1>Compute record: {e(record['model']['name'])}</h1><table id='summary'>"]
    parts += [f"<tr><th>{e(k)}</th><td>{_html(str(v))}</td></tr>" for k, v in _header(record)]
    parts.append("</table>")
    try:
        figures = charts(record)
    except ImportError as exc:  # the light install: the record is complete without its pictures
        figures = []
        missing = (exc.name or "matplotlib").split(".")[0]
        parts.append("<p id='charts-not-drawn'><i>" + e(f"Charts not drawn: {missing} is not installed "
                                                      "(pip install 'flopcount[plot]').") + "</i></p>")
    for caption, data in figures:
        parts.append(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{e(caption)}</figcaption></figure>")
    for title, header, rows in _tables(record):
        parts.append(f"<h2>{e(title)}</h2><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td class='{CELL_CLASS.get(c, '')}'>{_html(str(c))}</td>"
                                          for c in row) + "</tr>")
        parts.append("</table>")
        if title == THRESHOLDS_TABLE and bounded(record):
            parts.append(f"<p id='upper-bound'>{_html(UPPER_TEXT)}</p>")
        if title.startswith(OBLIGATIONS_TABLE + " — EU") and obligation_warnings(record):
            parts.append("<ul id='obligation-warnings'>" + "".join(f"<li>warning: {_html(w)}</li>"
                                                                   for w in obligation_warnings(record)) + "</ul>")
        if title == THRESHOLDS_TABLE and threshold_notes(record):
            parts.append("<p>Notes on the thresholds (uncertainty around a line; the status stays the primary "
                         "method's):</p><ul id='threshold-notes'>" + "".join(
                             f"<li><b>{e(tid)}</b>: {_html(note)}</li>" for tid, note in threshold_notes(record))
                         + "</ul>")
    parts.append("<h2>Methods</h2><ul>" + "".join(f"<li><b>{e(m['id'])}</b>: {e(m['description'])}</li>"
                                                 for m in record["methods"]) + "</ul>")
    parts.append(LOADED + "</body></html>\n")
    return "".join(parts)
