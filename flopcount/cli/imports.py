"""`flopcount import PATH`: print the run plan an importer makes of a recipe or finished run.

`estimate`, `record --plan`, `plot` and `obligations` read the same paths directly, through
the one resolver (`flopcount.importers.resolve`).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from ..data.phases import BY_ID as PHASE_KINDS
from ..boundary.errors import InputError
from ..importers.resolve import Request
from .flags import RECIPES, add_import_flags

def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="turn a training recipe or finished run into a run plan (YAML)")
    p.add_argument("path", help=RECIPES)
    add_import_flags(p)
    p.add_argument("--kind", choices=sorted(PHASE_KINDS), metavar="KIND",
                   help="kind of work, where the recipe does not say (default pre-training)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the plan here, its paths relative to this file's folder (default: print it, "
                        "its paths relative to the current directory)")
    p.set_defaults(func=cmd_import)


def relative_paths(plan: dict, folder: Path) -> dict:
    """The plan with its model config paths relative to `folder`, where the plan is read
    from: a plan names files beside it, never the importing machine's absolute paths."""
    def model(entry: dict) -> dict:
        config = entry.get("config")
        if not isinstance(config, str):
            return entry
        try:
            return {**entry, "config": Path(os.path.relpath(Path(config).resolve(), folder.resolve())).as_posix()}
        except ValueError:  # another drive (Windows): no relative path exists
            return entry
    out = {**plan, "model": model(plan["model"])} if isinstance(plan.get("model"), dict) else dict(plan)
    if isinstance(plan.get("phases"), list):
        out["phases"] = [{**p, "model": model(p["model"])} if isinstance(p, dict) and isinstance(p.get("model"), dict)
                         else p for p in plan["phases"]]
    return out


def cmd_import(args: argparse.Namespace) -> int:
    from ..importers import import_path
    imported = import_path(args.path, Request.of(args).import_flags())
    target = Path(args.output) if args.output else None
    lines = [f"# flopcount run plan imported from {args.path}",
             "# paths relative to " + ("this file's folder" if target else "the directory `flopcount import` ran in")]
    lines += [f"#   {field} <- {origin}" for field, origin in imported.trace.items()]
    lines += [f"# note: {note}" for note in imported.notes]
    plan = relative_paths(imported.plan, target.parent if target else Path.cwd())
    text = "\n".join(lines) + "\n" + yaml.safe_dump(plan, sort_keys=False)
    if target is None:
        sys.stdout.write(text)
        return 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or target}: {exc.strerror or exc}", field="--output") from None
    print(f"wrote {target}")
    return 0
