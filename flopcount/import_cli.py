"""`flopcount import PATH`: print the run plan an importer makes of a recipe or finished run.

`estimate`, `record --plan` and `plot` accept the same paths directly through `import_plan`.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from .data.phases import BY_ID as PHASE_KINDS
from .boundary.errors import InputError

#: Flags an importer may need (a recipe lacks them), shared by import, record and plot;
#: estimate already has --seq-len, --tokens, --kind, --gpus and --base-config.
IMPORT_FLAGS = {
    "--seq-len": "sequence length, where the recipe or run does not hold it (HF runs: it is in training_args.bin)",
    "--tokens": "training tokens, for runs that did not log num_input_tokens_seen",
    "--gpus": "devices in the run, where the recipe sizes its batch per device",
    "--samples": "training samples per epoch, for recipes that train for epochs: dataset rows as the recipe reads "
                 "them, before packing (Axolotl sample_packing, LLaMA-Factory / TRL packing: then rows × sequence "
                 "length is only an upper bound, so give --dataset-tokens), or the packed sequences after it; "
                 "preference pairs for DPO; prompts for GRPO and NeMo-RL",
    "--dataset-tokens": "the training set's tokens per epoch (packed recipes: each epoch trains them once; "
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


def flags_from(args: argparse.Namespace, kind: str | None = None):
    from .importers.recipe import Flags
    return Flags(**{name: getattr(args, name, None) for name in
                    ("seq_len", "tokens", "gpus", "samples", "dataset_tokens", "base_config", "vocab_size",
                     "trainer")},
                 kind=kind or (args.kind if getattr(args, "kind", None) in PHASE_KINDS else None))


def import_plan(path: str, args: argparse.Namespace):
    """The Plan of an importable recipe or run at `path`; None for what estimate reads itself
    (run plan, model config, adapter, model id); the one line for anything else."""
    from .importers.identify import identify
    from .inputs.plan import plan_from_mapping
    found = identify(path)  # the one sniffing step: an unknown file is refused here, for every command
    if found.importer is None:
        return None
    imported = found.importer.read(Path(path), flags_from(args))
    plan = plan_from_mapping(imported.plan, path, Path(path).resolve().parent)
    # the importer's caveats (upper bounds, passes not counted) travel into estimates and records
    return dataclasses.replace(plan, notes=plan.notes + tuple(f"{Path(path).name}: {n}" for n in imported.notes))


def load_any_plan(path: str, args: argparse.Namespace):
    """A run plan file, or the plan of a recipe or run an importer recognises."""
    from .inputs.plan import load_plan
    return import_plan(path, args) or load_plan(path)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="turn a training recipe or finished run into a run plan (YAML)")
    p.add_argument("path", help=RECIPES)
    add_import_flags(p)
    p.add_argument("--kind", choices=sorted(PHASE_KINDS), metavar="KIND",
                   help="kind of work, where the recipe does not say (default pre-training)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the plan here, its paths relative to this file's folder (default: print it, "
                        "its paths relative to the current directory)")
    p.set_defaults(func=cmd_import)


def relative_paths(plan: dict, folder: Path) -> dict:
    """The plan with its model config paths relative to `folder`, where the plan is read
    from: a plan names files beside it, never the importing machine's absolute paths."""
    def model(entry: dict) -> dict:
        config = entry.get("config")
        if not isinstance(config, str):
            return entry
        try:
            return {**entry, "config": Path(os.path.relpath(Path(config).resolve(), folder.resolve())).as_posix()}
        except ValueError:  # another drive (Windows): no relative path exists
            return entry
    out = {**plan, "model": model(plan["model"])} if isinstance(plan.get("model"), dict) else dict(plan)
    if isinstance(plan.get("phases"), list):
        out["phases"] = [{**p, "model": model(p["model"])} if isinstance(p, dict) and isinstance(p.get("model"), dict)
                         else p for p in plan["phases"]]
    return out


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import import_path
    imported = import_path(args.path, flags_from(args))
    target = Path(args.output) if args.output else None
    lines = [f"# flopcount run plan imported from {args.path}",
             "# paths relative to " + ("this file's folder" if target else "the directory `flopcount import` ran in")]
    lines += [f"#   {field} <- {origin}" for field, origin in imported.trace.items()]
    lines += [f"# note: {note}" for note in imported.notes]
    plan = relative_paths(imported.plan, target.parent if target else Path.cwd())
    text = "\n".join(lines) + "\n" + yaml.safe_dump(plan, sort_keys=False)
    if target is None:
        sys.stdout.write(text)
        return 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or target}: {exc.strerror or exc}", field="--output") from None
    print(f"wrote {target}")
    return 0
