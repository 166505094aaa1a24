"""Flags several commands share: what completes a recipe, the base model of a modification,
and the facts a verdict depends on. Their meaning is the resolver's
(`flopcount.importers.resolve.Request`); here they are only declared, once.
"""
from __future__ import annotations

import argparse

from ..data.thresholds import CHAPTER_V_APPLIES, MODALITIES

#: Flags an importer may need (a recipe lacks them), shared by import, record and plot;
#: estimate already has --seq-len, --tokens, --kind, --gpus and --base-config.
IMPORT_FLAGS = {
    "--seq-len": "sequence length, where the recipe or run does not hold it (HF runs: it is in training_args.bin)",
    "--tokens": "training tokens, for runs that did not log num_input_tokens_seen",
    "--gpus": "devices in the run, where the recipe sizes its batch per device",
    "--samples": "training samples per epoch, for recipes that train for epochs: dataset rows as the recipe reads "
                 "them, after any validation split (Axolotl val_set_size), before packing (Axolotl sample_packing, LLaMA-Factory / TRL packing: then rows × sequence "
                 "length is only an upper bound, so give --dataset-tokens), or the packed sequences after it; "
                 "preference pairs for DPO; prompts for GRPO and NeMo-RL",
    "--dataset-tokens": "the training set's tokens per epoch, after any validation split (packed recipes: each epoch trains them once; "
                        "without it a packed recipe's count is an upper bound)",
    "--base-config": "the (base) model's config.json or snapshot folder: for recipes naming a hub id not in the "
                     "local Hugging Face cache, TrainingArguments JSON, ledgers and Lightning logs",
    "--vocab-size": "vocabulary size (Megatron: the tokenizer's, padded as Megatron pads it)",
    "--trainer": "the TRL trainer a config is for (sft, dpo, grpo; trainer: plain TrainingArguments), where "
                 "its keys and folder do not say",
}
RECIPES = ("torchtitan TOML, Megatron arguments (launch script, log, functional-test YAML), MaxText YAML or launch "
           "script, NeMo 1.x Hydra YAML, NeMo-RL / Axolotl / LLaMA-Factory / TRL YAML, "
           "TrainingArguments JSON, a Hugging Face Trainer output folder (PEFT too), a Lightning log folder, "
           "or a flopcount ledger")


def add_import_flags(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    for flag, text in IMPORT_FLAGS.items():
        if flag not in skip:
            parser.add_argument(flag, help=text)


def add_base_arguments(parser: argparse.ArgumentParser) -> None:
    """The base model a modification starts from (estimate, record)."""
    parser.add_argument("--base-compute", help="base model's training compute in FLOP, or 'unknown' (a modification; "
                        "a PEFT adapter or --kind fine-tuning, continued-pre-training or rl without it: unknown, "
                        "judged by the Guidelines' fallback line)")
    parser.add_argument("--base-systemic-risk", action="store_true", help="the base model has systemic risk")


def add_verdict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--modalities", help="what the model generates, comma-separated: "
                        f"{', '.join(MODALITIES)} (the GPAI criterion is about text, audio, images, video)")
    parser.add_argument("--placed-on-market", help="date first placed on the EU market, YYYY-MM-DD "
                        f"(before {CHAPTER_V_APPLIES}: Art. 111(3))")
