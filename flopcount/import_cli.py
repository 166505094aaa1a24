"""`flopcount import PATH`: print the run plan an importer makes of a recipe or finished run."""
from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from .data.phases import BY_ID as PHASE_KINDS


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="turn a finished run (HF Trainer output folder) into a run plan (YAML)")
    p.add_argument("path", help="a Hugging Face Trainer output folder (trainer_state.json, config.json)")
    p.add_argument("--seq-len", help="sequence length of the training samples (not in the JSON the Trainer writes)")
    p.add_argument("--tokens", help="training tokens, when the run did not log num_input_tokens_seen")
    p.add_argument("--kind", default="pre-training", choices=sorted(PHASE_KINDS), metavar="KIND",
                   help="kind of work (default pre-training)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import import_path
    imported = import_path(args.path, seq_len=args.seq_len, tokens=args.tokens, kind=args.kind)
    out = sys.stdout.write
    out(f"# flopcount run plan imported from {args.path}\n")
    for field, origin in imported.trace.items():
        out(f"#   {field} <- {origin}\n")
    for note in imported.notes:
        out(f"# note: {note}\n")
    out(yaml.safe_dump(imported.plan, sort_keys=False))
    return 0
