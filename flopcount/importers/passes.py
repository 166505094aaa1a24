"""The passes preference and RL training run, as plan phases (shared by the TRL and NeMo-RL
importers, whose trainers run the same passes under different key names).

GRPO-style RL: completions generated with a KV cache (`rollouts`, work generate), the policy
update (forward + backward, `iterations` times over each sequence), optionally one forward
of the policy for old-policy log-probabilities, all of the RL kind (training compute: RL is in
Annex A.1's list). DPO: the update over chosen + rejected sequences. A frozen reference
model's forward passes are kind auxiliary-model: flopcount reads the reference as an
auxiliary model (Annex A.1: need not be included), so they are shown but in no total.
"""
from __future__ import annotations

from typing import Any

from ..peft import Adapter

REFERENCE_NOTE = ("reference-model forward passes: recorded as kind auxiliary-model (flopcount reads the frozen "
                  "reference as an auxiliary model, Guidelines Annex A.1), shown but in no total; set the phase's "
                  "kind to count them")


def trainable(adapter: Adapter | None) -> dict[str, Any]:
    return {"trainable": {"lora": {"rank": adapter.rank, "targets": list(adapter.targets)}}} if adapter else {}


def reference(tokens: int) -> dict[str, Any]:
    return {"name": "reference model", "kind": "auxiliary-model", "work": "forward", "tokens": tokens}


def rl_phases(tokens: int, kind: str, adapter: Adapter | None, *, iterations: int = 1, old_policy: bool,
              with_reference: bool) -> list[dict[str, Any]]:
    """`tokens`: the generated sequences' tokens (prompt + completion)."""
    phases = [{"name": "rollouts", "kind": kind, "work": "generate", "tokens": tokens},
              {"name": "policy update", "kind": kind, "tokens": tokens * iterations, **trainable(adapter)}]
    if old_policy:
        phases.append({"name": "old-policy log-probabilities", "kind": kind, "work": "forward", "tokens": tokens})
    if with_reference:
        phases.append(reference(tokens))
    return phases
