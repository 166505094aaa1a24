"""`flopcount accelerators` and `flopcount thresholds`: the two data tables, with their sources."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..boundary.numbers import sig2
from ..data.accelerators import ACCELERATORS
from ..data.thresholds import MODIFICATION_FRACTION, THRESHOLDS
from ..records.render import table, wrap


def add_parsers(sub: Any) -> None:
    acc = sub.add_parser("accelerators", help="list the accelerator table")
    acc.add_argument("--json", action="store_true")
    acc.set_defaults(func=cmd_accelerators)
    thr = sub.add_parser("thresholds", help="list the threshold table")
    thr.add_argument("--json", action="store_true")
    thr.set_defaults(func=cmd_thresholds)


def cmd_accelerators(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([{"id": a.id, "name": a.name, "aliases": list(a.aliases), "peak_flops": dict(a.peak),
                           "power_w": a.power_w, "source": a.source, "verified": a.verified, "note": a.note}
                          for a in ACCELERATORS], indent=2))
        return 0
    lines = ["Dense peak FLOP/s per precision (no sparsity)", ""]
    for a in ACCELERATORS:
        peaks = ", ".join(f"{p} {v / 1e12:g}T" for p, v in a.peak.items())
        flag = "" if a.verified else "  [unverified]"
        lines += [f"{a.id:<10} {a.name}{flag}", f"           {peaks}",
                  f"           aliases: {', '.join(a.aliases) or '—'}", f"           source: {a.source}"]
    print("\n".join(wrap(lines)))
    return 0


def cmd_thresholds(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([t.__dict__ for t in THRESHOLDS], indent=2))
        return 0
    rows = [[t.id, f"> {sig2(t.flop)}" if t.flop else f"> {MODIFICATION_FRACTION} of base", t.quantity.replace("_", " "),
             t.status + ("" if t.verified else " [unverified]")] for t in THRESHOLDS]
    lines = []
    for t, row in zip(THRESHOLDS, table(rows)):
        lines += [row, *wrap([f"    {t.instrument}, {t.provision}"]), f"    {t.source}"]  # a URL stays whole
    print("\n".join(lines))
    return 0
