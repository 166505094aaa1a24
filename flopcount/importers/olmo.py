"""OLMo trainer YAML (allenai/OLMo `configs/`: OLMo 2 stage 1 and stage 2) → a run plan.

Read, never executed, through the project's safe YAML loader. Defaults and semantics are
the OLMo trainer's own, at the commit in `OLMO_SOURCE`:

- the model (`model.*`, `olmo/config.py` ModelConfig) becomes a config.json mapping of the
  structure `readers.decoders` counts: `olmo2` (RMSNorm after attention and MLP, RMSNorm
  on queries and keys: `attention_layer_norm`) or `llama` (no query/key norm); SwiGLU MLP of
  width mlp_hidden_size / 2 (`olmo/model.py` OLMoSequentialBlock: ff_proj is d_model →
  hidden, SwiGLU halves it, ff_out is hidden/2 → d_model), hidden = mlp_hidden_size or
  mlp_ratio × d_model; the embedding table and the untied head have `embedding_size` rows
  (the padded vocabulary), else `vocab_size`. What changes parameters or FLOP beyond that
  (biases, LayerNorm, other activations or block types, ALiBi, clipped or multi-query
  attention flags that contradict n_kv_heads) is refused by name;
- the run length (`olmo/train.py` Trainer.max_steps, fit): `max_duration` an int or a number
  of steps ("2e5"), tokens ("5e12T": ceil(tokens / tokens per batch) steps) or epochs ("1ep":
  the data's size, which the YAML does not hold: asked for). The loop stops at `stop_at`
  when given, else at max_steps + 10 (`fit`: `self.cfg.stop_at = self.max_steps + 10`), so
  that is the run's last step;
- tokens per step = `global_train_batch_size` × `model.max_sequence_length`;
- `load_path` (a checkpoint URL ending in `stepN` or `stepN-unsharded`) is where the run's
  weights start: `load_step` reads N so a suite can chain stage 2 onto stage 1 (OLMo 2's
  stage-2 runs start from stage 1's last checkpoint); the run plan itself counts only this
  run's own steps;
- checkpoints (`save_steps`): multiples of `save_interval` and `save_interval_unsharded`, the
  pre-training checkpoint at step 0 (saved unless `no_pre_train_checkpoint` or a
  `load_path`, scripts/train.py), and the last step (always saved at the end of `fit`).
  `save_interval_ephemeral` checkpoints are deleted as the next is written, so not counted.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from ..boundary.numbers import parse_count
from .base import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "OLMo"
OLMO_SOURCE = ("github.com/allenai/OLMo @ 59a53e3 (olmo/config.py ModelConfig and TrainConfig defaults, "
               "olmo/train.py Trainer.max_steps and fit, olmo/model.py OLMoSequentialBlock)")
#: OLMo's defaults for the keys read here (OLMO_SOURCE, olmo/config.py)
OLMO_DEFAULTS: dict[str, Any] = {
    "model.d_model": 768, "model.n_heads": 12, "model.n_kv_heads": None, "model.n_layers": 12,
    "model.mlp_ratio": 4, "model.mlp_hidden_size": None, "model.activation_type": "swiglu",
    "model.block_type": "sequential", "model.alibi": False, "model.rope": False,
    "model.multi_query_attention": None, "model.attention_layer_norm": False, "model.layer_norm_type": "default",
    "model.layer_norm_with_affine": True, "model.attention_layer_norm_with_affine": True,
    "model.max_sequence_length": 1024, "model.include_bias": True, "model.bias_for_layer_norm": None,
    "model.vocab_size": 50257, "model.embedding_size": 50304, "model.weight_tying": True,
    "model.norm_after": False, "save_interval": 1000, "save_interval_unsharded": None,
    "no_pre_train_checkpoint": False, "stop_at": None, "stop_after": None, "load_path": None,
}
#: the keys that make a YAML an OLMo trainer config (sniffing)
CORE = ("model", "max_duration", "global_train_batch_size")
STEP_IN_PATH = re.compile(r"(?:^|/)step(\d+)(?:-unsharded)?/?$")


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    return data is not None and all(k in data for k in CORE) and isinstance(data.get("model"), dict) \
        and "d_model" in data["model"]


class _OLMo(Recipe):
    def __init__(self, path: Path):
        super().__init__(load_mapping(path), str(path), FRAMEWORK, OLMO_DEFAULTS)

    def on(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def optional_count(self, name: str) -> int | None:
        return None if self.raw(name, None) is None else self.count(name, allow_zero=True)


def _refuse(r: _OLMo, name: str, what: str) -> InputError:
    return r.error(name, f"{what} is not mapped onto the olmo2/llama structure flopcount counts; give the model as a "
                   "config.json in a run plan")


def _model(r: _OLMo) -> tuple[dict, list[str]]:
    if r.raw("model.block_type") != "sequential":
        raise _refuse(r, "model.block_type", f"block_type {r.raw('model.block_type')!r} (sequential only)")
    if r.raw("model.activation_type") != "swiglu":
        raise _refuse(r, "model.activation_type", f"activation {r.raw('model.activation_type')!r} (swiglu only)")
    if r.on("model.alibi"):
        raise _refuse(r, "model.alibi", "ALiBi attention")
    if r.on("model.include_bias"):
        raise _refuse(r, "model.include_bias", "biased linear layers")
    if r.raw("model.layer_norm_type") != "rms" or not r.on("model.layer_norm_with_affine") \
            or r.raw("model.bias_for_layer_norm", None) not in (None, False):
        name = "model.layer_norm_type" if r.raw("model.layer_norm_type") != "rms" else \
            "model.layer_norm_with_affine" if not r.on("model.layer_norm_with_affine") else "model.bias_for_layer_norm"
        raise _refuse(r, name, "a norm other than RMSNorm with a weight and no bias")
    qk = r.on("model.attention_layer_norm")
    if qk and not r.on("model.attention_layer_norm_with_affine"):
        raise _refuse(r, "model.attention_layer_norm_with_affine", "a query/key norm without weights")
    if qk != r.on("model.norm_after"):
        raise _refuse(r, "model.norm_after", "norm_after without query/key norm (or the reverse)")
    hidden, heads, layers = r.count("model.d_model"), r.count("model.n_heads"), r.count("model.n_layers")
    if hidden % heads:
        raise r.error("model.n_heads", f"{heads} heads do not divide d_model {hidden}")
    kv = r.optional_count("model.n_kv_heads")
    if r.raw("model.multi_query_attention", None) is True:
        if kv not in (None, 1):
            raise r.error("model.multi_query_attention", f"contradicts n_kv_heads {kv}")
        kv = 1
    kv = heads if kv is None else kv
    if kv == 0 or heads % kv:
        raise r.error("model.n_kv_heads", f"{kv} key/value heads do not divide {heads} query heads")
    if r.raw("model.mlp_hidden_size", None) is not None:
        mlp, how = r.count("model.mlp_hidden_size"), "mlp_hidden_size"
    else:
        mlp, how = r.count("model.mlp_ratio") * hidden, "mlp_ratio × d_model"
    if mlp % 2:
        raise r.error("model.mlp_hidden_size", f"{mlp} is odd: SwiGLU halves it")
    vocab_key = "model.embedding_size" if r.raw("model.embedding_size", None) is not None else "model.vocab_size"
    vocab = r.count(vocab_key)
    if vocab_key == "model.embedding_size" and vocab < r.count("model.vocab_size"):
        raise r.error(vocab_key, f"{vocab:,} is below vocab_size {r.count('model.vocab_size'):,}")
    tied = r.on("model.weight_tying")
    seq = r.count("model.max_sequence_length")
    spec = {"model_type": "olmo2" if qk else "llama", "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kv, "intermediate_size": mlp // 2,
            "vocab_size": vocab, "tie_word_embeddings": tied, "attention_bias": False,
            "max_position_embeddings": seq}
    r.to("model.spec", "model.d_model, n_layers, n_heads, n_kv_heads, mlp_hidden_size/mlp_ratio, "
         f"embedding_size/vocab_size, weight_tying, attention_layer_norm, with OLMo's defaults ({OLMO_SOURCE})")
    r.read.update({"model.rope", "model.rope_theta", "model.clip_qkv", "model.rope_full_precision"})
    notes = [f"{layers} layers × d_model {hidden:,} × {heads} heads ({kv} key/value), SwiGLU MLP {mlp // 2:,} "
             f"({how} {mlp:,} halved), {'tied' if tied else 'untied'} embeddings of {vocab:,} rows "
             f"({vocab_key.split('.')[1]}), " + ("query/key RMSNorm (olmo2)" if qk else "no query/key norm (llama)"),
             f"{'rotary' if r.raw('model.rope') else 'no'} positions: no weights, no matmul FLOP"]
    return spec, notes


def _duration(r: _OLMo, tokens_per_step: int, flags: Flags, steps: int | None) -> tuple[int, str]:
    """The run's last step (olmo/train.py: stop_at, else max_steps + 10) and how it was read."""
    stop_at, stop_after = r.optional_count("stop_at"), r.optional_count("stop_after")
    if stop_after is not None:
        raise r.error("stop_after", "counts from the step a run resumes at, which the YAML does not hold: give "
                      "stop_at")
    text = r.raw("max_duration")
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise r.error("max_duration", f"must be steps, tokens (…T) or epochs (…ep), got {text!r}")
    given = steps if steps is not None else (
        -(-flags.count("tokens") // tokens_per_step) if flags.tokens is not None else None)
    if given is not None and flags.tokens is not None and flags.count("tokens") % tokens_per_step:
        raise InputError(f"--tokens {flags.count('tokens'):,} is not a whole number of {tokens_per_step:,}-token "
                         "steps", source=r.source, field="--tokens")
    how_given = "steps given" if steps is not None else "--tokens"
    if isinstance(text, str) and text.strip().endswith("ep"):
        if given is None:
            raise InputError(f"max_duration {text!r} is epochs of data.paths, whose token count the YAML does not "
                             "hold: pass --tokens (or give the run's steps)", source=r.source, field="max_duration")
        r.to("phases[0].steps", how_given)
        return given, f"{given:,} steps ({how_given}; max_duration {text!r} is epochs of data the YAML only names)"
    if isinstance(text, str) and text.strip().endswith("T"):
        tokens = int(parse_count(text.strip()[:-1], "max_duration", r.source))
        max_steps = math.ceil(tokens / tokens_per_step) if tokens else 0
        how = f"max_duration {text} = {tokens:,} tokens: ceil(/ {tokens_per_step:,}) = {max_steps:,} steps"
    else:
        max_steps = parse_count(text, "max_duration", r.source, allow_zero=True)
        how = f"max_duration {max_steps:,} steps"
    last = stop_at if stop_at is not None else max_steps + 10
    how += f"; the trainer stops at stop_at {stop_at:,}" if stop_at is not None else \
        "; no stop_at: the trainer stops at max_steps + 10 (olmo/train.py fit)"
    if given is not None and given != last:
        raise InputError(f"{given:,} steps ({how_given}) contradicts the {last:,} the config runs ({how})",
                         source=r.source, field="steps" if steps is not None else "--tokens")
    r.to("phases[0].steps", "stop_at" if stop_at is not None else "max_duration")
    return last, how


def load_step(path: Path) -> int | None:
    """The step of the checkpoint `load_path` names (…/stepN[-unsharded]), None without one."""
    r = _OLMo(path)
    value = r.raw("load_path", None)
    if value is None:
        return None
    match = STEP_IN_PATH.search(str(value))
    if match is None:
        raise r.error("load_path", f"{value!r} names no step (…/stepN or …/stepN-unsharded): give the run it "
                      "starts from and its step in the suite")
    return int(match.group(1))


def save_steps(path: Path, last: int) -> list[int]:
    """The steps the trainer keeps a checkpoint at (module docstring), ascending, up to `last`."""
    r = _OLMo(path)
    steps = {last}
    for key in ("save_interval", "save_interval_unsharded"):
        every = r.optional_count(key)
        if every:
            steps |= set(range(every, last + 1, every))
    if r.raw("load_path", None) is None and not r.on("no_pre_train_checkpoint"):
        steps.add(0)
    return sorted(steps)


def import_(path: Path, flags: Flags = Flags(), *, steps: int | None = None) -> Imported:
    """The plan of one OLMo run; `steps` (a suite's) is its last step where max_duration is epochs."""
    r = _OLMo(path)
    for key in CORE:
        if not r.has(key) and not any(k.startswith(key + ".") for k in r.data):
            raise r.missing(key, key)
    model, notes = _model(r)
    seq = r.count("model.max_sequence_length")
    r.to("seq_len", "model.max_sequence_length")
    if flags.seq_len is not None and flags.count("seq_len") != seq:
        raise InputError(f"--seq-len {flags.seq_len} contradicts model.max_sequence_length {seq}", source=str(path),
                         field="--seq-len")
    batch = r.count("global_train_batch_size")
    r.to("phases[0].batch_size", "global_train_batch_size")
    last, how = _duration(r, batch * seq, flags, steps)
    notes.insert(0, f"global batch {batch:,} sequences × {seq:,} tokens × {last:,} steps ({how})")
    start = load_step(path)
    if start is not None:
        notes.append(f"starts from the checkpoint at step {start:,} of another run (load_path "
                     f"{r.raw('load_path')}): this plan counts this run's own steps only; a suite chains the two")
    phase = {"name": r.text("run_name", path.stem) if r.has("run_name") else path.stem,
             "kind": flags.kind or ("continued-pre-training" if start is not None else "pre-training"),
             "steps": last, "batch_size": batch}
    # TrainConfig.time_limit (default 47.5 h, set or not) ends one job with a checkpoint; OLMo runs are
    # resumed from it (load_path) until max_duration, so the length read stays the run's (not an upper bound)
    time_limit = r.raw("time_limit", None)
    if time_limit is not None:
        notes.append(f"time_limit {time_limit} s ends each job early with a checkpoint (olmo/config.py TrainConfig); "
                     "the run is resumed from it to max_duration, which is what is counted: a run left unresumed "
                     "trained less (give --tokens)")
    r.read.update({"save_interval", "save_interval_unsharded", "save_interval_ephemeral", "no_pre_train_checkpoint",
                   "run_name"})
    return r.imported(path.stem, {"name": path.stem, "spec": model}, seq, [phase], notes)
