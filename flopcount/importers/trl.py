"""TRL trainer configs (SFT, DPO, GRPO: the YAML `trl sft --config` and recipe repositories
use, or a config saved as JSON) and plain Hugging Face `TrainingArguments` saved as JSON →
a run plan.

Which trainer: `--trainer`, else a folder named for it (`recipes/<model>/grpo/`), else the
keys only that trainer has (GRPO: `num_generations`, `reward_funcs`; DPO: `beta`,
`precompute_ref_log_probs`; SFT: `packing`, `max_length`); none of these is plain
TrainingArguments. Keys left out take TRL's defaults (`data/recipes.py TRL_DEFAULTS`, cited).

What each trainer runs, per example (sequence lengths are caps, so every count is an upper
bound unless `--tokens` gives the real one: DPO and GRPO phases are then marked
`upper_bound`, so a verdict over a line reads "at most", never "crossed"; SFT as `finetune`):
- SFT: forward and backward over each sequence (as Axolotl and LLaMA-Factory).
- DPO: each preference pair is two sequences (chosen, rejected), trained on together; the
  frozen reference model runs one forward over both every step (once over the dataset with
  `precompute_ref_log_probs`).
- GRPO: each prompt gets `num_generations` completions, generated with a KV cache (the RL
  phase's forward work, counted as training: Guidelines Annex A.1 lists RL); the policy then
  trains on each `num_iterations` times; TRL runs one more forward of the policy for
  old-policy log-probabilities when `num_iterations` > 1 or vLLM's importance-sampling
  correction is on (TRL's condition, grpo_trainer.py); with `beta` > 0 the reference model
  runs one forward per sequence.
Reference-model forwards are recorded as phase kind auxiliary-model: flopcount reads the
frozen reference as an auxiliary model (Annex A.1: need not be included); they are shown,
in no total; change the phase's kind to count them. Reward models are not counted (also
auxiliary); rule-based reward functions compute no FLOP.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..data.recipes import TRL_DEFAULTS
from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from . import passes
from .base import Imported
from .finetune import Examples, Keys, base_model, examples, head_gradient_note, import_finetune, length_origins, lora
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "TRL"
KEYS = Keys(base="model_name_or_path", seq="max_length", micro="per_device_train_batch_size",
            accumulation="gradient_accumulation_steps", epochs="num_train_epochs", max_steps="max_steps",
            packing="packing")
#: keys only one trainer's config has, in the order they are tested
MARKERS = (("grpo", ("num_generations", "reward_funcs", "max_completion_length")),
           ("dpo", ("beta", "precompute_ref_log_probs", "reference_free", "rpo_alpha")),
           ("sft", ("packing", "max_length", "max_seq_length", "dataset_text_field", "completion_only_loss",
                    "assistant_only_loss")))
#: TRL trainers whose passes are not modelled (folder names and --trainer values)
NOT_MODELLED = ("orpo", "kto", "ppo", "rloo", "reward", "prm", "cpo", "bco", "online_dpo", "xpo", "nash_md", "gkd")
#: keys every TrainingArguments dump has: the file is a Trainer's arguments, not a model config
TRAINING_ARGS = ("per_device_train_batch_size", "gradient_accumulation_steps", "num_train_epochs", "learning_rate")


#: The keys of a `trl <trainer> --config FILE` YAML that only TRL's CLI parser takes together:
#: ModelConfig's model_name_or_path with ScriptArguments' dataset_name (TRL `scripts/utils.py`).
CLI_KEYS = ("model_name_or_path", "dataset_name")


def sniff(path: Path) -> bool:
    data = yaml_mapping(path, (".yaml", ".yml", ".json"))
    if data is None or "model_type" in data:
        return False
    return sum(k in data for k in TRAINING_ARGS) >= 2 or all(k in data for k in CLI_KEYS)


def trainer_of(path: Path, data: dict, flags: Flags) -> tuple[str, str]:
    """(trainer, why): the flag, the folder, or the keys."""
    known = tuple(TRL_DEFAULTS) + NOT_MODELLED
    if flags.trainer is not None:
        if flags.trainer not in known:
            raise InputError(f"unknown trainer {flags.trainer!r}; one of sft, dpo, grpo, trainer",
                             source=str(path), field="--trainer")
        return flags.trainer, "--trainer"
    folder = next((part for part in reversed(path.parent.parts) if part.lower() in known), None)
    if folder is not None:
        return folder.lower(), f"the folder {folder}/"
    for trainer, keys in MARKERS:
        found = next((k for k in keys if k in data), None)
        if found is not None:
            return trainer, f"its key {found}"
    return "trainer", "no TRL trainer's keys (plain TrainingArguments)"


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    data = load_mapping(path)
    trainer, why = trainer_of(path, data, flags)
    if trainer in NOT_MODELLED:
        raise InputError(f"a TRL {trainer} config ({why}): its passes (reference, reward or value models, "
                         "generation) are not modelled; sft, dpo and grpo are", source=str(path))
    r = Recipe(data, str(path), FRAMEWORK, TRL_DEFAULTS[trainer])
    notes = [f"read as a TRL {trainer.upper() if trainer != 'trainer' else 'Trainer'} config ({why}); keys left "
             "out take that trainer's defaults (named in the trace)"]
    if trainer == "trainer" and not flags.seq_len:
        raise InputError("TrainingArguments hold no sequence length (the tokenizer or data collator sets it): "
                         "pass --seq-len", source=str(path), field="--seq-len")
    keys = KEYS  # TRL < 0.20 named max_length max_seq_length
    if not r.has("max_length") and r.has("max_seq_length"):
        keys = dataclasses.replace(KEYS, seq="max_seq_length")
    adapter = _adapter(r, notes)
    head_trained = adapter is not None and "lm_head" in (r.raw("lora_modules_to_save", None) or [])
    if r.raw("gradient_checkpointing", False):
        notes.append("gradient checkpointing re-runs forward work on the hardware; flopcount counts each forward "
                     "once (model FLOP)")
    if trainer in ("sft", "trainer"):
        imported = import_finetune(r, path, flags, keys, adapter, notes)
    else:
        imported = (_dpo if trainer == "dpo" else _grpo)(r, path, flags, keys, adapter, notes)
    if head_trained:
        imported.notes.insert(1, head_gradient_note(Path(imported.plan["model"]["config"]), "lora_modules_to_save"))
    return imported


def _adapter(r: Recipe, notes: list[str]):
    """TRL's ModelConfig LoRA (`use_peft`, `lora_r`, `lora_target_modules`), read by PEFT's rules."""
    if not r.raw("use_peft", False):
        return None
    if r.raw("use_dora", False):
        raise r.error("use_dora", "DoRA's magnitude vectors and extra norm are not modelled")
    targets = r.raw("lora_target_modules", None)
    if targets is None:
        raise r.missing("LoRA targets", "lora_target_modules (PEFT's per-architecture default is not guessed)")
    if r.raw("load_in_4bit", False) or r.raw("load_in_8bit", False):
        notes.append("QLoRA: the quantized base is dequantized for every matmul, so the FLOP are LoRA's")
    return lora(r, "lora_r", targets, "lora_target_modules", r.raw("model_name_or_path", ""))


def _count(r: Recipe, flags: Flags, keys: Keys, what: str) -> tuple[Examples | None, int | None]:
    """(examples, tokens): --tokens (tokens of every sequence the policy trains on once), or examples."""
    if flags.tokens is not None:
        return None, flags.count("tokens")
    return examples(r, flags, keys, what), None


def upper_bound(r: Recipe, phases: list[dict], *origins: str) -> None:
    """Mark every phase's tokens a maximum (counted from the caps `origins`): the verdict
    engine reads their figures as upper bounds ("at most")."""
    for i, phase in enumerate(phases):
        phase["upper_bound"] = True
        r.to(f"phases[{i}].upper_bound", *origins, sep=", ")


def _dpo(r: Recipe, path: Path, flags: Flags, keys: Keys, adapter, notes: list[str]) -> Imported:
    config = base_model(r, flags, keys.base)
    seq = flags.count("seq_len") or r.count(keys.seq)
    r.to("seq_len", "--seq-len" if flags.seq_len else keys.seq)
    n, tokens = _count(r, flags, keys, "preference pairs")
    kind = flags.kind or "fine-tuning"
    if tokens is None:
        tokens = 2 * n.count * seq
        r.to("phases[0].tokens", "2 sequences (chosen, rejected)", *length_origins(keys, n), keys.seq)
        notes.append(f"each sequence is padded to its batch's longest, at most {seq:,} tokens: an upper bound "
                     "(the verdict reads 'at most'; pass --tokens, the chosen + rejected tokens of the run, for the "
                     "real count)")
    else:
        r.to("phases[0].tokens", "--tokens")
    reference = None
    if r.raw("reference_free", False):
        notes.append("reference_free: no reference model runs")
    else:
        reference = tokens
        if r.raw("precompute_ref_log_probs"):
            epochs = r.raw(keys.epochs) if n is not None and n.steps is None else None
            if epochs is not None:
                reference = tokens // int(epochs)
            notes.append("precompute_ref_log_probs: the reference runs once over the training set before training"
                         + ("" if epochs is not None else " (counted here over the pairs trained on)"))
        r.to("phases[1].tokens", "phases[0].tokens" + (" / epochs" if reference != tokens else ""))
        notes.append(passes.REFERENCE_NOTE)
    phases = passes.preference_phases(tokens, kind, adapter, name="DPO", reference_tokens=reference)
    if n is not None:
        upper_bound(r, phases, "--seq-len" if flags.seq_len else keys.seq)
    return r.imported(path.stem, {"config": str(config.resolve())}, seq, phases, notes)


def _grpo(r: Recipe, path: Path, flags: Flags, keys: Keys, adapter, notes: list[str]) -> Imported:
    config = base_model(r, flags, keys.base)
    if flags.seq_len:
        seq, caps = flags.count("seq_len"), ("--seq-len",)
        r.to("seq_len", *caps)
    elif r.has("max_prompt_length"):
        seq, caps = r.count("max_prompt_length") + r.count("max_completion_length"), ("max_prompt_length",
                                                                                       "max_completion_length")
        r.to("seq_len", *caps, sep=" + ")
    else:
        raise InputError("GRPO sequences are prompt + completion, and current TRL does not cap prompts: pass "
                         "--seq-len (longest prompt + max_completion_length) or add max_prompt_length",
                         source=r.source, field="--seq-len")
    generations, iterations = r.count("num_generations"), r.count("num_iterations")
    n, tokens = _count(r, flags, keys, "prompts")
    if tokens is None:
        if n.steps:  # each optimizer step trains on per_step completions; each is used num_iterations times
            if n.count % iterations:
                raise r.error("num_iterations", f"{n.count:,} trained completions do not divide into "
                              f"{iterations} iterations each")
            sequences = n.count // iterations
            origins = (*length_origins(keys, n), "/ num_iterations")
        else:        # epochs × prompts, each with num_generations completions
            sequences = n.count * generations
            origins = (*length_origins(keys, n), "num_generations")
        tokens = sequences * seq
        r.to("phases[0].tokens", *origins, "seq_len")
        notes.append(f"completions stop at end-of-sequence and prompts vary: {seq:,} tokens per sequence is a cap, "
                     "so every count is an upper bound (the verdict reads 'at most'; pass --tokens, the generated "
                     "sequences' tokens, for the real count)")
    else:
        r.to("phases[0].tokens", "--tokens")
    accumulation = r.count(keys.accumulation)
    per_generation = r.count("steps_per_generation", accumulation)
    vllm_correction = bool(r.raw("use_vllm") and r.raw("vllm_importance_sampling_correction"))
    old_policy = passes.grpo_old_policy(accumulation, per_generation, iterations, vllm_correction)
    if vllm_correction and not r.has("vllm_importance_sampling_correction"):
        notes.append("vllm_importance_sampling_correction not set: current TRL's default true adds the "
                     "old-policy forward; a TRL without it did not run one (set it false to drop the phase)")
    if not r.has("beta"):
        notes.append("beta not set: current TRL's default 0.0, so no reference model; earlier TRL releases "
                     "defaulted to 0.04 (a reference forward per sequence): set beta if the run used one")
    with_reference = r.raw("beta") != 0
    if with_reference:
        notes.append(passes.REFERENCE_NOTE)
    else:
        notes.append("beta 0: no reference model runs (TRL loads none)")
    phases = passes.rl_phases(tokens, flags.kind or "rl", adapter, iterations=iterations, old_policy=old_policy,
                              with_reference=with_reference)
    why = {"policy update": ("phases[0].tokens", "num_iterations"),
           "old-policy log-probabilities": ("phases[0].tokens (num_iterations > 1, or use_vllm with "
                                            "vllm_importance_sampling_correction)",),
           "reference model": ("phases[0].tokens (beta > 0)",)}
    for i, phase in enumerate(phases[1:], 1):
        r.to(f"phases[{i}].tokens", *why[phase["name"]])
    if n is not None:
        upper_bound(r, phases, *caps)
    rewards = [f for f in r.raw("reward_funcs", []) or [] if isinstance(f, str) and "/" in f]
    if rewards or r.has("reward_model_name_or_path"):
        notes.append("reward models' forward passes are an auxiliary model's (Annex A.1: need not be included): "
                     "not counted")
    return r.imported(path.stem, {"config": str(config.resolve())}, seq, phases, notes)
