"""`flopcount status | verify | checkpoint | keygen`: what a ledger holds, whether it can
be trusted, and the head to witness outside it."""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any, Iterable

from .data.phases import BY_ID as PHASE_KINDS
from .errors import InputError
from .ledger import Ledger, Row, counted_rows, load_key
from .ledger import checkpoint as cp
from .ledger import keys
from .numbers import flop_text, multiple, sig2
from .render import table, wrap
from .thresholds import Context, evaluate, line_int


def run_steps(rows: Iterable[Row]) -> dict[str, int]:
    """The step each run reached (its highest `step_end`). Steps a resumed run re-runs keep
    its run id, so they count once; separate runs of a model add up."""
    reached: dict[str, int] = {}
    for row in rows:
        reached[row.run] = max(reached.get(row.run, 0), row.step_end)
    return reached


def _steps_text(phase: dict) -> str:
    """`16 (2 runs: 8 + 8)`, or `8` for a single run."""
    by_run = list(phase.get("steps_by_run", {}).values())
    if len(by_run) < 2:
        return str(phase.get("steps", 0))
    return f"{phase['steps']} ({len(by_run)} runs: {' + '.join(map(str, by_run))})"


def summarise(ledger: Ledger) -> dict[str, Any]:
    """Per model and phase: training, cumulative, evaluation and lost (superseded) FLOP,
    with the model's totals evaluated against the thresholds."""
    rows = list(ledger.rows())
    counted = {r.seq for r in counted_rows(rows)}
    models: dict[str, Any] = {}
    for row in rows:
        if row.row_kind == "resume":
            continue
        m = models.setdefault(row.model, {"phases": defaultdict(lambda: defaultdict(int)), "base": None,
                                          "base_systemic_risk": False, "runs": set(), "rows": defaultdict(list)})
        m["rows"][row.phase].append(row)
        m["runs"].add(row.run)
        m["base"] = row.extra.get("base_training_compute", m["base"])
        m["base_systemic_risk"] = row.extra.get("base_systemic_risk", m["base_systemic_risk"])
        p = m["phases"][row.phase]
        p["kind"] = row.phase_kind
        kind = PHASE_KINDS.get(row.phase_kind)
        if row.seq not in counted:
            p["lost"] += row.flops
        elif row.row_kind == "eval":
            p["eval"] += row.flops
        elif kind is not None:
            p["ran"] += row.flops  # what ran, whatever total it counts toward (data.phases)
            p["training"] += row.flops if kind.training else 0
            p["cumulative"] += row.flops if kind.cumulative else 0
        p["recomputed"] += row.flops_recomputed
        p["tokens"] += row.tokens if row.row_kind != "eval" else 0
        p["accelerator_hours"] += row.accelerator_seconds / 3600
    out = {}
    for name, m in models.items():
        for phase, phase_rows in m["rows"].items():
            by_run = run_steps(phase_rows)
            m["phases"][phase]["steps"] = sum(by_run.values())
            m["phases"][phase]["steps_by_run"] = by_run
        training = sum(p["training"] for p in m["phases"].values())
        cumulative = sum(p["cumulative"] for p in m["phases"].values()) + (m["base"] or 0)
        lineage = training + (m["base"] or 0)
        evaluations = evaluate({"training": (training,) * 3, "cumulative": (cumulative,) * 3,
                                "modification": (training,) * 3, "training_lineage": (lineage,) * 3},
                               Context(is_modification=m["base"] is not None, base_training=m["base"],
                                       base_systemic=m["base_systemic_risk"]))
        out[name] = {"training": training, "cumulative": cumulative, "base_training_compute": m["base"],
                     "runs": sorted(m["runs"]),
                     "phases": {k: dict(v) for k, v in m["phases"].items()},
                     "thresholds": [{"id": e.threshold.id, "value": line_int(e.line), "status": e.status,
                                     "margin": e.margin, "basis": e.basis}
                                    for e in evaluations]}
    return out


FLOP_KEYS = ("ran", "training", "cumulative", "base_training_compute", "eval", "lost", "recomputed", "value")


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
            kind = PHASE_KINDS.get(p["kind"])
            if kind and not (kind.training or kind.cumulative) and p.get("ran"):
                neither.append(f"  {phase}: {sig2(p['ran'])} FLOP ran, counted in neither total ({kind.note})")
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
