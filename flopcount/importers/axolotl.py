"""Axolotl fine-tuning YAML (`base_model`, `sequence_len`, `micro_batch_size`,
`gradient_accumulation_steps`, `num_epochs` / `max_steps`, `adapter: lora|qlora`) → a run plan.

LoRA targets: `lora_target_modules`, or every linear layer with `lora_target_linear: true`.
QLoRA's 4-bit base is dequantized for each matmul, so it counts as LoRA (same FLOP).
`lora_modules_to_save` naming `lm_head` trains the head fully: stated, with its size.
Preference and RL stages (`rl:` dpo, ipo, orpo, simpo, kto, grpo, gdpo): `axolotl_rl`.
"""
from __future__ import annotations

from pathlib import Path

from ..data.recipes import AXOLOTL_DEFAULTS
from ..boundary.fields import load_mapping
from .base import Imported
from .axolotl_rl import import_rl
from .finetune import Keys, head_gradient_note, import_finetune, lora
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "Axolotl"
KEYS = Keys(base="base_model", seq="sequence_len", micro="micro_batch_size",
            accumulation="gradient_accumulation_steps", epochs="num_epochs", max_steps="max_steps",
            packing="sample_packing")


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    # `datasets:` too: a recipe that lost its base_model is still Axolotl's (and refused for it), not
    # a model config because of Axolotl's own `model_type: LlamaForCausalLM`
    return data is not None and ("base_model" in data or "datasets" in data) \
        and ("sequence_len" in data or "micro_batch_size" in data)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = Recipe(load_mapping(path), str(path), FRAMEWORK, AXOLOTL_DEFAULTS)
    kind = r.raw("adapter", None)
    notes: list[str] = []
    val = r.raw("val_set_size", None)
    if val not in (None, 0, 0.0):  # Axolotl splits it off the rows before training
        notes.append(f"val_set_size {val}: held out of the rows for evaluation, so --samples and --dataset-tokens are "
                     "the training split's; evaluation forwards are not training compute and are not counted")
    adapter = None
    if kind in ("lora", "qlora"):
        if r.raw("lora_target_linear", False) is True:
            targets, where = "all-linear", "lora_target_linear"
        else:
            targets, where = r.raw("lora_target_modules", None), "lora_target_modules"
            if targets is None:
                raise r.missing("LoRA targets", "lora_target_modules or lora_target_linear: true")
        adapter = lora(r, "lora_r", targets, where, r.text("base_model"))
        if kind == "qlora":
            notes.append("QLoRA: the 4-bit base is dequantized for every matmul, so the FLOP are LoRA's")
    elif kind is not None:
        raise r.error("adapter", f"{kind!r} adapters are not modelled (lora, qlora or none)")
    rl = r.raw("rl", None)
    if rl is None:
        imported = import_finetune(r, path, flags, KEYS, adapter, notes)
    else:
        imported = import_rl(r, path, flags, KEYS, adapter, notes, str(rl))
    saved = r.raw("lora_modules_to_save", None) or []
    if adapter is not None and "lm_head" in saved:
        imported.notes.insert(0, head_gradient_note(Path(imported.plan["model"]["config"]), "lora_modules_to_save"))
    if r.raw("gradient_checkpointing", False):
        imported.notes.insert(0, "gradient checkpointing re-runs forward work on the hardware; flopcount counts "
                              "each forward once (model FLOP)")
    return imported


