"""NeMo-RL YAML (`examples/configs/{sft,dpo,grpo_math_1B}.yaml` and the recipes that inherit
from them through `defaults:`) → a run plan.

Read: `defaults:` chains (a path relative to the file, merged as OmegaConf merges: mappings
key by key, everything else replaced), `${a.b}` and `${.sibling}` references in the keys
read, `policy.model_name` (the base model, from `--base-config` or the local cache),
`policy.max_total_sequence_length` (prompt + response cap), `policy.train_global_batch_size`,
the algorithm's `max_num_steps` and `max_num_epochs`, and LoRA (`policy.dtensor_cfg.lora_cfg`).

Steps: min(max_num_steps, max_num_epochs × ⌊dataset / batch⌋) — NeMo-RL's own rule
(dataloaders drop the last partial batch); without `--samples` the run is max_num_steps long,
said as an upper bound. Sequences are at most max_total_sequence_length: without `--tokens`
every phase is marked `upper_bound`, so a verdict over a line reads "at most", never "crossed". Per step: SFT trains on train_global_batch_size sequences; DPO on as
many preference pairs (two sequences each) with a reference forward over both (NeMo-RL's DPO
always computes reference log-probabilities); GRPO generates num_prompts_per_step ×
num_generations_per_prompt sequences, trains on each once, runs the policy forward for
previous log-probabilities (skipped only with force_on_policy_ratio and no
seq_logprob_error_threshold) and the reference forward when reference_policy_kl_penalty > 0
(`nemo_rl/algorithms/grpo.py`). Passes are counted as in `passes`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from . import passes
from .base import Imported
from .finetune import base_model, lora
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "NeMo-RL"
KINDS = {"sft": "fine-tuning", "dpo": "fine-tuning", "grpo": "rl"}
NOT_MODELLED = ("ppo", "distillation", "rm", "gdpo", "on_policy_distillation")
MAX_CHAIN = 8                      # defaults: files followed before a chain is called circular
REFERENCE = re.compile(r"^\$\{(\.*)([\w.]+)\}$")


def merged(path: Path, depth: int = 0) -> dict:
    """The file merged over its `defaults:` chain."""
    if depth > MAX_CHAIN:
        raise InputError(f"defaults: chain longer than {MAX_CHAIN} files (circular?)", source=str(path))
    data = load_mapping(path)
    parents = data.pop("defaults", None)
    if parents is None:
        return data
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise InputError("defaults: must be a path or a list of paths", source=str(path), field="defaults")
    base: dict = {}
    for parent in parents:
        base = _merge(base, merged(path.parent / parent, depth + 1))
    return _merge(base, data)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _algorithm(data: dict) -> str | None:
    return next((a for a in (*KINDS, *NOT_MODELLED) if isinstance(data.get(a), dict)), None)


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    if data is None or not ("policy" in data or "defaults" in data):
        return False
    try:
        data = merged(path)
    except InputError:
        return False
    return isinstance(data.get("policy"), dict) and "model_name" in data["policy"] and _algorithm(data) is not None


def _resolve(r: Recipe) -> None:
    """Replace whole-value `${a.b}` / `${.sibling}` references by the value they name."""
    for _ in range(MAX_CHAIN):
        changed = False
        for key, value in r.data.items():
            m = REFERENCE.match(value) if isinstance(value, str) else None
            if m is None:
                continue
            dots, name = m.groups()
            if dots:
                name = ".".join(key.split(".")[:-len(dots)] + [name])
            if name in r.data and r.data[name] != value:
                r.data[key], changed = r.data[name], True
        if not changed:
            return


def _grpo_phases(r: Recipe, tokens: int, kind: str, adapter: Any, notes: list[str]) -> list[dict]:
    """GRPO's passes (rollouts, update, old-policy and reference forwards as the loss asks)."""
    old_policy = not (r.raw("loss_fn.force_on_policy_ratio", False)
                      and r.raw("grpo.seq_logprob_error_threshold", None) is None)
    with_reference = (r.raw("loss_fn.reference_policy_kl_penalty", 0) or 0) > 0
    phases = passes.rl_phases(tokens, kind, adapter, old_policy=old_policy, with_reference=with_reference)
    if r.raw("grpo.use_dynamic_sampling", False):
        notes.append("use_dynamic_sampling: groups with no reward variance are regenerated (up to "
                     "dynamic_sampling_max_gen_batches per step), so rollouts may exceed the count")
    if (r.raw("grpo.max_rollout_turns", 1) or 1) > 1:
        notes.append("multi-turn rollouts: environment turns are prefilled, not generated; the sequence cap "
                     "still bounds each rollout")
    return phases


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    data = merged(path)
    algorithm = _algorithm(data)
    if algorithm in NOT_MODELLED:
        raise InputError(f"a NeMo-RL {algorithm} config: its passes are not modelled; sft, dpo and grpo are",
                         source=str(path))
    r = Recipe(data, str(path), FRAMEWORK)
    _resolve(r)
    notes: list[str] = [f"read as NeMo-RL {algorithm.upper()} (its {algorithm}: section)"]
    config = base_model(r, flags, "policy.model_name")
    seq = flags.count("seq_len") or r.count("policy.max_total_sequence_length")
    r.to("seq_len", "--seq-len" if flags.seq_len else "policy.max_total_sequence_length")
    adapter = _adapter(r)
    a = algorithm
    unit = {"sft": "sequences", "dpo": "preference pairs", "grpo": "prompts"}[a]
    batch_key = "grpo.num_prompts_per_step" if a == "grpo" else "policy.train_global_batch_size"
    per_step, origins = r.count(batch_key), (batch_key,)
    steps = r.count(f"{a}.max_num_steps")
    samples = flags.count("samples")
    if samples is not None:
        epochs = r.count(f"{a}.max_num_epochs")
        steps = min(steps, epochs * (samples // per_step))
        step_origin = f"min({a}.max_num_steps, {a}.max_num_epochs × ⌊--samples / {origins[0]}⌋)"
    else:
        step_origin = f"{a}.max_num_steps"
        notes.append(f"steps are {a}.max_num_steps ({steps:,}); the run ends sooner if {a}.max_num_epochs passes "
                     f"over the dataset take fewer: pass --samples N ({unit} in the training set)")
    if a == "grpo":
        sequences = steps * per_step * r.count("grpo.num_generations_per_prompt")
        origins = (*origins, "grpo.num_generations_per_prompt")
    else:
        sequences = steps * per_step * (2 if a == "dpo" else 1)
    tokens = flags.count("tokens") if flags.tokens is not None else sequences * seq
    r.to("phases[0].tokens", "--tokens" if flags.tokens else " × ".join((step_origin, *origins, "seq_len")))
    if flags.tokens is None:
        notes.append(f"each sequence is at most {seq:,} tokens (policy.max_total_sequence_length): the counts are "
                     "upper bounds (the verdict reads 'at most'; pass --tokens, the tokens of the sequences trained "
                     "on once, for the real count)")
    kind = flags.kind or KINDS[a]
    if a == "grpo":
        phases = _grpo_phases(r, tokens, kind, adapter, notes)
    else:
        phases = [{"name": f"{a.upper()} update", "kind": kind, "tokens": tokens, **passes.trainable(adapter)}]
        if a == "dpo":
            phases.append(passes.reference(tokens))
    if any(p.get("kind") == "auxiliary-model" for p in phases):
        notes.append(passes.REFERENCE_NOTE)
    if flags.tokens is None:  # caps: the sequence length, and without --samples the step count
        caps = ("policy.max_total_sequence_length", *(() if samples is not None else (f"{a}.max_num_steps",)))
        for i, phase in enumerate(phases):
            phase["upper_bound"] = True
            r.to(f"phases[{i}].upper_bound", *caps, sep=", ")
    if r.raw("policy.dtensor_cfg.activation_checkpointing", False) or r.raw(
            "policy.megatron_cfg.activation_checkpointing", False):
        notes.append("activation checkpointing re-runs forward work on the hardware; flopcount counts each forward "
                     "once (model FLOP)")
    return r.imported(path.stem, {"config": str(config.resolve())}, seq, phases, notes)


def _adapter(r: Recipe) -> Any:
    """`policy.dtensor_cfg.lora_cfg` (rank `dim`, `match_all_linear` or `target_modules`)."""
    prefix = "policy.dtensor_cfg.lora_cfg"
    if not r.raw(f"{prefix}.enabled", False):
        return None
    if r.raw(f"{prefix}.exclude_modules", None):
        raise r.error(f"{prefix}.exclude_modules", "LoRA with excluded modules is not modelled")
    all_linear = r.raw(f"{prefix}.match_all_linear", False)
    targets = "all-linear" if all_linear else r.raw(f"{prefix}.target_modules", None)
    where = f"{prefix}.match_all_linear" if all_linear else f"{prefix}.target_modules"
    return lora(r, f"{prefix}.dim", targets, where, r.text("policy.model_name"))
