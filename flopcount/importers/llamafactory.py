"""LLaMA-Factory training YAML (`model_name_or_path`, `stage`, `finetuning_type`,
`cutoff_len`, `per_device_train_batch_size`, `gradient_accumulation_steps`,
`num_train_epochs` / `max_steps`) → a run plan.

`stage: sft` and `pt` are counted; `dpo`, `kto`, `ppo` and `rm` run extra forward passes
(reference model, paired responses, generation) not modelled yet and are refused by name.
`lora_target: all` is every linear layer. `max_samples` caps each dataset, so `--samples`
is still needed (the dataset sizes are not in the recipe).
"""
from __future__ import annotations

from pathlib import Path

from ..data.recipes import LLAMAFACTORY_DEFAULTS
from ..fields import load_mapping
from . import Imported
from .finetune import Keys, import_finetune, lora
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "LLaMA-Factory"
KEYS = Keys(base="model_name_or_path", seq="cutoff_len", micro="per_device_train_batch_size",
            accumulation="gradient_accumulation_steps", epochs="num_train_epochs", max_steps="max_steps",
            packing="packing")
STAGES = {"sft": "fine-tuning", "pt": "continued-pre-training"}


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    return data is not None and "model_name_or_path" in data and ("stage" in data or "finetuning_type" in data)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = Recipe(load_mapping(path), str(path), FRAMEWORK, LLAMAFACTORY_DEFAULTS)
    stage = r.text("stage", "sft")
    if stage not in STAGES:
        raise r.error("stage", f"{stage!r} runs extra forward passes (reference model, paired responses or "
                      f"generation) not modelled yet; {', '.join(STAGES)} are")
    method = r.text("finetuning_type", "lora")
    notes: list[str] = []
    adapter = None
    if method == "lora":
        targets = r.raw("lora_target", "all")
        targets = "all-linear" if targets == "all" else [t.strip() for t in str(targets).split(",")]
        adapter = lora(r, "lora_rank", targets, "lora_target", r.text("model_name_or_path"))
        if r.raw("additional_target", None):
            raise r.error("additional_target", "fully trained extra modules beside LoRA are not modelled")
    elif method != "full":
        raise r.error("finetuning_type", f"{method!r} is not modelled (full or lora)")
    if r.has("max_samples"):
        notes.append(f"max_samples {r.raw('max_samples')} caps each dataset; --samples is the training samples "
                     "actually used per epoch")
    return import_finetune(r, path, flags, KEYS, adapter, notes, kind=STAGES[stage])
