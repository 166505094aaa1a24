"""A compute record's tables as (title, header, rows), and the cell formats they use.

Markdown and HTML lay out the same tables (report.py); keeping what a table says apart
from how it is laid out means the two formats cannot disagree on a figure.
"""
from __future__ import annotations

from decimal import Decimal

from ..law.result import ROW_HEADER, duty_row
from ..boundary.numbers import multiple, sig2, sig2_plain
from .sections import no_peak

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
