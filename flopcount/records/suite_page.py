"""A suite's page: one Annex XI record per model (its final checkpoint) with its checkpoint
table as an annex, and `index.html` with the suite's table and one chart of cumulative
compute per checkpoint, every model, on log axes with the threshold lines (plot.py's
colours). Records come from `record.build` on each model's plan, as `record --plan` builds
one; the page only lays out what the table and the records hold.

Everything is rendered first, then written into a fresh folder beside DIR and moved in,
so a failure leaves DIR as it was.
"""
from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.numbers import sig2

CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}td.n{text-align:right}img{max-width:100%}")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


LOADED = ("<script>window.addEventListener('load',function(){var n=0;document.querySelectorAll('img')"
          ".forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});"
          "document.body.setAttribute('data-images-loaded',n);});</script>")


def _png(fig) -> str:
    import base64
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def chart(suite, frame):
    """Cumulative FLOP (primary method) against tokens behind the weights, one line per
    model, threshold lines as in plot.py; checkpoints at 0 tokens are off a log axis."""
    from matplotlib.figure import Figure

    from .plot import ACTIVE, COLORS, RUN_COLORS, EXTRA_COLORS
    fig = Figure(figsize=(10, 6))
    ax = fig.add_subplot()
    palette = RUN_COLORS + EXTRA_COLORS
    for i, model in enumerate(suite.models):
        part = frame[(frame.model == model.name) & (frame.tokens > 0)]
        primary = str(part["primary"].iloc[0]) if len(part) else "full"
        ys = [float(v) for v in part[f"flop_{primary}"]]
        style = {"marker": "o", "ms": 5} if len(part) == 1 else {"lw": 1.2}
        ax.plot(part.tokens.astype(float), ys, color=palette[i % len(palette)], label=model.name, **style)
    for t in ACTIVE:
        ax.axhline(float(t.flop), color=COLORS.get(t.id, "0.5"), lw=1, ls="--", gid=f"threshold:{t.id}")
        ax.annotate(f"{t.id} ({sig2(t.flop)})", (0.005, float(t.flop)), xycoords=("axes fraction", "data"),
                    fontsize=7, color=COLORS.get(t.id, "0.5"), va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tokens behind the checkpoint's weights")
    ax.set_ylabel("cumulative training compute (FLOP, 1 multiply-add = 2 FLOP)")
    ax.set_title(f"Suite {suite.name}: cumulative compute per checkpoint")
    ax.legend(fontsize=7, ncol=2 if len(suite.models) > 8 else 1, loc="lower right")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def index_html(suite, frame, files: dict[str, tuple[str, str]]) -> str:
    e = html.escape
    statuses = [c for c in frame.columns if c.startswith("status_")]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Suite {e(suite.name)}</title>"
             f"<style>{CSS}</style></head><body><h1>Suite {e(suite.name)}</h1>",
             f"<p>{len(suite.models)} models, {len(frame):,} checkpoints. Compute counts everything behind a "
             "checkpoint's weights (earlier stages and soup ingredients included); 1 multiply-add = 2 FLOP. "
             "Statuses and obligations are each model's last checkpoint's"
             + (f", obligations judged as of {e(str(frame['as_of'].iloc[0]))}" if "as_of" in frame.columns
                and len(frame) else "")
             + " (every checkpoint's: the checkpoint table; each duty: <code>flopcount obligations</code>; "
             "not legal advice).</p>"]
    try:
        parts.append(f"<figure><img id='chart' alt='cumulative compute per checkpoint' "
                     f"src='data:image/png;base64,{_png(chart(suite, frame))}'></figure>")
    except ImportError:
        parts.append("<p id='charts-not-drawn'><i>Chart not drawn: matplotlib is not installed "
                     "(pip install 'flopcount[plot]').</i></p>")
    from .suite import OBLIGATIONS
    duties = [c for c in OBLIGATIONS if c in frame.columns]
    head = ["model", "parameters", "checkpoints", "last step", "tokens", "FLOP (last)", "method",
            *(s.removeprefix("status_") for s in statuses), *duties, "record", "checkpoint table"]
    parts.append("<table id='suite'><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
    by_model = {name: part for name, part in frame.groupby("model", observed=True, sort=False)}
    for model in suite.models:
        part = by_model[model.name]
        last = part.iloc[-1]
        primary = str(last["primary"])
        record, annex = files[model.name]
        cells = [e(model.name), f"{int(last.params_total):,}", f"{len(part):,}", f"{int(last.step):,}",
                 f"{int(last.tokens):,}", e(sig2(last[f'flop_{primary}'])), e(primary),
                 *(e(str(last[s])) for s in statuses),
                 *(e("—" if last[c] is None else str(last[c]).lower() if c.endswith("_applies") else str(last[c]))
                   for c in duties),
                 f"<a href='{e(record)}'>record</a>", f"<a href='{e(annex)}'>csv</a>"]
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    notes = [(m.name, n) for m in suite.models for n in m.notes if n.startswith("cumulative reading")]
    if notes:
        parts.append("<h2>Readings</h2><ul id='readings'>" + "".join(f"<li><b>{e(m)}</b>: {e(n)}</li>"
                                                                     for m, n in notes) + "</ul>")
    parts.append(LOADED + "</body></html>\n")
    return "".join(parts)


def write_page(suite, frame, folder: str | Path, table_name: str, table_bytes: bytes, *,
               open_source: bool = False) -> list[Path]:
    """DIR/<table>, DIR/index.html, DIR/records/<model>.{json,md,html} and
    DIR/records/<model>.checkpoints.csv, all or nothing."""
    from . import record
    from .suite import progress
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InputError("not a folder", source=str(folder), field="-o")
    provider = str((suite.provider or {}).get("name") or "unknown provider")
    records: dict[str, dict[str, Any]] = {}
    for model in progress(suite.models, total=len(suite.models), desc="records", unit="record"):
        # built in full before anything is written
        records[model.name] = record.build(plan=model.plan, model=model.name, provider=provider,
                                           open_source=open_source)
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        files: dict[str, tuple[str, str]] = {}
        for model in suite.models:
            stem = _safe(model.name)
            record.write(records[model.name], stage / "records" / stem)
            part = frame[frame.model == model.name]
            (stage / "records" / f"{stem}.checkpoints.csv").write_text(part.to_csv(index=False))
            files[model.name] = (f"records/{stem}.html", f"records/{stem}.checkpoints.csv")
        (stage / table_name).write_bytes(table_bytes)
        (stage / "index.html").write_text(index_html(suite, frame, files), encoding="utf-8")
        written = []
        for path in sorted(stage.rglob("*")):
            if path.is_file():
                dest = target / path.relative_to(stage)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, dest)
                written.append(dest)
        return written
    finally:
        shutil.rmtree(stage, ignore_errors=True)
