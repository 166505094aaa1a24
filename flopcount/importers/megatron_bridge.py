"""Megatron-Bridge YAML override files (`--config-file` of its recipe scripts: `train:`,
`dataset:`, `model:`, `checkpoint:`, `peft:` sections of a ConfigContainer) → a run plan.

An override file holds only the keys it changes; the architecture lives in the Python
recipe function it overrides (e.g. `llama32_1b_pretrain_config`, built from the Hugging Face
config of meta-llama/Llama-3.2-1B by AutoBridge), so the model comes from `--base-config`,
that config.json. Tokens: train.train_iters × train.global_batch_size × the sequence length
(dataset.seq_length or model.seq_length, which must agree; else `--seq-len`). A
`checkpoint.pretrained_checkpoint` or `checkpoint.finetune` makes it fine-tuning. Keys the
file leaves out take the recipe function's values, which flopcount cannot read: a missing
train_iters or global_batch_size is asked for. Megatron-Bridge's LoRA adapts the fused
linear_qkv and linear_fc1 projections with one adapter each, which flopcount's per-matrix
LoRA count does not model: `peft:` is refused by name.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..fields import load_mapping
from . import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "Megatron-Bridge"


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    train = data.get("train") if data else None
    return (isinstance(train, dict) and ("train_iters" in train or "global_batch_size" in train)
            and ("model" in data or "dataset" in data) and "policy" not in data)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = Recipe(load_mapping(path), str(path), FRAMEWORK)
    peft = next((k for k in r.data if k == "peft" or k.startswith("peft.")), None)
    if peft is not None and r.raw(peft) is not None:
        raise r.error("peft", "Megatron-Bridge LoRA adapts the fused linear_qkv and linear_fc1 projections (one "
                      "adapter each), which flopcount's per-matrix LoRA count does not model")
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
    finetune = bool(r.raw("checkpoint.pretrained_checkpoint", None)) or bool(r.raw("checkpoint.finetune", False))
    phase: dict = {"name": "training", "kind": flags.kind or ("fine-tuning" if finetune else "pre-training")}
    if flags.tokens is not None:
        phase["tokens"] = flags.count("tokens")
        r.to("phases[0].tokens", "--tokens")
    else:
        phase.update(steps=r.count("train.train_iters"), batch_size=r.count("train.global_batch_size"))
        r.to("phases[0].steps", "train.train_iters")
        r.to("phases[0].batch_size", "train.global_batch_size")
    notes = []
    if finetune:
        notes.append("checkpoint.pretrained_checkpoint / finetune: read as fine-tuning of that checkpoint")
    return r.imported(path.stem, {"config": str(Path(flags.base_config).resolve())}, seq, [phase], notes)
