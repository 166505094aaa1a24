"""What a ledger holds, per model and phase, judged against the thresholds: the summary
`flopcount status` prints (the commands are `flopcount.cli.ledger`)."""
from __future__ import annotations

from typing import Any

from ..law.thresholds import Context, evaluate, line_int
from ..ledger import Ledger
from ..ledger.summary import run_steps, summarise as summarise_rows  # noqa: F401 (run_steps re-exported)


def summarise(ledger: Ledger) -> dict[str, Any]:
    """Per model and phase: what ran, training, cumulative, evaluation and lost
    (superseded) FLOP (`ledger.summary`), with the model's totals against the thresholds."""
    out = {}
    for name, m in summarise_rows(ledger.rows()).items():
        training, cumulative = m.training, m.cumulative + (m.base or 0)
        lineage = training + (m.base or 0)
        evaluations = evaluate({"training": (training,) * 3, "cumulative": (cumulative,) * 3,
                                "modification": (training,) * 3, "training_lineage": (lineage,) * 3},
                               Context(is_modification=m.base is not None, base_training=m.base,
                                       base_systemic=m.base_systemic_risk))
        phases = {phase: {"kind": p.kind, "ran": p.ran, "training": p.training, "cumulative": p.cumulative,
                          "eval": p.eval, "lost": p.lost, "recomputed": p.recomputed, "tokens": p.tokens,
                          "accelerator_hours": p.accelerator_seconds / 3600,
                          "steps": sum(p.steps_by_run.values()), "steps_by_run": p.steps_by_run}
                  for phase, p in m.phases.items()}
        out[name] = {"training": training, "cumulative": cumulative, "base_training_compute": m.base,
                     "runs": sorted(m.runs), "phases": phases,
                     "thresholds": [{"id": e.threshold.id, "value": line_int(e.line), "status": e.status,
                                     "margin": e.margin, "basis": e.basis}
                                    for e in evaluations]}
    return out
