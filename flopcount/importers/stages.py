"""Preference and RL stages of the fine-tuning frameworks (Axolotl `rl:`, LLaMA-Factory
`stage:` and its v1 commands) counted with the passes TRL's importer counts (`passes`).

What a stage runs per example is a row of `data/recipes.py PREFERENCE_STAGES`, each citing the
framework code that runs it: the sequences the policy trains on (chosen + rejected in two rows,
or one row holding both, or one completion), whether a frozen reference model runs over them
every step, and KTO's no-grad policy forward over a mismatched completion. GRPO and PPO
generate, train `iterations` times on each sequence, run an old-policy forward, and a reference
forward when the recipe's KL term needs one (the caller decides, reading its framework's keys).

Sequence lengths are caps (each sequence is padded to its batch's longest, at most the cap), so
without `--tokens` every phase is marked `upper_bound`: a verdict over a line reads "at most",
never "crossed". Reward models are auxiliary (Annex A.1) and not counted; the reference's
forwards are shown as kind auxiliary-model, in no total.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.recipes import PREFERENCE_STAGES
from ..model.peft import Adapter
from . import passes
from .base import Imported
from .finetune import Examples, finished
from .recipe import Recipe
from .trl import upper_bound


@dataclass(frozen=True)
class Stage:
    """One row of PREFERENCE_STAGES: what the stage runs per example."""

    name: str
    sequences: int     # sequences the policy trains on per example
    reference: bool    # a frozen reference forward over them every step
    kl: bool           # KTO: a no-grad policy forward over one mismatched completion per example
    source: str        # the framework code that runs it

    @classmethod
    def of(cls, framework: str, stage: str) -> "Stage":
        return cls(**PREFERENCE_STAGES[(framework, stage)])


@dataclass(frozen=True)
class Length:
    """How much a run trains on: its examples (None where `--tokens` gives the tokens), the
    sequence cap, and the keys each came from (for the trace)."""

    seq: int
    seq_origins: tuple[str, ...]
    examples: Examples | None
    origins: tuple[str, ...]      # the keys the example count came from
    tokens: int | None = None     # --tokens: the policy's trained tokens, counted once


@dataclass(frozen=True)
class Run:
    """What every stage import carries: the recipe, its file, the base config and model key."""

    r: Recipe
    path: Path
    config: Path
    base_key: str
    adapter: Adapter | None
    notes: list[str]


def preference(run: Run, length: Length, stage: Stage, *, kind: str, reference: bool,
               reference_epochs: int | None = None) -> Imported:
    """DPO, IPO, ORPO, SimPO, KTO, reward modelling. `reference`: the stage's reference forward
    runs (False where the recipe turns it off); `reference_epochs`: the reference runs once over
    the dataset before training (precomputed log-probabilities), not every epoch."""
    r, n = run.r, length.examples
    if length.tokens is None:
        tokens = n.count * stage.sequences * length.seq
        what = {2: "2 sequences (chosen, rejected)", 1: "1 sequence"}[stage.sequences]
        r.to("phases[0].tokens", what, *length.origins, *_seq(length))
    else:
        tokens = length.tokens
        r.to("phases[0].tokens", "--tokens")
    ref_tokens = None
    if reference:
        ref_tokens = tokens * (2 if stage.kl else 1) // (reference_epochs or 1)
        ref_at = 2 if stage.kl else 1
        r.to(f"phases[{ref_at}].tokens", "phases[0].tokens" + (" × 2 (completion, KL completion)" if stage.kl else "")
             + (" / epochs (precomputed once)" if reference_epochs else ""))
        run.notes.append(passes.REFERENCE_NOTE)
    if stage.kl:
        phases = passes.kto_phases(tokens, kind, run.adapter, reference_tokens=ref_tokens)
        r.to("phases[1].tokens", "phases[0].tokens (one mismatched completion per example, no gradients)")
    else:
        phases = passes.preference_phases(tokens, kind, run.adapter, name=stage.name, reference_tokens=ref_tokens)
    ref = (", a reference forward" if reference else ", its reference forward not shown (said above)"
           if stage.reference else ", no reference model")
    run.notes.append(f"{stage.name}: {stage.sequences} trained sequence{'s' if stage.sequences > 1 else ''} per "
                     f"example{', a no-grad policy forward over a mismatched completion' if stage.kl else ''}"
                     f"{ref} ({stage.source})")
    return _finish(run, length, phases)


def rl(run: Run, length: Length, sequences: int, sequence_origins: tuple[str, ...], *, kind: str,
       iterations: tuple[int, str], old_policy: bool, reference: bool) -> Imported:
    """GRPO and PPO: `sequences` generated (prompt + completion, each at most `length.seq`),
    trained on each `iterations` (count, the key it came from) times."""
    r = run.r
    if length.tokens is None:
        tokens = sequences * length.seq
        r.to("phases[0].tokens", *sequence_origins, *_seq(length))
    else:
        tokens = length.tokens
        r.to("phases[0].tokens", "--tokens")
    phases = passes.rl_phases(tokens, kind, run.adapter, iterations=iterations[0], old_policy=old_policy,
                              with_reference=reference)
    for i, phase in enumerate(phases[1:], 1):
        r.to(f"phases[{i}].tokens", "phases[0].tokens", *((iterations[1],) if phase["name"] == "policy update" else ()))
    if reference:
        run.notes.append(passes.REFERENCE_NOTE)
    run.notes.append("reward models' forward passes are an auxiliary model's (Annex A.1: need not be included): "
                     "not counted; rule-based rewards compute no FLOP")
    return _finish(run, length, phases)


def _seq(length: Length) -> tuple[str, ...]:
    """The sequence cap's origin as one factor: `(cutoff_len + max_new_tokens)` for a sum."""
    return length.seq_origins if len(length.seq_origins) == 1 else (f"({' + '.join(length.seq_origins)})",)


def _finish(run: Run, length: Length, phases: list[dict[str, Any]]) -> Imported:
    if run.adapter is not None and any(p.get("work") in ("forward", "generate") and p["kind"] != "auxiliary-model"
                                       for p in phases):
        run.notes.append("LoRA: the policy's forwards without gradients (generation, old-policy, KL completions) "
                         "are counted over the base weights; the adapter's own forward, 2 × its weights per "
                         "token, is not in them (an undercount of that size)")
    if length.examples is not None:
        upper_bound(run.r, phases, *length.seq_origins)
        run.notes.append(f"each sequence is padded to its batch's longest, at most {length.seq:,} tokens: every "
                         "count is an upper bound (the verdict reads 'at most'; pass --tokens, the tokens the "
                         "policy trains on once, for the real count)")
    model = {"config": str(run.config.resolve())}
    return finished(run.r, run.path, run.base_key, model, length.seq, phases, run.notes)
