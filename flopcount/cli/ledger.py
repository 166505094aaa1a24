"""`flopcount status`, `verify`, `checkpoint` and `keygen`: the ledger commands, thin over
`flopcount.ledger` and the ledger summary (`flopcount.records.status.summarise`)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..boundary.errors import InputError
from ..boundary.numbers import flop_text, multiple, sig2
from ..data.phases import BY_ID as PHASE_KINDS
from ..ledger import Ledger, load_key
from ..ledger import checkpoint as cp
from ..ledger import keys
from ..ledger.summary import counts_toward
from ..records.render import table, wrap
from ..records.status import summarise

FLOP_KEYS = ("ran", "training", "cumulative", "base_training_compute", "eval", "lost", "recomputed", "value")


def _steps_text(phase: dict) -> str:
    """`16 (2 runs: 8 + 8)`, or `8` for a single run."""
    by_run = list(phase.get("steps_by_run", {}).values())
    if len(by_run) < 2:
        return str(phase.get("steps", 0))
    return f"{phase['steps']} ({len(by_run)} runs: {' + '.join(map(str, by_run))})"


def _json_flop(node: Any) -> Any:
    """FLOP fields as decimal strings, the JSON type of FLOP in every flopcount output."""
    if isinstance(node, dict):
        return {k: flop_text(v) if k in FLOP_KEYS and isinstance(v, int) and not isinstance(v, bool)
                else _json_flop(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_flop(v) for v in node]
    return node


def cmd_status(args: argparse.Namespace) -> int:
    with Ledger(args.ledger, create=False) as ledger:
        check = ledger.verify(load_key(args.key))
        summary = summarise(ledger)
    if args.json:
        print(json.dumps({"verified": check.ok, "rows": check.rows, "head": check.head,
                          "problems": list(check.problems), "models": _json_flop(summary)}, indent=2))
        return 0 if check.ok else 1
    lines = [f"ledger {args.ledger}: {check.rows} rows, chain {'verified' if check.ok else 'BROKEN'}, "
             f"head {check.head[:16]}"]
    lines += [f"  ! {problem}" for problem in check.problems]
    for name, m in summary.items():
        lines += ["", f"{name}: training {sig2(m['training'])} FLOP, cumulative {sig2(m['cumulative'])} FLOP"
                  + (f" (incl. base {sig2(m['base_training_compute'])})" if m["base_training_compute"] else "")]
        rows = [["phase", "ran", "training", "cumulative", "eval", "steps", "lost"]]
        neither = []
        for phase, p in m["phases"].items():
            if counts_toward(p["kind"]) == "neither" and p.get("ran"):
                why = PHASE_KINDS[p["kind"]].note if p["kind"] in PHASE_KINDS else "an unknown phase kind"
                neither.append(f"  {phase}: {sig2(p['ran'])} FLOP ran, counted in neither total ({why})")
            rows.append([f"{phase} ({p['kind']})" if p["kind"] != phase else phase, sig2(p.get("ran", 0)),
                         sig2(p.get("training", 0)),
                         sig2(p.get("cumulative", 0)), sig2(p.get("eval", 0)), _steps_text(p),
                         sig2(p["lost"]) if p.get("lost") else ""])
        lines += table(rows) + neither
        lines += table([["threshold", "line", "status", "margin"]]
                        + [[t["id"], f"> {sig2(t['value'])}", t["status"].upper(), multiple(t["margin"])]
                           for t in m["thresholds"]])
    sys.stdout.write("\n".join(wrap(lines)) + "\n")
    return 0 if check.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    key = load_key(args.key)
    expect = cp.parse(args.expect) if args.expect is not None else None
    with Ledger(args.ledger, create=False) as ledger:
        check = ledger.verify(key, expect)
    print(f"{args.ledger}: {check.rows} rows, head {check.head}: {'OK' if check.ok else 'TAMPERED'}")
    for problem in check.problems:
        print(f"  ! {problem}")
    for note in check.notes:
        print(f"  - {note}")
    return 0 if check.ok else 1


def cmd_checkpoint(args: argparse.Namespace) -> int:
    with Ledger(args.ledger, create=False, key=load_key(args.key)) as ledger:
        check = ledger.verify(ledger.key)
        if not check.ok:
            raise InputError("will not witness a ledger that fails verification: " + "; ".join(check.problems),
                             source=str(args.ledger))
        point = ledger.checkpoint()
    text = json.dumps(point.to_json(), indent=2) + "\n"
    if args.output:
        try:
            with open(args.output, "x", encoding="utf-8") as out:  # a witness is never overwritten
                out.write(text)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", source=args.output, field="--output") from None
    sys.stdout.write(text)
    if point.signature is None:
        sys.stderr.write("flopcount: checkpoint unsigned (no private key given): it witnesses the head only "
                         "where it is kept out of the ledger owner's reach\n")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    try:
        private, public = keys.generate(args.path)
    except ImportError:
        raise InputError("ed25519 keys need the 'cryptography' package: pip install 'flopcount[sign]'") from None
    print(f"private key {private} (mode 0600: keep it with the training jobs, never in the ledger)")
    print(f"public key  {public} (give it to auditors: it checks signatures and cannot make them)")
    return 0


KEY_HELP = ("signing key file: ed25519 PEM (private or public) or an HMAC secret; default "
            f"${keys.ENV_FILE}, then ${keys.ENV_TEXT}")


def add_parsers(sub: Any) -> None:
    status = sub.add_parser("status", help="cumulative compute in a ledger, per model and phase")
    status.add_argument("ledger", help="SQLite file or postgresql:// URL")
    status.add_argument("--json", action="store_true")
    status.add_argument("--key", help=KEY_HELP)
    status.set_defaults(func=cmd_status)
    verify = sub.add_parser("verify", help="check a ledger's chain, signatures and witnessed head (exit 1 if not)")
    verify.add_argument("ledger", help="SQLite file or postgresql:// URL")
    verify.add_argument("--key", help=KEY_HELP)
    verify.add_argument("--expect", metavar="HEAD",
                        help="witnessed head: ROWS:HASH, a 64-hex HASH, or a checkpoint file")
    verify.set_defaults(func=cmd_verify)
    point = sub.add_parser("checkpoint", help="print (and with -o write) the ledger's signed head, to witness")
    point.add_argument("ledger", help="SQLite file or postgresql:// URL")
    point.add_argument("--key", help=KEY_HELP)
    point.add_argument("-o", "--output", help="write the checkpoint JSON here (never overwrites)")
    point.set_defaults(func=cmd_checkpoint)
    keygen = sub.add_parser("keygen", help="make an ed25519 key pair for signing ledger rows")
    keygen.add_argument("path", help="private key file (PATH.pub gets the public key)")
    keygen.set_defaults(func=cmd_keygen)
