"""`flopcount obligations PLAN [--as-of DATE] [--json]`: what each regime asks of the
model's provider, by when, and whether the open-source exemption applies (flopcount.law).
The text form is one table per regime, 80 columns; --json is the stable interface of
flopcount/schema/obligations.schema.json."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import textwrap
from dataclasses import replace

from ..data.countries import ALIASES, ISO_3166_1_ALPHA2
from ..boundary.errors import InputError
from ..law import Obligations, assess
from ..law.result import Duty, State, duty_row

WIDTH = 80


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("obligations", help="what the law asks of the model: duties, the open-source exemption, dates")
    p.add_argument("path", help="run plan (YAML/JSON) with provider:, release:, deploys: (or any path `estimate` reads)")
    p.add_argument("--as-of", help="judge overdue duties at this date, YYYY-MM-DD (default: today)")
    p.add_argument("--established", help="provider's country of establishment (ISO 3166-1 alpha-2), overriding "
                                         "the plan's provider.established")
    p.add_argument("--licence", help="licence (SPDX id), overriding the plan's release.licence")
    p.add_argument("--json", action="store_true", help="machine-readable output (obligations.schema.json)")
    p.set_defaults(func=cmd_obligations)


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"must be a date YYYY-MM-DD, got {value!r}", field="--as-of") from None


def _flags(facts, args: argparse.Namespace):
    """--established and --licence, read as strictly as the plan's fields."""
    provider, release = facts.provider, facts.release
    if args.established is not None:
        code = ALIASES.get(args.established.strip().upper(), args.established.strip().upper())
        if code not in ISO_3166_1_ALPHA2:
            raise InputError(f"must be an ISO 3166-1 alpha-2 country code, got {args.established!r}",
                             field="--established")
        provider = replace(provider, established=code)
    if args.licence is not None:
        if not args.licence.strip():
            raise InputError("must be a non-empty licence id", field="--licence")
        release = replace(release, licence=args.licence.strip())
    return replace(facts, provider=provider, release=release)


def obligations_of(args: argparse.Namespace) -> Obligations:
    from ..law.estimate import estimate
    from ..importers.resolve import plan_of
    from ..law.summary import facts_of, summarise
    as_of = _as_of(args.as_of)
    result = estimate(plan_of(args.path))  # as `estimate` reads it; a plan states its facts
    return assess(summarise(result), _flags(facts_of(result), args), as_of)


def _rows(duties: tuple[tuple[str, Duty], ...]) -> list[str]:
    """duty, status, due, overdue, provision (`duty_row`, the cells the compute records
    show too); the columns as wide as their longest value, the reason and any second
    reading on indented lines below."""
    cells = [duty_row(key, d.to_json()) for key, d in duties]
    k = max(len("duty"), *(len(c[0]) for c in cells))
    s = max(len("status"), *(len(c[1]) for c in cells))
    lines = [f"{'duty':<{k}} {'status':<{s}} {'due':<10} {'overdue':<7} provision"]
    for (key, status, due, overdue, provision), (_, d) in zip(cells, duties):
        lines.append(f"{key:<{k}} {status:<{s}} {due:<10} {overdue:<7} {provision}")
        lines += textwrap.wrap(d.why, WIDTH, initial_indent="    ", subsequent_indent="    ")
        for r in d.readings:
            lines += textwrap.wrap(f"or: {r.text} ({r.provision})", WIDTH, initial_indent="    ",
                                   subsequent_indent="      ")
    return lines


def _state(title: str, s: State) -> list[str]:
    lines = ["", f"{title}: {'applies' if s.applies else 'does not apply'}, tier {s.tier}"]
    lines += textwrap.wrap(s.why, WIDTH, initial_indent="  ", subsequent_indent="  ")
    for r in s.readings:
        lines += textwrap.wrap(f"reading: {r.text} ({r.provision})", WIDTH, initial_indent="  ",
                               subsequent_indent="    ")
    return lines + (_rows(s.duties) if s.duties else [])


def to_text(o: Obligations) -> str:
    eu = o.eu
    lines = [f"Obligations of {o.model} as of {o.as_of} (not legal advice; provisions cited)", "",
             f"EU AI Act: provider {eu.provider} · GPAI {eu.gpai} · systemic risk {eu.systemic_risk}",
             f"  open-source exemption: {eu.open_source_exemption}"]
    for name in ("provider", "gpai", "systemic_risk", "open_source_exemption"):
        lines += textwrap.wrap(f"{name}: {eu.why[name]}", WIDTH, initial_indent="  ", subsequent_indent="    ")
    lines += _rows((("notify", eu.notify),) + eu.duties)
    lines += [w for warning in eu.warnings for w in textwrap.wrap("warning: " + warning, WIDTH, subsequent_indent="  ")]
    lines += _state("California SB 53", o.ca_sb53) + _state("New York RAISE Act", o.ny_raise)
    return "\n".join(lines) + "\n"


def cmd_obligations(args: argparse.Namespace) -> int:
    result = obligations_of(args)
    print(json.dumps(result.to_json(), indent=2) if args.json else to_text(result), end="\n" if args.json else "")
    return 0
