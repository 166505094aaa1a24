"""`flopcount suite SUITE [-o DIR] [--format csv|parquet|json]`: a suite's table.

The suite is resolved and its table built in full before anything is written; the table
file is written under a temporary name in DIR and renamed, so a bad model leaves DIR as it
was. FLOP columns are exact integers: written as integers in CSV and as decimal strings in
JSON and Parquet (neither holds integers past 2^63 exactly), as every flopcount JSON does.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.numbers import flop_text, sig2

FORMATS = ("csv", "parquet", "json")
WIDTH = 80


def add_parser(sub: Any) -> None:
    p = sub.add_parser("suite", help="every model of a suite at every checkpoint: one table")
    p.add_argument("path", help="a suite file (flopcount_suite: 1), a folder of recipes, configs or run plans "
                                "(one model each), or a text file of Hugging Face model ids, one ORG/NAME@REVISION "
                                "a line, read from the local Hugging Face cache (never downloaded)")
    p.add_argument("-o", "--output", metavar="DIR", help="write the table to DIR/<suite name>.<format>, "
                   "DIR/index.html (table and chart) and one compute record per model in DIR/records/")
    p.add_argument("--format", choices=FORMATS, default="csv", help="table format with -o (default csv)")
    p.add_argument("--checkpoints", metavar="SPEC", help="checkpoint steps for every model lacking its own: "
                   "a comma list of steps, every:N, to:N (to defaults to the run's last step), e.g. "
                   "0,1,2,4,every:1000")
    p.add_argument("--gpus", help="devices of each recipe run that lacks them (GPT-NeoX, Megatron)")
    p.add_argument("--vocab-size", help="tokenizer vocabulary for recipes that only name it (GPT-NeoX, Megatron)")
    p.add_argument("--seq-len", help="sequence length for config.json models")
    p.add_argument("--tokens-per-step", help="tokens per optimizer step of each config.json or model-id run "
                   "that lacks it")
    p.add_argument("--steps", help="the last step of each config.json or model-id run that lacks it")
    p.add_argument("--as-of", help="judge each checkpoint's obligations at this date, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_suite)


def _short(n: int) -> str:
    for unit, scale in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def eu_lines(suite, as_of) -> list[str]:
    """Each model's EU assessment at its last checkpoint, in `estimate`'s words
    (`law.summary.one_line`); models with the same line share it (80 columns)."""
    import textwrap

    from ..law.summary import of_estimate, one_line
    from ..records.suite import checkpoint_result
    groups: dict[str, list[str]] = {}
    for model in suite.models:
        line = one_line(of_estimate(checkpoint_result(model, int(model.steps[-1])), as_of))
        groups.setdefault(line, []).append(model.name)
    out = [f"Obligations at each model's last checkpoint, as of {as_of.isoformat()}:"]
    for line, names in groups.items():
        who = f"all {len(names)} models" if len(names) == len(suite.models) > 1 else ", ".join(names)
        out += textwrap.wrap(f"{who}: {line}", WIDTH, initial_indent="  ", subsequent_indent="    ",
                             break_on_hyphens=False)
    return out


def summary(suite, frame, as_of=None) -> list[str]:
    """Per model: parameters, first and last checkpoint with their FLOP, the first
    checkpoint over each line, and the EU line of its last checkpoint (80 columns)."""
    from ..records.suite import as_of_date
    from ..data.thresholds import THRESHOLDS
    from ..records.render import table
    lines = [f"Suite {suite.name}: {len(suite.models)} models, {len(frame):,} checkpoints "
             "(1 multiply-add = 2 FLOP)"]
    rows = [["model", "params", "checkpoints", "first", "last FLOP", "method"]]
    over_lines: list[str] = []
    by_model = {name: part for name, part in frame.groupby("model", observed=True, sort=False)}
    for model in suite.models:
        part = by_model[model.name]
        primary = str(part["primary"].iloc[0])
        flop = part[f"flop_{primary}"]
        rows.append([model.name, _short(int(part["params_total"].iloc[0])),
                     f"{len(part)}: {int(part['step'].iloc[0]):,}..{int(part['step'].iloc[-1]):,}",
                     sig2(flop.iloc[0]) if flop.iloc[0] else "0", sig2(flop.iloc[-1]), primary])
        for t in THRESHOLDS:
            col = f"over_{t.id}"
            if col in part and part[col].any():
                first = part[part[col]].iloc[0]
                over_lines.append(f"  {model.name}: {t.id} {part[f'status_{t.id}'].iloc[-1]} from step "
                                  f"{int(first['step']):,} ({sig2(first[f'flop_{primary}'])} FLOP)")
    lines += table(rows, WIDTH)
    lines += ["First checkpoint over each line:", *over_lines] if over_lines else \
        ["No checkpoint of any model is over a threshold line."]
    lines += eu_lines(suite, as_of_date(as_of))
    return lines


def _payload(frame, fmt: str) -> bytes:
    flop = [c for c in frame.columns if c.startswith("flop_")]
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    if fmt == "json":
        records = []
        cols = list(frame.columns)
        for row in frame.itertuples(index=False, name=None):
            rec = {}
            for c, v in zip(cols, row):
                if c in flop:
                    rec[c] = None if v is None else flop_text(v)
                elif hasattr(v, "item"):
                    rec[c] = v.item()
                else:
                    rec[c] = v
            records.append(rec)
        return json.dumps({"flopcount_suite_table": 1, "flop_as": "decimal strings", "rows": records},
                          indent=1).encode()
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError("--format parquet needs pyarrow (pip install pyarrow); csv and json need nothing more",
                         field="--format") from None
    import io
    out = frame.copy()
    for c in flop:
        out[c] = [None if v is None else flop_text(v) for v in out[c]]
    buf = io.BytesIO()
    out.to_parquet(buf, index=False)
    return buf.getvalue()


def write(frame, name: str, folder: str, fmt: str) -> Path:
    """DIR/<name>.<fmt>, written whole or not at all."""
    data = _payload(frame, fmt)
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InputError("not a folder", source=folder, field="-o")
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.{fmt}"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cmd_suite(args: argparse.Namespace) -> int:
    from ..records.suite import load_suite, table
    if not Path(args.path).exists():
        raise InputError("no such file or folder", source=args.path)
    from .obligations import _as_of
    as_of = _as_of(args.as_of)
    suite = load_suite(args.path, checkpoints=args.checkpoints, gpus=args.gpus, vocab_size=args.vocab_size,
                       seq_len=args.seq_len, tokens_per_step=args.tokens_per_step, steps=args.steps)
    frame = table(suite, as_of=as_of)
    lines = summary(suite, frame, as_of)
    if args.output:
        from ..records.suite_page import write_page
        written = write_page(suite, frame, args.output, f"{suite.name}.{args.format}", _payload(frame, args.format))
        table_path = Path(args.output) / f"{suite.name}.{args.format}"
        lines += [f"Table ({len(frame):,} rows × {len(frame.columns)} columns), index.html and "
                  f"{len(suite.models)} records:", f"  {len(written)} files; the table:", f"  {table_path}"]
    print("\n".join(lines))
    return 0
