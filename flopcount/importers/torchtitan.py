"""torchtitan TOML job configs (the v0.2.x format: `[model] name/flavor`, `[training]`,
`[parallelism]`) → a run plan.

Tokens = steps × global batch × seq_len, where the global batch is `global_batch_size`, or
`local_batch_size` × the data-parallel degree (replicate × shard; a shard degree of -1 takes
the devices left after tensor, pipeline and context parallelism, so `--gpus` is needed).
The flavour becomes an architecture through `data.recipes.TORCHTITAN_FLAVORS`. Activation
checkpointing re-runs forward work on the hardware; flopcount counts the model's FLOP
(each forward once), as torchtitan's MFU does, and says so in a note.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from ..data.recipes import TORCHTITAN_DEFAULTS, TORCHTITAN_FLAVORS, TORCHTITAN_SOURCE
from ..boundary.errors import InputError
from .base import Imported
from .recipe import Flags, Recipe

FRAMEWORK = "torchtitan"


def load(path: Path) -> dict:
    """A TOML file, parsed by the standard library (duplicate keys are an error in TOML)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file ({exc.__class__.__name__})", source=str(path)) from None


def sniff(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".toml"


def _default(r: Recipe, key: str):
    """The recipe's value, else torchtitan's JobConfig default."""
    return r.raw(key, TORCHTITAN_DEFAULTS[key])


def _degree(r: Recipe, key: str) -> int:
    value = _default(r, key)
    if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1):
        raise r.error(key, f"must be a positive whole number or -1, got {value!r}")
    return value


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = Recipe(load(path), str(path), FRAMEWORK)
    if not (r.has("model.name") and r.has("model.flavor")):
        raise InputError("not a torchtitan job config: no [model] name and flavor", source=str(path),
                         field="model.flavor")
    name, flavor = r.text("model.name"), r.text("model.flavor")
    spec = TORCHTITAN_FLAVORS.get((name, flavor))
    if spec is None:
        known = ", ".join(f"{n} {f}" for n, f in TORCHTITAN_FLAVORS)
        raise r.error("model.flavor", f"{name} {flavor!r} is not in flopcount's torchtitan flavour table "
                      f"({known}); convert its model args to a config.json and use a run plan")
    return job(r, path, flags, dict(spec), f"model.name + model.flavor ({TORCHTITAN_SOURCE})")


def job(r: Recipe, path: Path, flags: Flags, spec: dict, spec_origin: str) -> Imported:
    """A torchtitan job (TOML, or a Python recipe read as literals) whose model is `spec`:
    steps × global batch × seq_len."""
    name, flavor = r.text("model.name"), r.text("model.flavor")
    if not r.has("training.steps"):
        raise r.missing("step count", "[training] steps")
    steps = r.count("training.steps")
    seq_len = r.count("training.seq_len", TORCHTITAN_DEFAULTS["training.seq_len"])
    local = r.count("training.local_batch_size", TORCHTITAN_DEFAULTS["training.local_batch_size"])
    degrees = {k: _degree(r, f"parallelism.{k}_degree") for k in
               ("data_parallel_replicate", "data_parallel_shard", "tensor_parallel", "pipeline_parallel",
                "context_parallel")}
    gpus = flags.count("gpus")
    shard = degrees["data_parallel_shard"]
    others = degrees["data_parallel_replicate"] * degrees["tensor_parallel"] * degrees["pipeline_parallel"] \
        * degrees["context_parallel"]
    if shard == -1:
        if gpus is None:
            raise InputError("parallelism.data_parallel_shard_degree is -1 (all devices left after the other "
                             "degrees), so the global batch depends on the device count: pass --gpus N",
                             source=r.source, field="--gpus")
        if gpus % others:
            raise InputError(f"--gpus {gpus} is not a multiple of replicate × tensor × pipeline × context "
                             f"parallel degrees = {others}", source=r.source, field="--gpus")
        shard = gpus // others
    elif gpus is not None and gpus != shard * others:
        raise InputError(f"--gpus {gpus} contradicts the recipe's degrees (their product is {shard * others})",
                         source=r.source, field="--gpus")
    dp = degrees["data_parallel_replicate"] * shard
    global_batch = _default(r, "training.global_batch_size")
    if global_batch in (-1, None):
        global_batch = local * dp
        r.to("phases[0].batch_size", "training.local_batch_size", "data-parallel degree (replicate × shard)")
    else:
        global_batch = r.count("training.global_batch_size")
        if global_batch % (local * dp):
            raise r.error("training.global_batch_size",
                          f"{global_batch} is not a multiple of local_batch_size {local} × data-parallel degree "
                          f"{dp} (torchtitan refuses this too)")
        r.to("phases[0].batch_size", "training.global_batch_size")
    r.to("phases[0].steps", "training.steps")
    r.to("seq_len", "training.seq_len" if r.has("training.seq_len") else "torchtitan default seq_len")
    r.to("model.spec", spec_origin)
    notes = [f"{name} {flavor}: global batch {global_batch:,} sequences × {seq_len:,} tokens × {steps:,} steps"
             f" (data-parallel degree {dp})"]
    mode = _default(r, "activation_checkpoint.mode")
    if mode not in ("none", None):
        notes.append(f"activation checkpointing ({mode}) re-runs forward work on the hardware; flopcount counts "
                     "each forward once (model FLOP, as torchtitan's MFU does), so hardware-measured FLOP are higher")
    phase = {"name": "training", "kind": flags.kind or "pre-training", "steps": steps, "batch_size": global_batch}
    return r.imported(path.stem, {"name": f"{name}-{flavor}", "spec": dict(spec)}, seq_len, [phase], notes)
