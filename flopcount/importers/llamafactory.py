"""LLaMA-Factory training YAML (`model_name_or_path`, `stage`, `finetuning_type`,
`cutoff_len`, `per_device_train_batch_size`, `gradient_accumulation_steps`,
`num_train_epochs` / `max_steps`) → a run plan; the v1 schema (`model`, `train_dataset`,
`micro_batch_size`, `peft_config`) is read by `llamafactory_v1`.

`stage: sft` and `pt` are counted as fine-tuning; `dpo`, `kto`, `rm` and `ppo` by
`llamafactory_stages` (reference model, paired responses, generation). `lora_target: all` is
every linear layer. `max_samples` caps each dataset, not the total (data/loader.py
`_load_single_dataset` selects the first max_samples rows of each): without `--samples`, an
epoch holds at most max_samples × the datasets named in `dataset`, an upper bound used as such,
except for `pt` (pre-training text is chunked into cutoff_len blocks, so a row can be several
sequences) and `mix_strategy: interleave_over` (oversamples past the datasets' sum).
"""
from __future__ import annotations

from pathlib import Path

from ..data.recipes import LLAMAFACTORY_OVERSAMPLING, LLAMAFACTORY_STAGE_DEFAULTS
from ..boundary.fields import load_mapping
from . import llamafactory_v1
from .base import Imported
from .finetune import Cap, Keys, import_finetune, lora
from .llamafactory_stages import STAGES as PREFERENCE_AND_RL, import_stage
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "LLaMA-Factory"
KEYS = Keys(base="model_name_or_path", seq="cutoff_len", micro="per_device_train_batch_size",
            accumulation="gradient_accumulation_steps", epochs="num_train_epochs", max_steps="max_steps",
            packing="packing")
STAGES = {"sft": "fine-tuning", "pt": "continued-pre-training"}


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    if data is None:
        return False
    return ("model_name_or_path" in data and ("stage" in data or "finetuning_type" in data)) or llamafactory_v1.sniff(data)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    data = load_mapping(path)
    if llamafactory_v1.sniff(data):
        return llamafactory_v1.import_(data, path, flags)
    r = Recipe(data, str(path), FRAMEWORK, LLAMAFACTORY_STAGE_DEFAULTS)
    stage = r.text("stage", "sft")
    if stage not in STAGES and stage not in PREFERENCE_AND_RL:
        raise r.error("stage", f"{stage!r} is not a LLaMA-Factory stage flopcount counts ({', '.join(STAGES)}, "
                      f"{', '.join(PREFERENCE_AND_RL)} are)")
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
    cap = samples_cap(r, stage, notes)
    if stage in STAGES:
        return import_finetune(r, path, flags, KEYS, adapter, notes, kind=STAGES[stage], cap=cap)
    return import_stage(r, path, flags, KEYS, adapter, notes, stage, cap)


def samples_cap(r: Recipe, stage: str, notes: list[str]) -> Cap | None:
    """max_samples × the datasets: the most samples an epoch holds (None where it is no bound)."""
    if not r.has("max_samples") or r.raw("max_steps") not in (-1, 0, None):  # a max_steps run: no epochs to bound
        return None
    cap, datasets = r.count("max_samples"), r.raw("dataset", None)
    names = [d.strip() for d in datasets.split(",")] if isinstance(datasets, str) else datasets
    mix = r.text("mix_strategy")
    if not isinstance(names, list) or not names or stage == "pt" or mix in LLAMAFACTORY_OVERSAMPLING:
        why = ("pre-training text is chunked into cutoff_len blocks" if stage == "pt" else
               f"mix_strategy {mix} oversamples" if mix in LLAMAFACTORY_OVERSAMPLING else "no dataset is named")
        notes.append(f"max_samples {cap:,} caps each dataset, but bounds no epoch here ({why}): --samples is the "
                     "training samples actually used per epoch")
        return None
    notes.append(f"max_samples {cap:,} caps each of the {len(names)} dataset(s) in dataset, so an epoch holds at "
                 f"most {cap * len(names):,} samples (fewer after val_size or where a dataset is smaller): without "
                 "--samples the count is that upper bound")
    return Cap(cap * len(names), f"max_samples × {len(names)} dataset{'s' if len(names) > 1 else ''}")
