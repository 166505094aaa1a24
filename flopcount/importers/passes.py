"""The passes preference and RL training run, as plan phases (shared by the TRL, NeMo-RL,
Axolotl and LLaMA-Factory importers, whose trainers run the same passes under different key
names).

GRPO/PPO-style RL: completions generated with a KV cache (`rollouts`, work generate), the
policy update (forward + backward, `iterations` times over each sequence), optionally one
forward of the policy for old-policy log-probabilities, all of the RL kind (training compute: RL
is in Annex A.1's list). DPO-style preference training: the update over the sequences of each
example (chosen + rejected). KTO: the update over each completion plus one forward of the policy,
without gradients, over a mismatched completion (the KL estimate). A frozen reference model's
forward passes are kind auxiliary-model: flopcount reads the reference as an auxiliary model
(Annex A.1: need not be included), so they are shown but in no total.
"""
from __future__ import annotations

from typing import Any

from ..model.peft import Adapter

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


def preference_phases(tokens: int, kind: str, adapter: Adapter | None, *, name: str,
                      reference_tokens: int | None) -> list[dict[str, Any]]:
    """DPO, IPO, ORPO, SimPO, reward modelling: `tokens` are every sequence the policy trains on
    (chosen + rejected); `reference_tokens` what the frozen reference runs over (None: no reference)."""
    phases = [{"name": f"{name} update", "kind": kind, "tokens": tokens, **trainable(adapter)}]
    if reference_tokens is not None:
        phases.append(reference(reference_tokens))
    return phases


def kto_phases(tokens: int, kind: str, adapter: Adapter | None, *,
               reference_tokens: int | None) -> list[dict[str, Any]]:
    """KTO: the update over each example's completion (`tokens`), the policy's no-grad forward over
    as many tokens of mismatched completions (the KL term), and the reference over both (its
    `reference_tokens`; None: no reference)."""
    phases = [{"name": "KTO update", "kind": kind, "tokens": tokens, **trainable(adapter)},
              {"name": "KL completions", "kind": kind, "work": "forward", "tokens": tokens}]
    if reference_tokens is not None:
        phases.append(reference(reference_tokens))
    return phases


def grpo_old_policy(accumulation: int, steps_per_generation: int, iterations: int, vllm_correction: bool) -> bool:
    """Whether TRL's GRPOTrainer runs a forward of the policy for old-policy log-probabilities:
    when a generation's completions are trained over more than one optimizer step or iteration
    (`gradient_accumulation_steps % (steps_per_generation × num_iterations) != 0`), or when vLLM
    generates with the importance-sampling correction on (trl/trainer/grpo_trainer.py at
    data/recipes.py TRL_SOURCE)."""
    return bool(accumulation % (steps_per_generation * iterations)) or vllm_correction
