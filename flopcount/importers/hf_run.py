"""A finished (or interrupted) Hugging Face Trainer output folder → a run plan.

Read: `trainer_state.json` (the latest `checkpoint-N/` one, or the folder's own) for the
steps, `num_input_tokens_seen` (logged when `include_num_input_tokens_seen` was set) and
`total_flos`; `config.json` for the architecture (the folder's, else the checkpoint's);
`adapter_config.json` marks a PEFT run: its LoRA rank and targets become the phase's
`trainable`, its base model's config.json comes from `--base-config` or the local cache (a
PEFT folder holds no config.json), and the kind defaults to fine-tuning. A folder whose model
card or config.json names a base model (`lineage`) is a fine-tune too: a modification, its
base in the plan's `base_model` (compute from the bundled table, else asked for).
`training_args.bin` is a pickle: it is never read (loading it could run code), so the
sequence length, batch layout and device count it holds must come from flags.
Dates: the run's end is `trainer_state.json`'s modification time and its start that minus
the logged `train_runtime` — file times, stated as such.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from ..boundary.numbers import parse_count
from ..model.peft import base_config, read_adapter
from .base import Imported
from .lineage import base_entry, card_base, config_base
from .recipe import Flags

STATE = "trainer_state.json"
ADAPTER = "adapter_config.json"


def _checkpoints(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("checkpoint-*") if re.fullmatch(r"checkpoint-\d+", p.name) and (p / STATE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def sniff(path: Path) -> bool:
    return path.is_dir() and ((path / STATE).is_file() or bool(_checkpoints(path)))


def _state(folder: Path) -> tuple[Path, dict]:
    """The most advanced trainer state: the folder's own (written at the end) or the
    latest checkpoint's, whichever has more steps."""
    candidates = [p / STATE for p in _checkpoints(folder)] + ([folder / STATE] if (folder / STATE).is_file() else [])
    best: tuple[int, Path, dict] | None = None
    for path in candidates:
        data = load_mapping(path)
        step = data.get("global_step")
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise InputError("must be a whole number of steps", source=str(path), field="global_step")
        if best is None or step >= best[0]:
            best = (step, path, data)
    assert best is not None
    return best[1], best[2]


def _tokens_from_flos(flos: Any, config: Path, peft: bool) -> tuple[int, str] | None:
    """The tokens the Trainer counted into `total_flos` (transformers' floating_point_ops:
    6 × input tokens × parameters without embeddings), where that divides exactly: a whole
    number of tokens, so no rounding is hidden. None for PEFT runs (the Trainer's parameter
    count then includes the adapters), a zero or non-integral figure, or no exact division."""
    if peft or not isinstance(flos, (int, float)) or isinstance(flos, bool) or flos <= 0 or flos != int(flos):
        return None
    from ..inputs.configs import load_spec
    from ..model.spec import count_parameters
    try:
        params = count_parameters(load_spec(config))
    except InputError:
        return None
    per_token = 6 * (params.total - params.embedding)
    if per_token <= 0 or int(flos) % per_token:
        return None
    return int(flos) // per_token, (f"{STATE}: total_flos / (6 × {params.total - params.embedding:,} parameters "
                                    "without embeddings), the Trainer's own formula, divided exactly")


def _model_files(folder: Path, state_path: Path, flags: Flags, trace: dict) -> tuple[Any, Path | None, Path]:
    """(PEFT adapter or None, its file, the model's config.json) of a run folder."""
    adapter_file = next((p for p in (folder / ADAPTER, state_path.parent / ADAPTER) if p.is_file()), None)
    adapter = read_adapter(load_mapping(adapter_file), str(adapter_file)) if adapter_file else None
    if adapter is not None:
        found, _ = base_config(adapter, flags.base_config)
        config: Path | None = found / "config.json" if found.is_dir() else found
        trace["phases[0].trainable"] = f"{adapter_file.name}: r, target_modules"
    else:
        config = next((p for p in (folder / "config.json", state_path.parent / "config.json") if p.is_file()), None)
        if flags.base_config:
            config = Path(flags.base_config)
    if config is None:
        raise InputError("no config.json in the run folder or its checkpoint: pass --base-config (the model's "
                         "config.json; the run's plan needs the architecture)", source=str(folder))
    return adapter, adapter_file, config


def _token_count(state: dict, state_path: Path, config: Path, flags: Flags, peft: bool, trace: dict) -> int:
    """--tokens, else the logged num_input_tokens_seen, else tokens total_flos gives exactly."""
    seen = state.get("num_input_tokens_seen")
    if flags.tokens is not None:
        count, trace["tokens"] = parse_count(flags.tokens, "--tokens"), "--tokens"
    elif isinstance(seen, int) and not isinstance(seen, bool) and seen > 0:
        count, trace["tokens"] = seen, f"{state_path.name}: num_input_tokens_seen"
    elif (derived := _tokens_from_flos(state.get("total_flos"), config, peft)) is not None:
        count, trace["tokens"] = derived
    else:
        raise InputError("the run did not log num_input_tokens_seen (TrainingArguments"
                         "(include_num_input_tokens_seen=...)) and total_flos does not give them exactly; pass "
                         "--tokens", source=str(state_path), field="num_input_tokens_seen")
    return count


def _dates(phase: dict, state: dict, state_path: Path, trace: dict) -> None:
    """End: trainer_state.json's modification time; start: that less the logged train_runtime."""
    runtime = next((h.get("train_runtime") for h in reversed(state.get("log_history", []))
                    if isinstance(h, dict) and isinstance(h.get("train_runtime"), (int, float))), None)
    end = dt.datetime.fromtimestamp(state_path.stat().st_mtime, dt.timezone.utc)
    phase["end"] = end.date().isoformat()
    if runtime is not None:
        phase["start"] = (end - dt.timedelta(seconds=float(runtime))).date().isoformat()
        trace["phases[0].start"] = f"{state_path.name} modification time − logged train_runtime"
    trace["phases[0].end"] = f"{state_path.name} modification time"


def _flos_note(flos: Any, imported: Imported, folder: Path, peft: bool) -> None:
    """The Trainer's own total_flos beside flopcount's count, and why they differ."""
    if not isinstance(flos, (int, float)) or isinstance(flos, bool):
        return
    if flos == 0:
        imported.notes.append("the Trainer's total_flos is 0: the model reported no FLOP (its floating_point_ops "
                              "gave none, as for models without num_parameters or input_ids); flopcount's count "
                              "is its own, by the full formula")
        return
    from ..boundary.numbers import sig2
    from ..count.estimate import count_plan   # the count alone: no verdict is needed for the note
    from ..inputs.plan import plan_from_mapping
    ours = count_plan(plan_from_mapping(imported.plan, str(folder))).training.total
    imported.notes.append(
        f"the Trainer's total_flos is {flos:.4g}: its estimate 6 × non-embedding parameters × tokens "
        "(transformers' floating_point_ops); flopcount's count adds attention, embeddings and the output "
        "layer by the full formula, so the two differ"
        + ("; for this PEFT run the Trainer also counts the frozen base's weight gradients, which LoRA does "
           "not compute" if peft else "") + f" (flopcount: {sig2(ours)} FLOP, {ours / flos:.3g} × total_flos)")


def import_(folder: Path, flags: Flags = Flags()) -> Imported:
    state_path, state = _state(folder)
    imported = Imported(plan={}, trace={})
    adapter, adapter_file, config = _model_files(folder, state_path, flags, imported.trace)
    found_base = (((adapter.base, f"{adapter_file.name}: base_model_name_or_path") if adapter and adapter.base else None)
                  or card_base(folder) or card_base(state_path.parent)
                  or (config_base(load_mapping(config), folder) if config.is_file() and not adapter else None))
    kind = flags.kind or ("fine-tuning" if adapter or found_base else "pre-training")
    count = _token_count(state, state_path, config, flags, adapter is not None, imported.trace)
    if flags.seq_len is None:
        raise InputError("the sequence length is in training_args.bin, a pickle flopcount never reads; "
                         "pass --seq-len", source=str(folder), field="--seq-len")
    length, steps = parse_count(flags.seq_len, "--seq-len"), state["global_step"]
    phase: dict[str, Any] = {"name": "training", "kind": kind}
    if adapter is not None:
        phase["trainable"] = {"lora": {"rank": adapter.rank, "targets": list(adapter.targets)}}
    if steps and count % (steps * length) == 0:  # whole sequences per step: keep the step count
        phase.update(steps=steps, batch_size=count // (steps * length))
        imported.trace["phases[0].steps"] = f"{state_path.name}: global_step"
        imported.trace["phases[0].batch_size"] = "tokens / (global_step × --seq-len): sequences per step"
    else:
        phase["tokens"] = count
    imported.trace["seq_len"] = "--seq-len"
    imported.trace["model.config"] = str(config)
    _dates(phase, state, state_path, imported.trace)
    imported.plan = {"flopcount_plan": 1, "name": folder.resolve().name,
                     "model": {"config": str(config.resolve())}, "seq_len": length, "phases": [phase]}
    if found_base and kind != "pre-training":
        name, where = found_base
        imported.plan["base_model"], compute_note = base_entry(name)
        imported.trace["base_model.name"] = where
        imported.notes.insert(0, f"{where} names the base model {name}: the run fine-tuned it, a modification "
                                 "(Guidelines §3.2: the one-third rule decides who the provider is); "
                                 f"{compute_note}. If it only took {name}'s configuration and trained from "
                                 "scratch, pass --kind pre-training")
    _flos_note(state.get("total_flos"), imported, folder, adapter is not None)
    return imported
