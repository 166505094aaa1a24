"""Human reports of a compute record: Markdown, and a self-contained HTML page with the
charts embedded as PNG data. Both are rendered from the record JSON alone: the summary
lines here, the tables from report_tables.py, the charts from report_charts.py."""
from __future__ import annotations

import html
import re

from ..law.headline import headline
from .report_charts import charts, figures  # noqa: F401  (re-exported)
from .report_tables import (  # noqa: F401  (re-exported)
    ANNEX_MAP, OBLIGATIONS_TABLE, THRESHOLDS_TABLE, UPPER_TEXT, UTILIZATION_SOURCES, _f, _tables, bounded,
    obligation_tables, obligation_warnings, threshold_notes)


def verdict(record: dict) -> str:
    """One line: the EU verdict with its duty, then the other regimes' statuses, as the law
    words it from the record's threshold rows (`flopcount.law.headline`)."""
    return headline(record["thresholds"], record["lineage"].get("modification_rule"))


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
