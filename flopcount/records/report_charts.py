"""A record's charts, drawn with matplotlib (the `plot` extra) and embedded as PNG data.

Apart from the text of the report because it alone needs matplotlib: without it the
import fails inside `figures`, and the HTML says the charts were not drawn.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def figures(record: dict) -> list[tuple[str, object]]:
    """(caption, matplotlib Figure): the methods chart and, with a ledger, the run chart,
    one line per run (`plot.ledger_runs`), of the record's model."""
    from . import plot
    phases = [(p["name"] + (plot.AT_MOST if p.get("bound") == "upper" else ""), {m: (float(e["total"]), float(e["low"]), float(e["high"])) for m, e in p["estimates"].items()})
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
