"""`flopcount record`: write a compute record (JSON + Markdown + HTML), or check one."""
from __future__ import annotations

import argparse
from typing import Any

from ..boundary.errors import InputError
from ..ledger import load_key


def add_parser(sub: Any) -> None:
    p = sub.add_parser("record", help="write an Annex XI compute record from a plan and/or ledger, or --check one")
    p.add_argument("--plan", help="what `flopcount estimate` reads: run plan (YAML/JSON), training recipe or finished "
                                  "run (see `flopcount import`), model config or folder, PEFT adapter file or folder")
    p.add_argument("--ledger", help="ledger (SQLite) written by the monitor")
    p.add_argument("--model", help="which model of the ledger")
    p.add_argument("--key", help="ledger key file: signs the record's checkpoint of the ledger head, or checks "
                                 "signatures with --check (default $FLOPCOUNT_LEDGER_KEY_FILE)")
    p.add_argument("--provider", default="unknown provider", help="provider name")
    p.add_argument("--contact", help="provider contact")
    p.add_argument("--open-source", action="store_true",
                   help="claim the Art. 53(2) exemption: judged from the plan's release: facts (licence, "
                        "weights_public, architecture_public, usage_info_public, monetised), which it requires")
    p.add_argument("--as-of", help="judge the obligations (and which duties are overdue) at this date, YYYY-MM-DD "
                                   "(default: today); the record keeps it")
    from .flags import add_base_arguments, add_import_flags, add_verdict_arguments
    add_import_flags(p)
    add_base_arguments(p)
    add_verdict_arguments(p)
    p.add_argument("--released", help="date first released through any channel, YYYY-MM-DD (documentation form)")
    p.add_argument("-o", "--output", help="output path stem: writes STEM.json, STEM.md, STEM.html")
    p.add_argument("--check", metavar="FILE",
                   help="re-validate a record: schema, arithmetic, and against its ledger (signatures with "
                        "$FLOPCOUNT_LEDGER_KEY_FILE)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..records import record
    if args.check:
        data = record.load(args.check)
        problems = record.check(data, args.check, args.ledger, args.key)
        for problem in problems:
            print(f"flopcount: {args.check}: {problem}")
        if not problems:
            led = data.get("ledger")
            signed = "signatures checked" if load_key(args.key) else "signatures not checked: no key given"
            print(f"{args.check}: OK (schema, arithmetic, derived fields" + (
                f"; ledger: chain, head at row {led['rows']}, every phase's FLOP, tokens, steps, hours and dates "
                f"re-derived from its rows; {signed})" if led else "; no ledger)"))
            if "obligations" not in data:
                print(f"{args.check}: record version 1: no obligations block (write the record again to add one)")
        return 1 if problems else 0
    if not args.output:
        raise InputError("required to write a record (or use --check FILE)", field="--output")
    plan = None
    if args.plan:
        from ..importers.resolve import plan_of  # the one input path estimate reads
        plan = plan_of(args.plan, args)
    from dataclasses import replace

    from ..importers.resolve import Request, verdict_inputs
    given = verdict_inputs(Request.of(args))
    as_of = None
    if args.as_of is not None:
        import datetime as dt
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise InputError(f"must be a date YYYY-MM-DD, got {args.as_of!r}", field="--as-of") from None
    if plan is not None and given:
        plan = replace(plan, **given)
    data = record.build(plan=plan, ledger_path=args.ledger, model=args.model, provider=args.provider, key_file=args.key,
                        contact=args.contact, open_source=args.open_source, as_of=as_of,
                        **({} if plan else given))
    for path in record.write(data, args.output):
        print(f"wrote {path}")
    return 0
