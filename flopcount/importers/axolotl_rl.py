"""Axolotl's `rl:` stages → plan phases, counted as TRL's trainers run them (Axolotl hands each
stage to a TRL trainer: src/axolotl/core/builders/rl.py at data/recipes.py AXOLOTL_SOURCE).

- dpo, ipo: chosen + rejected per pair (each at most `sequence_len`, Axolotl's `max_length`), a
  reference forward over both every step (a second copy of the model for a full fine-tune, the
  policy with adapters disabled for LoRA: the same FLOP), once over the dataset with
  `precompute_ref_log_probs`.
- orpo, simpo: chosen + rejected, no reference (Axolotl loads none for ORPO and hands none to
  the CPO trainer that runs SimPO).
- kto: one completion per example, a no-grad policy forward over a mismatched completion (TRL's
  KL term, on by default), a reference forward over both.
- grpo, gdpo (the same trainer, another reward aggregation): TRL GRPO's passes with Axolotl's
  `trl:` keys. Axolotl removes max_prompt_length from TRL's config, so prompts are uncapped and
  the length is asked for (`--seq-len`, longest prompt + trl.max_completion_length).
Anything else (ebft, the asynchronous GRPO trainer) is refused by name.
"""
from __future__ import annotations

from pathlib import Path

from ..data.recipes import AXOLOTL_GRPO_DEFAULTS, PREFERENCE_STAGES
from ..boundary.errors import InputError
from ..model.peft import Adapter
from . import passes
from .base import Imported
from .finetune import Keys, base_model, examples, length_origins
from .recipe import Flags, Recipe
from .stages import Length, Run, Stage, preference, rl

FRAMEWORK = "Axolotl"
GRPO = ("grpo", "gdpo")
ASYNC_KEYS = ("trl.async_prefetch", "trl.use_data_producer")   # AxolotlAsyncGRPOTrainer: not modelled


def import_rl(r: Recipe, path: Path, flags: Flags, keys: Keys, adapter: Adapter | None, notes: list[str],
              stage: str) -> Imported:
    if stage not in GRPO and (FRAMEWORK, stage) not in PREFERENCE_STAGES:
        raise r.error("rl", f"{stage!r} runs passes flopcount does not model (dpo, ipo, orpo, simpo, kto, grpo "
                      "and gdpo are counted)")
    if r.raw(keys.packing, False):
        raise r.error(keys.packing, f"sample packing with rl: {stage} is not modelled (Axolotl's preference and RL "
                      "trainers pad each sequence)")
    run = Run(r, path, base_model(r, flags, keys.base), keys.base, adapter, notes)
    if stage in GRPO:
        return _grpo(run, flags, keys, stage)
    found = Stage.of(FRAMEWORK, stage)
    what = "examples (completions with a label)" if found.kl else "preference pairs"
    length = _length(r, flags, keys, what)
    reference, epochs = found.reference, None
    if reference and r.raw("precompute_ref_log_probs", False) and stage != "kto":  # passed to DPO only
        epochs = _epochs(r, keys, length)
        notes.append("precompute_ref_log_probs: the reference runs once over the training set before training"
                     + ("" if epochs else " (counted here over the pairs trained on)"))
    return preference(run, length, found, kind=flags.kind or "fine-tuning", reference=reference,
                      reference_epochs=epochs)


def _length(r: Recipe, flags: Flags, keys: Keys, what: str) -> Length:
    seq = flags.count("seq_len") or r.count(keys.seq)
    seq_origins = ("--seq-len",) if flags.seq_len else (keys.seq,)
    r.to("seq_len", *seq_origins)
    if flags.tokens is not None:
        return Length(seq, seq_origins, None, (), flags.count("tokens"))
    n = examples(r, flags, keys, what)
    return Length(seq, seq_origins, n, length_origins(keys, n))


def _epochs(r: Recipe, keys: Keys, length: Length) -> int | None:
    """Epochs of an epoch run (the reference's precomputed pass covers one); None for a steps
    run or --tokens (TRL precomputes over the whole training set, whose size is then unknown)."""
    n = length.examples
    return None if n is None or n.steps else int(r.raw(keys.epochs))


def _grpo(run: Run, flags: Flags, keys: Keys, stage: str) -> Imported:
    r = run.r
    r.defaults.update(AXOLOTL_GRPO_DEFAULTS)
    for key in ASYNC_KEYS:
        if r.raw(key, False):
            raise r.error(key, "Axolotl's asynchronous GRPO trainer (prefetched, replayed generations) is not "
                          "modelled")
    if not flags.seq_len:
        raise InputError(f"Axolotl {stage.upper()} sequences are prompt + trl.max_completion_length, and Axolotl "
                         "gives TRL no prompt cap (it removes max_prompt_length): pass --seq-len (longest prompt + "
                         "trl.max_completion_length)", source=r.source, field="--seq-len")
    if not r.has("trl.max_completion_length"):
        run.notes.append("trl.max_completion_length not set: Axolotl passes TRL None (no cap), so --seq-len is the "
                         "cap you state")
    seq, caps = flags.count("seq_len"), ("--seq-len",)
    r.to("seq_len", *caps)
    generations, iterations = r.count("trl.num_generations"), r.count("trl.num_iterations")
    length, sequences, origins = _grpo_sequences(r, flags, keys, seq, caps, generations, iterations)
    accumulation = r.count(keys.accumulation)   # Axolotl passes no steps_per_generation: TRL's default
    vllm_correction = bool(r.raw("trl.use_vllm") and r.raw("trl.vllm_importance_sampling_correction"))
    old_policy = passes.grpo_old_policy(accumulation, accumulation, iterations, vllm_correction)
    beta = r.raw("trl.beta", None)
    beta = r.raw("rl_beta", None) if beta is None else beta   # rl.py: trl.beta, else rl_beta
    if beta is None:
        run.notes.append("beta not set (trl.beta, rl_beta): TRL's default 0.0, no reference model")
    if stage == "gdpo":
        run.notes.append("gdpo: TRL's GRPO trainer with multi_objective_aggregation (Axolotl GRPOStrategy): "
                         "the passes are GRPO's")
    return rl(run, length, sequences, origins, kind=flags.kind or "rl", iterations=(iterations, "trl.num_iterations"),
              old_policy=old_policy, reference=bool(beta))


def _grpo_sequences(r: Recipe, flags: Flags, keys: Keys, seq: int, caps: tuple[str, ...], generations: int,
                    iterations: int) -> tuple[Length, int, tuple[str, ...]]:
    """TRL's rule: a max_steps run trains on micro × accumulation × devices completions a step,
    each num_iterations times; an epoch run generates num_generations per prompt."""
    if flags.tokens is not None:
        return Length(seq, caps, None, (), flags.count("tokens")), 0, ()
    n = examples(r, flags, keys, "prompts")
    if n.steps:
        if n.count % iterations:
            raise r.error("trl.num_iterations", f"{n.count:,} trained completions do not divide into "
                          f"{iterations} iterations each")
        return Length(seq, caps, n, ()), n.count // iterations, (*length_origins(keys, n), "/ trl.num_iterations")
    return Length(seq, caps, n, ()), n.count * generations, (*length_origins(keys, n), "trl.num_generations")
