"""Megatron-Bridge YAML override files (`--config-file` of its recipe scripts: `train:`,
`dataset:`, `model:`, `checkpoint:`, `peft:` sections of a ConfigContainer) → a run plan.

An override file holds only the keys it changes; the architecture lives in the Python
recipe function it overrides (e.g. `llama32_1b_pretrain_config`, built from the Hugging Face
config of meta-llama/Llama-3.2-1B by AutoBridge), so the model comes from `--base-config`,
that config.json. Tokens: train.train_iters × train.global_batch_size × the sequence length
(dataset.seq_length or model.seq_length, which must agree; else `--seq-len`). A
`checkpoint.pretrained_checkpoint` or `checkpoint.finetune` makes it fine-tuning. Keys the
file leaves out take the recipe function's values, which flopcount cannot read: a missing
train_iters or global_batch_size is asked for.

`peft:` (a LoRA section) makes it a LoRA fine-tune: rank `peft.dim`, modules
`peft.target_modules` in Megatron's names (`linear_qkv`, `linear_proj`, `linear_fc1`,
`linear_fc2`, MLA's `linear_q_down_proj` ...), each one adapter over the module's own
(fused) shape, as `LoRA.transform` builds it (`flopcount.data.lora_targets`). Keys the file
leaves out take the LoRA class's defaults (dim 32, the four linear modules); a recipe
function that passes its own (Llama 3 405B: linear_qkv only) is not visible in an override
file, which the note says. Targets limited to some layers (`*.layers.0.*.linear_qkv`),
`exclude_modules`, and other PEFT methods (`_target_` naming DoRA or CanonicalLoRA) are
refused with one line. A distillation override (`model.teacher`, `model.kd_config`: the
student trains while a teacher runs forward) is refused by name, not read as the student alone.
"""
from __future__ import annotations

from pathlib import Path

from ..data.lora_targets import (MEGATRON_DEFAULT_DIM, MEGATRON_DEFAULT_TARGETS, MEGATRON_LORA_SOURCE,
                                 TARGET_NAMES)
from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from .base import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "Megatron-Bridge"
#: Megatron-Bridge's own values for the LoRA keys an override file leaves out (`LoRA` dataclass)
DEFAULTS = {"peft.dim": MEGATRON_DEFAULT_DIM, "peft.target_modules": list(MEGATRON_DEFAULT_TARGETS)}
LORA_CLASS = "megatron.bridge.peft.lora.LoRA"  # the only `_target_` of a peft section modelled
WILDCARD = "*."  # `*.linear_qkv`: the module in every layer (Megatron's wildcard_match)


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    train = data.get("train") if data else None
    return (isinstance(train, dict) and ("train_iters" in train or "global_batch_size" in train)
            and ("model" in data or "dataset" in data) and "policy" not in data)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = Recipe(load_mapping(path), str(path), FRAMEWORK, DEFAULTS)
    distill = next((k for k in r.data if k.startswith(("model.teacher.", "model.kd_config."))
                    or k in ("model.teacher", "model.kd_config")), None)
    if distill is not None:  # DistillationProvider: a second, frozen model runs forward on every token
        raise r.error(".".join(distill.split(".")[:2]),
                      "knowledge distillation (a teacher model's forward on every token, beside the student's "
                      "training) is not modelled; give the student's run and the teacher's forward passes as "
                      "phases of a run plan")
    peft = next((k for k in r.data if k == "peft" or k.startswith("peft.")), None)
    lora = _lora(r) if peft is not None and r.data.get(peft) is not None else None
    if not flags.base_config:
        raise InputError("an override file holds no architecture (it is in the recipe function it overrides): "
                         "pass --base-config, the Hugging Face config.json that recipe builds from",
                         source=r.source, field="--base-config")
    r.to("model.config", "--base-config")
    lengths = {k: r.count(k) for k in ("dataset.seq_length", "model.seq_length") if r.has(k)}
    if len(set(lengths.values())) > 1:
        raise r.error("model.seq_length", f"{lengths['model.seq_length']} contradicts dataset.seq_length "
                      f"{lengths['dataset.seq_length']}")
    if flags.seq_len:
        seq, origin = flags.count("seq_len"), "--seq-len"
    elif lengths:
        origin = next(iter(lengths))
        seq = lengths[origin]
    else:
        raise r.missing("sequence length", "dataset.seq_length", "--seq-len")
    r.to("seq_len", origin)
    if not r.has("train.train_iters") or not r.has("train.global_batch_size"):
        if flags.tokens is None:
            key = "train.train_iters" if not r.has("train.train_iters") else "train.global_batch_size"
            raise r.missing(f"{key.split('.')[1]} (the recipe function's value is not in the file)", key,
                            "--tokens")
    finetune = bool(r.raw("checkpoint.pretrained_checkpoint", None)) or bool(r.raw("checkpoint.finetune", False)) \
        or lora is not None
    phase: dict = {"name": "training", "kind": flags.kind or ("fine-tuning" if finetune else "pre-training")}
    if flags.tokens is not None:
        phase["tokens"] = flags.count("tokens")
        r.to("phases[0].tokens", "--tokens")
    else:
        phase.update(steps=r.count("train.train_iters"), batch_size=r.count("train.global_batch_size"))
        r.to("phases[0].steps", "train.train_iters")
        r.to("phases[0].batch_size", "train.global_batch_size")
    notes: list[str] = []
    if flags.tokens is None:
        _early_exit(r, phase, notes)
    if finetune:
        notes.append("checkpoint.pretrained_checkpoint / finetune / peft: read as fine-tuning of that checkpoint")
    if lora is not None:
        phase["trainable"] = {"lora": lora}
        r.to("phases[0].trainable", "peft.dim", "peft.target_modules", sep=", ")
        notes.append(_lora_note(r, lora))
    return r.imported(path.stem, {"config": str(Path(flags.base_config).resolve())}, seq, [phase], notes)


def _early_exit(r: Recipe, phase: dict, notes: list[str]) -> None:
    """Megatron-Bridge's TrainingConfig stops early as Megatron-LM does: `train.exit_interval`
    caps the iterations (from scratch); `train.exit_duration_in_mins` stops after that many
    minutes wherever the run is, so the length read is only a maximum."""
    interval = r.raw("train.exit_interval", None)
    if interval is not None and r.count("train.exit_interval") < phase["steps"]:
        iterations, phase["steps"] = phase["steps"], r.count("train.exit_interval")
        r.to("phases[0].steps", "train.exit_interval")
        notes.append(f"train.exit_interval {phase['steps']:,}: the run stops at iteration {phase['steps']:,} of "
                     f"{iterations:,} (from scratch; resumed, at the next multiple)")
    if r.raw("train.exit_duration_in_mins", None) is not None:
        minutes = r.count("train.exit_duration_in_mins")
        phase["upper_bound"] = True
        r.to("phases[0].upper_bound", "train.exit_duration_in_mins")
        notes.append(f"train.exit_duration_in_mins {minutes:,}: the run stops after {minutes:,} minutes wherever it "
                     "has got to, so the run length read is an upper bound (the verdict reads 'at most'); give the "
                     "tokens it trained (--tokens) for the count")


def _lora(r: Recipe) -> dict:
    """The peft section as a LoRA rank and targets in Megatron's module names."""
    kind = r.raw("peft._target_", LORA_CLASS)
    if kind != LORA_CLASS:
        raise r.error("peft._target_", f"{kind!r} is not modelled (LoRA only: {LORA_CLASS})")
    if r.raw("peft.exclude_modules", None):
        raise r.error("peft.exclude_modules", "LoRA on every linear module but these is not modelled; "
                      "list peft.target_modules instead")
    value = r.raw("peft.target_modules")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise r.error("peft.target_modules", "must be a list of module names")
    known = [n for n, row in TARGET_NAMES.items() if "Megatron" in row.framework]
    targets = []
    for i, name in enumerate(value):
        short = name[len(WILDCARD):] if name.startswith(WILDCARD) else name
        if short not in known:
            what = "'*' (every linear module, the output layer and experts included) is" if short == "*" else \
                "targets limited to some layers are" if "*" in short or "." in short else f"module {name!r} is"
            raise r.error(f"peft.target_modules[{i}]", f"{what} not modelled (known: {', '.join(known)})")
        targets.append(short)
    return {"rank": r.count("peft.dim"), "targets": list(dict.fromkeys(targets))}


def _lora_note(r: Recipe, lora: dict) -> str:
    left_out = [k for k in DEFAULTS if k not in r.data]
    defaults = (f"; {' and '.join(left_out)} not in the file: Megatron-Bridge's LoRA default "
                f"({MEGATRON_LORA_SOURCE}), unless the recipe function passes its own") if left_out else ""
    return (f"peft: LoRA rank {lora['rank']} on {', '.join(lora['targets'])}, one adapter per module over its "
            f"own shape (a fused linear_qkv or linear_fc1 gets one adapter over its fused output){defaults}")
