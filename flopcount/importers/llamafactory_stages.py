"""LLaMA-Factory's preference and RL stages (`stage: dpo | kto | rm | ppo`) → plan phases, as
LLaMA-Factory runs them (src/llamafactory/train/<stage>/ at data/recipes.py LLAMAFACTORY_SOURCE).

- dpo: chosen and rejected as two rows of at most `cutoff_len` (pairwise processor: prompt +
  the longer response fits cutoff_len), trained together; the reference runs over both every
  step (`use_ref_model`) unless `pref_loss` is orpo or simpo. With LoRA and no `ref_model` the
  reference is the policy with adapters disabled (the base model's forward: the same FLOP); a
  `ref_model` naming another model runs that model, whose forwards are not shown.
- kto: the target completion trained; a no-grad policy forward over the mismatched KL
  completion; the reference over both (train/kto/trainer.py).
- rm: chosen and rejected rows through the model with a value head (train/rm/trainer.py). The
  LM head still runs forward but gets no gradient, and the value head (hidden → 1) is not in
  the architecture: counting the LM head's backward overstates by 4 × hidden × vocabulary per
  token, far more than the value head's 6 × hidden, so the count stays an upper bound.
- ppo: TRL 0.9.6's PPOTrainer (LLaMA-Factory requires trl 0.8.6–0.9.6 for it): per batch of
  prompts, generation (prompt ≤ cutoff_len, response ≤ `max_new_tokens`), a policy forward for
  old log-probabilities and values, a reference forward, then `ppo_epochs` forward + backward
  passes (trl v0.9.6 trl/trainer/ppo_trainer.py `step`). A batch is per-device batch ×
  accumulation × `ppo_buffer_size` × devices prompts, one response each. The reward model is
  auxiliary, not counted; the policy's value head (6 × hidden FLOP per token) is not in the
  count, said with its size.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..data.recipes import LLAMAFACTORY_REFERENCE_FREE_LOSSES
from ..boundary.fields import load_mapping
from ..model.peft import Adapter
from .base import Imported
from .finetune import Cap, Examples, Keys, base_model, examples, length_origins
from .recipe import Flags, Recipe
from .stages import Length, Run, Stage, preference, rl

FRAMEWORK = "LLaMA-Factory"
STAGES = ("dpo", "kto", "rm", "ppo")
WHAT = {"dpo": "preference pairs", "kto": "examples (completions with a label)", "rm": "preference pairs",
        "ppo": "prompts"}


def import_stage(r: Recipe, path: Path, flags: Flags, keys: Keys, adapter: Adapter | None, notes: list[str],
                 stage: str, cap: Cap | None) -> Imported:
    run = Run(r, path, base_model(r, flags, keys.base), keys.base, adapter, notes)
    if stage == "ppo":
        return _ppo(run, flags, keys, cap)
    found = Stage.of(FRAMEWORK, stage)
    loss = r.text("pref_loss") if stage == "dpo" else None
    if loss in LLAMAFACTORY_REFERENCE_FREE_LOSSES:
        found = dataclasses.replace(found, name=loss.upper() if loss == "orpo" else "SimPO", reference=False)
    reference = found.reference and not _other_reference(r, notes)
    if stage == "rm":
        notes.append("reward model: counted as the causal LM trained on both rows; its LM head gets no gradient, "
                     "so the count overstates by that head's backward (an upper bound)")
    seq = flags.count("seq_len") or r.count(keys.seq)
    seq_origins = ("--seq-len",) if flags.seq_len else (keys.seq,)
    r.to("seq_len", *seq_origins)
    return preference(run, _length(r, flags, keys, cap, seq, seq_origins, WHAT[stage]), found,
                      kind=flags.kind or "fine-tuning", reference=reference)


def _other_reference(r: Recipe, notes: list[str]) -> bool:
    """A `ref_model` naming another model: its forwards are that model's, not the base config's."""
    if not r.has("ref_model"):
        return False
    notes.append(f"ref_model {r.text('ref_model')}: the reference is another model, an auxiliary model (Annex "
                 "A.1) whose forward passes flopcount does not show (it counts the base config only)")
    return True


def _length(r: Recipe, flags: Flags, keys: Keys, cap: Cap | None, seq: int, seq_origins: tuple[str, ...],
            what: str, per_step: int = 1, per_step_key: str | None = None) -> Length:
    if flags.tokens is not None:
        return Length(seq, seq_origins, None, (), flags.count("tokens"))
    n = examples(r, flags, keys, what, cap=cap)
    origins = length_origins(keys, n)
    if n.steps and per_step_key:
        n = Examples(n.count * per_step, n.steps, n.per_step * per_step)
        origins = (*origins, per_step_key)
    return Length(seq, seq_origins, n, origins)


def _ppo(run: Run, flags: Flags, keys: Keys, cap: Cap | None) -> Imported:
    r = run.r
    if flags.seq_len:
        seq, seq_origins = flags.count("seq_len"), ("--seq-len",)
    else:
        seq, seq_origins = r.count(keys.seq) + r.count("max_new_tokens"), (keys.seq, "max_new_tokens")
    r.to("seq_len", *seq_origins, sep=" + ")
    length = _length(r, flags, keys, cap, seq, seq_origins, WHAT["ppo"], r.count("ppo_buffer_size"),
                     "ppo_buffer_size")
    reference = not _other_reference(r, run.notes)
    width = load_mapping(run.config).get("hidden_size")
    run.notes.append(f"the policy's value head (hidden → 1, trained with it) is not in the count: an undercount of "
                     f"6 × {width} FLOP per trained token" if isinstance(width, int) else
                     "the policy's value head (hidden → 1, trained with it) is not in the count")
    sequences = length.examples.count if length.examples is not None else 0
    return rl(run, length, sequences, length.origins, kind=flags.kind or "rl", iterations=(r.count("ppo_epochs"), "ppo_epochs"),
              old_policy=True, reference=reference)
