"""What fine-tuning recipes share (Axolotl, LLaMA-Factory): a base model named by hub id or
path, full or LoRA training, and a length given as max steps or epochs.

Tokens: max_steps × micro batch × gradient accumulation × devices × sequence length, or
epochs × `--samples` (training samples per epoch, after any validation split; packed
sequences when the recipe packs; else a cap the recipe states, LLaMA-Factory's max_samples ×
its datasets, as a maximum) × sequence length, or epochs × `--dataset-tokens`. Without
packing a sample is padded to the longest in its batch, at most the sequence length; with
packing, rows are concatenated into sequence-length sequences, so rows × sequence length
overstates by the packing factor: either way the figure is an upper bound (the phase's
`upper_bound`, so verdicts read "at most"), unless `--dataset-tokens` or `--tokens` gives
the count. The base model's config comes from `--base-config`, a local path, or the local
Hugging Face cache (never downloaded).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from ..boundary.numbers import sig2
from ..model.peft import Adapter, base_config, read_adapter
from .base import Imported
from .lineage import base_entry
from .recipe import Flags, Recipe


@dataclass(frozen=True)
class Keys:
    """Where a framework keeps each setting (its own key names)."""

    base: str
    seq: str
    micro: str
    accumulation: str
    epochs: str
    max_steps: str
    packing: str


@dataclass(frozen=True)
class Examples:
    """How many examples (sequences, preference pairs, prompts' completions) a run processes,
    and, for a max_steps run, its steps and examples per step."""

    count: int
    steps: int | None = None
    per_step: int | None = None
    samples_origin: str = "--samples"   # where an epoch run's samples per epoch came from


@dataclass(frozen=True)
class Cap:
    """The most training samples per epoch a recipe allows (LLaMA-Factory: max_samples × its
    datasets), used for an upper bound where `--samples` is not given."""

    count: int
    origin: str   # the keys it comes from, for the trace


def lora(r: Recipe, rank_key: str, targets: Any, targets_key: str, base: str) -> Adapter:
    """A LoRA setting read through PEFT's own rules (target names, "all-linear")."""
    mapping = {"peft_type": "LORA", "r": r.raw(rank_key), "target_modules": targets,
               "base_model_name_or_path": base}
    try:
        return read_adapter(mapping, r.source)
    except InputError as exc:
        field = rank_key if exc.field == "r" else targets_key
        raise InputError(exc.message, source=r.source, field=field) from None


def base_model(r: Recipe, flags: Flags, key: str) -> Path:
    """The base model's config.json: `--base-config`, else the recipe's model as a local
    path or in the Hugging Face cache (never downloaded)."""
    if flags.base_config:
        config, _ = base_config(Adapter(0, None, (), "", r.source), flags.base_config)
    elif r.has(key):
        try:
            config, _ = base_config(Adapter(0, None, (), r.text(key), r.source), None)
        except InputError as exc:  # name the recipe's own key, not the adapter file's
            raise InputError(exc.message, source=r.source, field=key) from None
    else:
        raise r.missing("base model", key, "--base-config")
    config_file = config / "config.json" if config.is_dir() else config
    r.to("model.config", f"--base-config ({config_file})" if flags.base_config else f"{key} ({config_file})")
    return config_file


def examples(r: Recipe, flags: Flags, keys: Keys, what: str = "training samples", cap: Cap | None = None) -> Examples:
    """max_steps × micro batch × accumulation × --gpus, or whole epochs × --samples (else × the
    recipe's `cap`, a maximum)."""
    max_steps = r.raw(keys.max_steps, -1)
    if max_steps not in (-1, 0, None):
        gpus = flags.count("gpus")
        if gpus is None:
            raise InputError(f"{keys.max_steps} counts optimizer steps of micro batch × accumulation × devices: "
                             "pass --gpus N (devices in the run)", source=r.source, field="--gpus")
        per_step = r.count(keys.micro, 1) * r.count(keys.accumulation, 1) * gpus
        steps = r.count(keys.max_steps)
        return Examples(steps * per_step, steps, per_step)
    samples = flags.count("samples")
    if samples is not None and cap is not None and samples > cap.count:
        raise InputError(f"{samples:,} {what} per epoch is more than the recipe's {cap.origin} allows "
                         f"({cap.count:,})", source=r.source, field="--samples")
    if samples is None and cap is not None:
        return Examples(_epochs(r, keys) * cap.count, samples_origin=cap.origin)
    if samples is None:
        packed = ", packed sequences" if r.raw(keys.packing, False) else ""
        raise InputError(f"the run is {keys.epochs} × the dataset, whose size the recipe does not hold: pass "
                         f"--samples N ({what} per epoch{packed}), or set {keys.max_steps}",
                         source=r.source, field="--samples")
    return Examples(_epochs(r, keys) * samples)


def _epochs(r: Recipe, keys: Keys) -> int:
    epochs = r.raw(keys.epochs, 1)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or epochs <= 0 or epochs != int(epochs):
        raise r.error(keys.epochs, f"must be a whole number of epochs here, got {epochs!r} (pass --tokens for "
                      "a fractional run)")
    return int(epochs)


def length_origins(keys: Keys, n: Examples) -> tuple[str, ...]:
    return (keys.max_steps, keys.micro, keys.accumulation, "--gpus") if n.steps else (keys.epochs, n.samples_origin)


def import_finetune(r: Recipe, path: Path, flags: Flags, keys: Keys, adapter: Adapter | None,
                    notes: list[str], *, kind: str = "fine-tuning", cap: Cap | None = None) -> Imported:
    config_file = base_model(r, flags, keys.base)
    seq = flags.count("seq_len") or r.count(keys.seq)
    r.to("seq_len", "--seq-len" if flags.seq_len else keys.seq)
    phase: dict[str, Any] = {"name": "fine-tuning", "kind": flags.kind or kind}
    if flags.tokens is not None:
        phase["tokens"] = flags.count("tokens")
        r.to("phases[0].tokens", "--tokens")
    elif flags.dataset_tokens is not None and r.raw(keys.max_steps, -1) in (-1, 0, None):
        phase["tokens"] = _epochs(r, keys) * flags.count("dataset_tokens")
        r.to("phases[0].tokens", keys.epochs, "--dataset-tokens")
        if r.raw(keys.packing, False):
            notes.append(f"{keys.packing}: each epoch trains the dataset's tokens once, packed into {seq:,}-token "
                         f"sequences; attention is counted over {seq:,} tokens, at most what per-row masks compute")
    else:
        n = examples(r, flags, keys, cap=cap)
        packed = bool(r.raw(keys.packing, False))
        if not packed or not n.steps:
            phase["upper_bound"] = True
        if packed and not n.steps:
            notes.append(f"{keys.packing} packs several dataset rows into each {seq:,}-token sequence: --samples "
                         f"rows × {keys.seq} overstates the tokens by the packing factor, so the count is an upper "
                         "bound (the verdict reads 'at most'); pass --dataset-tokens (the dataset's tokens per "
                         "epoch) for the count")
        if n.steps:
            phase.update(steps=n.steps, batch_size=n.per_step)
            r.to("phases[0].steps", keys.max_steps)
            r.to("phases[0].batch_size", keys.micro, keys.accumulation, "--gpus")
        else:
            phase["tokens"] = n.count * seq
            r.to("phases[0].tokens", keys.epochs, n.samples_origin, keys.seq)
        if not packed:
            notes.append(f"without {keys.packing}, each sample is padded to its batch's longest, at most {seq:,} "
                         "tokens: the token count is an upper bound (pass --tokens or --dataset-tokens for the "
                         "real count)")
    model: dict[str, Any] = {"config": str(config_file.resolve())}
    if adapter is not None:
        phase["trainable"] = {"lora": {"rank": adapter.rank, "targets": list(adapter.targets)}}
        r.to("phases[0].trainable", "LoRA rank and targets")
    return finished(r, path, keys.base, model, seq, [phase], notes)


def finished(r: Recipe, path: Path, base_key: str, model: dict, seq: int | None, phases: list[dict],
             notes: list[str]) -> Imported:
    """The import, with the named base model when the run fine-tunes one: a modification."""
    base = None
    if phases[0]["kind"] != "pre-training" and r.has(base_key):  # a fine-tune of a named base: a modification
        base, compute_note = base_entry(r.text(base_key))
        notes.append(f"a fine-tune of {base['name']}: a modification (Guidelines §3.2, the one-third rule decides "
                     f"who the provider is); {compute_note}")
    imported = r.imported(path.stem, model, seq, phases, notes)
    if base is not None:
        imported.plan["base_model"] = base
        imported.trace["base_model.name"] = base_key
    return imported


def head_gradient_note(config: Path, what: str) -> str:
    """Fully trained output-layer weights beside LoRA: their weight gradient (2 × width ×
    vocabulary per token) is not in the LoRA count; its size is stated."""
    data = load_mapping(config)
    width, vocab = data.get("hidden_size"), data.get("vocab_size")
    size = (f", 2 × {width} × {vocab} = {sig2(2 * width * vocab)} FLOP per token,"
            if isinstance(width, int) and isinstance(vocab, int) else "")
    return (f"{what} trains the output layer fully beside LoRA: its weight gradient{size} is not in "
            "flopcount's LoRA count (an undercount of that size)")
