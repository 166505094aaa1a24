"""A measured step checked against the model's own formula: counting three ways, used.

The measured path sees only what runs through torch's dispatcher with a known formula. A
Triton kernel wrapped as a custom op (a fused linear-cross-entropy, say) hides its
matmuls: the step is then undercounted, silently. When the model's config can be read,
the first measured step is compared with the analytic count of the same batch; a gap over
`CROSS_CHECK_TOLERANCE` names what the counter could not see — ops it did not count and
weight-bearing modules that recorded no FLOP (largest first) — so a person can tell which
count to trust. Not compared: a tensor-parallel rank's share (its batch is the group's),
frozen weights, and models whose config flopcount cannot read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..data.assumptions import CROSS_CHECK_TOLERANCE
from ..data.ops import NO_FLOP_NAMESPACES
from ..boundary.numbers import sig2
from .result import TRAINING_PHASES, Measurement

#: modules whose weights do no arithmetic (a lookup), so recording no FLOP is expected
_LOOKUPS = ("Embedding", "EmbeddingBag")


@dataclass
class Findings:
    """What one measured step's inspection found; `notes` go to the warning and the ledger."""
    gap: float | None = None          # (measured − analytic) / analytic, when compared
    analytic: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def carry(self) -> bool:
        """The analytic count should stand for the step: the measured one is known to miss
        work (a formula failed, or the gap is over tolerance with uncounted kernels)."""
        return self.analytic is not None and (self._failed or (self._off and self._hidden))

    _failed: bool = False
    _off: bool = False
    _hidden: bool = False


def silent_modules(model: Any, measured: Measurement, limit: int = 3) -> list[tuple[str, int]]:
    """(name, parameters) of modules holding a matrix of weights that recorded no training
    FLOP in the step — a matmul the counter did not see — largest first."""
    seen = {module for (phase, module, _), v in measured.records.items() if phase in TRAINING_PHASES and v}
    root = type(model).__name__
    out = []
    for name, module in model.named_modules():
        weights = [p for p in module.parameters(recurse=False) if p.dim() >= 2]
        if not name or not weights or type(module).__name__ in _LOOKUPS:
            continue
        path = f"{root}.{name}"
        if not any(m == path or m.startswith(path + ".") for m in seen):
            out.append((name, sum(p.numel() for p in weights)))
    return sorted(out, key=lambda x: -x[1])[:limit]


def inspect(model: Any, measured: Measurement, analytic: int | None) -> Findings:
    """Failed formulas, custom kernels nothing counted, and the gap to the analytic count."""
    if measured.shared:  # a rank's share of tensor-parallel ops: the batch's count is the group's
        analytic = None
    found = Findings(analytic=analytic)
    custom = {op: n for op, n in measured.uncounted.items() if "::" in op and op not in measured.failed
              and op.split("::", 1)[0] not in NO_FLOP_NAMESPACES}
    if measured.failed:
        found._failed = True
        found.notes.append("measured count incomplete: formula failed for "
                           + "; ".join(f"{op} ({why})" for op, why in sorted(measured.failed.items())))
    if analytic:
        found.gap = (measured.total - analytic) / analytic
        found._off = abs(found.gap) > CROSS_CHECK_TOLERANCE
        found._hidden = bool(custom or measured.failed)
    if found._off:
        text = (f"the measured step counts {sig2(measured.total)} FLOP, the analytic count of the same batch "
                f"from the model's config {sig2(analytic)} ({found.gap:+.1%}, over the "
                f"{CROSS_CHECK_TOLERANCE:.0%} cross-check tolerance)")
        if custom:
            text += "; kernels not counted: " + ", ".join(f"{op} ({n} calls)" for op, n in
                                                          sorted(custom.items(), key=lambda kv: -kv[1]))
        quiet = silent_modules(model, measured)
        if quiet:
            text += "; modules with weights and no counted FLOP: " + ", ".join(f"{n} ({p:,} weights)"
                                                                              for n, p in quiet)
        found.notes.append(text)
    elif custom:
        found.notes.append("kernels not counted (the step agrees with the analytic count)" if analytic else
                           "kernels not counted (no analytic count to compare with)")
        found.notes[-1] += ": " + ", ".join(sorted(custom))
    if found.carry:
        found.notes.append(f"the analytic count ({sig2(analytic)} FLOP) is recorded for steps measured like this")
    return found
