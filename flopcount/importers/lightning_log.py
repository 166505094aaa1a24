"""A Lightning log folder whose CSVLogger `metrics.csv` holds flopcount's metrics
(`flopcount/training_flop`, `flopcount/cumulative_flop`, logged by
`flopcount.callbacks.lightning`) → a run plan.

The last logged values are the run's compute so far: training as a phase of `--kind`
(default pre-training), and any cumulative-only work (non-public synthetic data, merged or
initialising weights) as a second phase, kind synthetic-data, public false — a stand-in
kind, since the metrics do not say which (the run's ledger does); both count where the
monitor counted them. Lightning logs through float32 tensors, so the figures are exact to
about 7 significant digits only (the ledger holds the exact integers). The folder may be a
run's `version_N/` or its parent (the highest version holding the metrics is read). The
model's config comes from `--base-config`; the end date is metrics.csv's modification time.
TensorBoard event files are not read.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.numbers import exact_int
from .base import Imported
from .recipe import Flags, run_plan

METRICS = "metrics.csv"
TRAINING, CUMULATIVE = "flopcount/training_flop", "flopcount/cumulative_flop"


def _metrics(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    candidates = [folder / METRICS] + sorted(
        (p / METRICS for p in folder.glob("version_*") if re.fullmatch(r"version_\d+", p.name)),
        key=lambda p: -int(p.parent.name.split("_")[1]))
    for path in candidates:
        try:
            with open(path, newline="", encoding="utf-8") as f:
                if TRAINING in next(csv.reader(f), []):
                    return path
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return None


def sniff(path: Path) -> bool:
    return _metrics(path) is not None


def _last(rows: list[dict], column: str, source: str) -> float | None:
    values = [r[column] for r in rows if r.get(column) not in (None, "")]
    if not values:
        return None
    try:
        value = float(values[-1])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{values[-1]!r} is not a FLOP count", source=source, field=column)
    return value


def import_(folder: Path, flags: Flags = Flags()) -> Imported:
    path = _metrics(folder)
    assert path is not None
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the metrics ({exc.__class__.__name__}: {exc})", source=str(path)) from None
    training = _last(rows, TRAINING, str(path))
    if training is None:
        raise InputError("no flopcount/training_flop value logged yet", source=str(path), field=TRAINING)
    cumulative = _last(rows, CUMULATIVE, str(path)) or training
    if not flags.base_config:
        raise InputError("a Lightning log holds no model config: pass --base-config (the model's config.json)",
                         source=str(folder), field="--base-config")
    end = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).date().isoformat()
    imported = Imported(plan={}, trace={"model.config": "--base-config", "phases[0].flops": f"{path.name}: last {TRAINING}",
                                        "phases[0].end": f"{path.name} modification time"})
    phases: list[dict[str, Any]] = [{"name": "training", "kind": flags.kind or "pre-training",
                                     "flops": exact_int(training), "end": end}]
    if cumulative > training:
        phases.append({"name": "cumulative-only work", "kind": "synthetic-data", "public": False,
                       "flops": exact_int(cumulative) - exact_int(training), "end": end})
        imported.trace["phases[1].flops"] = f"{path.name}: last {CUMULATIVE} − {TRAINING}"
        imported.notes.append("cumulative compute logged beyond training: recorded as kind synthetic-data (public "
                              "false), a stand-in; the run's ledger says which kind it was")
    imported.notes.append("Lightning logs through float32: these figures are exact to about 7 significant digits "
                          "(the run's ledger holds the exact counts)")
    model = {"config": str(Path(flags.base_config).resolve())}
    imported.plan = run_plan(folder.resolve().name, model, None, *phases)
    return imported
