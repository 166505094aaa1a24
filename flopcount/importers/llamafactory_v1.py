"""LLaMA-Factory's v1 config schema (`model`, `train_dataset`, `micro_batch_size`,
`global_batch_size`, `cutoff_len`, `max_steps` / `num_train_epochs`, `peft_config`,
`batching_strategy`; src/llamafactory/v1/config/ at data/recipes.py LLAMAFACTORY_SOURCE) → a run
plan.

The file holds no stage: the command runs it (`llamafactory-cli sft|dpo|rm FILE`,
v1/launcher.py), so `--trainer sft|dpo|rm` says which; it is asked for, never guessed. Steps:
`max_steps` × the global batch (`global_batch_size`, else one micro batch per data-parallel
rank: micro_batch_size × devices / cp_size, v1/core/utils/batching.py); otherwise
num_train_epochs × `--samples` (the dataset sizes live in the `train_dataset` YAML, not here).
Each row is at most `cutoff_len` (padded to its batch's longest), so counts are upper bounds.
v1 DPO and RM put chosen and rejected in one row (block-diagonal attention), so a pair is one
row of at most cutoff_len; the reference runs for sigmoid DPO only (v1/trainers/dpo_trainer.py).
Dynamic batching (micro batches sized by tokens, not samples) and freeze-tuning are refused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data.recipes import LLAMAFACTORY_REFERENCE_FREE_LOSSES, LLAMAFACTORY_V1_DEFAULTS
from ..boundary.errors import InputError
from .base import Imported
from .finetune import Examples, base_model, finished, lora
from .passes import trainable
from .recipe import Flags, Recipe
from .stages import Length, Run, Stage, preference
from .trl import upper_bound

FRAMEWORK = "LLaMA-Factory v1"
BASE = "model"
COMMANDS = {"sft": "sft", "train": "sft", "dpo": "dpo", "rm": "rm"}   # v1/launcher.py _DIST_TRAIN_COMMANDS
BATCHING = ("normal", "padding_free")   # one sample per row slot; dynamic_* size micro batches by tokens


def sniff(data: dict) -> bool:
    """A v1 file: `model` is a name and `train_dataset` names the data (v0 has model_name_or_path)."""
    return isinstance(data.get("model"), str) and "train_dataset" in data and "model_name_or_path" not in data


def import_(data: dict, path: Path, flags: Flags) -> Imported:
    r = Recipe(data, str(path), FRAMEWORK, LLAMAFACTORY_V1_DEFAULTS)
    command = COMMANDS.get(flags.trainer or "")
    if command is None:
        raise InputError("a LLaMA-Factory v1 config holds no stage: the command runs it (llamafactory-cli "
                         "sft|dpo|rm FILE); pass --trainer sft, dpo or rm", source=str(path), field="--trainer")
    notes = [f"read as a LLaMA-Factory v1 {command} config (--trainer)"]
    adapter = _adapter(r, notes)
    strategy = r.text("batching_strategy")
    if strategy not in BATCHING:
        raise r.error("batching_strategy", f"{strategy!r} fills micro batches by tokens, not samples: not modelled "
                      f"({', '.join(BATCHING)} are); pass --tokens with a run plan instead")
    seq = flags.count("seq_len") or r.count("cutoff_len")
    seq_origins = ("--seq-len",) if flags.seq_len else ("cutoff_len",)
    r.to("seq_len", *seq_origins)
    run = Run(r, path, base_model(r, flags, BASE), BASE, adapter, notes)
    what = "preference pairs" if command != "sft" else "training samples"
    length = _length(r, flags, seq, seq_origins, what)
    if command == "sft":
        return _sft(run, length, flags)
    found = Stage.of(FRAMEWORK, command)
    loss = r.text("pref_loss") if command == "dpo" else None
    reference = found.reference and loss not in LLAMAFACTORY_REFERENCE_FREE_LOSSES
    if command == "rm":
        notes.append("reward model (model_class cls): counted as the causal LM, whose output layer is larger than "
                     "the score head: an upper bound")
    notes.append("chosen and rejected share one row of at most cutoff_len, attending within their own half: "
                 "attention is counted over the whole row, at most what the block-diagonal mask computes")
    return preference(run, length, found, kind=flags.kind or "fine-tuning", reference=reference)


def _adapter(r: Recipe, notes: list[str]):
    """`peft_config` (lora; none: full fine-tuning), read by PEFT's rules."""
    name = r.raw("peft_config.name", None) if r.has("peft_config.name") else None
    if r.raw("quant_config.name", None) is not None:
        notes.append("quant_config: the quantized base is dequantized for every matmul, so the FLOP are LoRA's")
    if name is None:
        return None
    if name != "lora":
        raise r.error("peft_config.name", f"{name!r} is not modelled (lora, or no peft_config: full)")
    for key in ("peft_config.use_dora", "peft_config.modules_to_save"):
        if r.raw(key, None):
            raise r.error(key, "fully trained or re-normalised modules beside LoRA are not modelled")
    targets = r.raw("peft_config.target_modules")
    targets = "all-linear" if targets == "all" else [targets] if isinstance(targets, str) else targets
    return lora(r, "peft_config.r", targets, "peft_config.target_modules", r.text(BASE))


def _length(r: Recipe, flags: Flags, seq: int, seq_origins: tuple[str, ...], what: str) -> Length:
    if flags.tokens is not None:
        return Length(seq, seq_origins, None, (), flags.count("tokens"))
    if r.raw("max_steps") not in (None, 0, -1):
        steps, (per_step, origins) = r.count("max_steps"), _global_batch(r, flags)
        return Length(seq, seq_origins, Examples(steps * per_step, steps, per_step), ("max_steps", *origins))
    samples = flags.count("samples")
    if samples is None:
        raise InputError(f"the run is num_train_epochs × the dataset, whose size is in {r.raw('train_dataset')}, "
                         f"not here: pass --samples N ({what} per epoch), or set max_steps", source=r.source,
                         field="--samples")
    epochs = r.count("num_train_epochs")
    return Length(seq, seq_origins, Examples(epochs * samples), ("num_train_epochs", "--samples"))


def _global_batch(r: Recipe, flags: Flags) -> tuple[int, tuple[str, ...]]:
    """Samples per optimizer step: global_batch_size, else micro_batch_size × data-parallel ranks."""
    if r.raw("global_batch_size") is not None:
        return r.count("global_batch_size"), ("global_batch_size",)
    gpus = flags.count("gpus")
    if gpus is None:
        raise InputError("max_steps counts steps of micro_batch_size × data-parallel devices (no "
                         "global_batch_size): pass --gpus N (devices in the run)", source=r.source, field="--gpus")
    cp = r.count("cp_size")
    if gpus % cp:
        raise r.error("cp_size", f"{gpus} devices do not divide into context-parallel groups of {cp}")
    return r.count("micro_batch_size") * (gpus // cp), ("micro_batch_size", "--gpus / cp_size")


def _sft(run: Run, length: Length, flags: Flags) -> Imported:
    n, r = length.examples, run.r
    tokens = length.tokens if n is None else n.count * length.seq
    r.to("phases[0].tokens", "--tokens" if n is None else " × ".join((*length.origins, *length.seq_origins)))
    phase: dict[str, Any] = {"name": "fine-tuning", "kind": flags.kind or "fine-tuning", "tokens": tokens,
                             **trainable(run.adapter)}
    if n is not None:
        upper_bound(r, [phase], *length.seq_origins)
        how = ("padding_free concatenates the samples unpadded" if r.raw("batching_strategy", "normal") ==
               "padding_free" else "each sample is padded to its batch's longest")
        run.notes.append(f"{how}, each at most {length.seq:,} tokens (cutoff_len): counted at {length.seq:,} per "
                         "sample, the count is an upper bound (the verdict reads 'at most'; pass --tokens for the "
                         "real count)")
    return finished(r, run.path, BASE, {"config": str(run.config.resolve())}, length.seq, [phase], run.notes)
