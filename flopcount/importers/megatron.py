"""Megatron-LM arguments → a run plan.

Two saved forms are read, never executed:
- a launch script or argument list (`--num-layers 32 --hidden-size 4096 ...`, as in
  Megatron's `examples/*.sh`): split like a shell would (shlex), with `$NAME` / `${NAME}`
  replaced only from literal `NAME=value` lines of the same file, or from `NAME=${NAME:-value}`
  defaults (named in a note: the environment may have overridden them); a script whose
  quoting spans lines (heredocs) is split line by line;
- the `arguments` block Megatron prints at start-up (`  num_layers ........ 32`), which is
  in every training log and holds every value after Megatron filled its defaults;
- a functional-test `model_config.yaml` (Megatron-LM `tests/functional_tests/test_cases/`):
  its `MODEL_ARGS:` mapping of flags to values (`--num-layers: 12`, `--bf16: true`; a flag
  set to `false` is not passed), read as the same arguments; `ENV_VARS` are not read.

The model becomes a config.json mapping of the family it matches (GPT-2 style for plain
GELU MLPs with learned positions, Llama for SwiGLU, Mixtral for SwiGLU MoE on every layer,
DeepSeek V3 for multi-latent attention with MoE after leading dense layers and shared
experts; `--moe-layer-freq` list expressions are parsed, never evaluated),
with Megatron's own defaults where a flag is absent (ffn width, kv_channels, tied output
layer, biases on). Tokens = train-iters × global-batch-size × seq-length, or train-samples ×
seq-length. A run that stops on a wall-clock limit (`--exit-duration-in-mins`, as NVIDIA's
benchmark scripts set) trains at most that: the phase is an upper bound (`upper_bound`), so a
verdict over a line reads "at most", never "crossed". `--exit-interval N` stops a run from
scratch at iteration N (resumed, at the next multiple of N). The vocabulary comes from the tokenizer, not the arguments, so it is
`--vocab-size` unless the arguments hold one; it is padded as Megatron pads it.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Mapping

from ..data.recipes import MEGATRON_SOURCE
from ..boundary.errors import InputError
from .base import Imported
from ..boundary.fields import load_mapping
# The model from the arguments, and the argument reader, live in megatron_model.
from .megatron_model import FREQ_TERM, _Args, _deepseek, _layer_pattern, _model, _padded_vocab  # noqa: F401
from .recipe import Flags, run_plan, yaml_mapping

FRAMEWORK = "Megatron-LM"
ARGS_BLOCK = re.compile(r"^-+ arguments -+$(.*?)^-+ end of arguments -+$", re.M | re.S)
ARGS_LINE = re.compile(r"^\s*(\w+) \.+ (.*?)\s*$")
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=([^\s$`()]+)\s*(?:#.*)?$", re.M)
VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")
#: `GBS=${GBS:-2048}`: the script's own default, used unless the environment sets the variable
DEFAULTED = re.compile(r'^\s*(?:export\s+)?([A-Za-z_]\w*)=\$\{(\1):-"?([^\s$`()"}]+)"?\}\s*(?:#.*)?$', re.M)
MAX_BYTES = 4 << 20


def _text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def sniff(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() in (".json", ".yaml", ".yml", ".toml"):
        return False
    text = _text(path)
    return text is not None and (bool(ARGS_BLOCK.search(text)) or
                                 ("--num-layers" in text and "--hidden-size" in text))


def _model_args(path: Path) -> dict | None:
    """The MODEL_ARGS mapping of a functional-test YAML (None: not one)."""
    data = yaml_mapping(path)
    args = data.get("MODEL_ARGS") if data else None
    if not isinstance(args, dict) or not args or not all(str(k).startswith("--") for k in args):
        return None
    return args


def sniff_functional(path: Path) -> bool:
    return _model_args(path) is not None


def import_functional(path: Path, flags: Flags = Flags()) -> Imported:
    """A functional-test model_config.yaml: MODEL_ARGS read as the launch flags they become."""
    load_mapping(path)  # a malformed file is named as such
    args = _model_args(path) or {}
    data = {str(k)[2:].replace("-", "_"): v for k, v in args.items() if v is not False}
    return read_args(path, data, {}, flags)


def _value(text: str) -> Any:
    """A logged value: None/True/False, else the text (numbers are parsed where read)."""
    return {"None": None, "True": True, "False": False}.get(text, text)


def parse_log(text: str) -> dict[str, Any]:
    block = ARGS_BLOCK.search(text)
    assert block is not None
    out: dict[str, Any] = {}
    for line in block.group(1).splitlines():
        match = ARGS_LINE.match(line)
        if match:
            out[match.group(1)] = _value(match.group(2))
    return out


def parse_script(text: str, source: str) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """`--flag value` / `--switch` pairs of a launch script, later occurrences winning (as
    argparse does), and for each flag the `${VAR:-default}` defaults its tokens took. Values
    that still hold a shell expansion are kept as text and refused only if a key flopcount
    needs is one of them."""
    defaults = {name: value for name, _, value in DEFAULTED.findall(text)}
    literal = {name: value.strip("'\"") for name, value in ASSIGNMENT.findall(text)}  # quotes as the shell drops them
    variables = {**defaults, **literal}
    text = "\n".join(line for line in text.replace("\\\n", " ").splitlines() if not DEFAULTED.match(line))
    try:
        words = shlex.split(text, comments=True)
    except ValueError:  # quoting spans lines (a heredoc, a multi-line string): split line by line
        words = []
        for line in text.splitlines():
            try:
                words += shlex.split(line, comments=True)
            except ValueError:
                continue  # a line inside a quoted block; Megatron flags are whole lines
        if not words:
            raise InputError("cannot split the arguments as a shell would", source=source) from None
    tokens: list[tuple[str, dict[str, str]]] = []   # (word after substitution, the script defaults it took)
    for word in words:
        took = {m.group(1): defaults[m.group(1)] for m in VARIABLE.finditer(word)
                if m.group(1) in defaults and m.group(1) not in literal}
        word = VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), word)
        # a quoted "--fp8-format hybrid" array element is a flag and its value
        tokens += [(part, took) for part in (word.split(None, 1) if word.startswith("--") and " " in word else [word])]
    out: dict[str, Any] = {}
    fed: dict[str, dict[str, str]] = {}
    for i, (token, took) in enumerate(tokens):
        if not token.startswith("--") or len(token) < 3:
            continue
        name, _, inline = token[2:].partition("=")
        following, its = tokens[i + 1] if i + 1 < len(tokens) else (None, {})
        if inline:
            value: Any = inline
        elif following is None or following.startswith("--") or following in (")", "\\"):
            value, its = True, {}
        else:
            value = following
        out[name.replace("-", "_")] = value
        fed[name.replace("-", "_")] = {**took, **its}
    return out, fed


def _world(r: _Args, flags: Flags) -> int | None:
    """Devices: --gpus, else world_size (logged), else torchrun's nproc_per_node × nnodes;
    None when not stated or left to a shell expansion only the cluster knows."""
    gpus = flags.count("gpus")
    if gpus is not None:
        return gpus
    keys = ("world_size",) if r.has("world_size") else ("nproc_per_node", "nnodes")
    values = [r.raw(k, None) for k in keys]
    if any(v is None or (isinstance(v, str) and "$" in v) for v in values):
        return None
    world = 1
    for key in keys:
        world *= r.count(key)
    return world


def _early_exit(r: _Args, phase: dict, batch: int, seq: int, world: int | None, notes: list[str]) -> None:
    """`--exit-interval N` caps the iterations (from scratch: N); `--exit-duration-in-mins M`
    stops the run after M minutes wherever it is, so the length read is only a maximum."""
    interval = r.number("exit_interval")
    if interval:
        iterations = phase.get("steps")
        if iterations is None:  # train-samples: iterations of the global batch
            iterations = -(-phase["tokens"] // seq // batch)
        if interval < iterations:
            phase.pop("tokens", None)
            phase.update(steps=interval, batch_size=batch)
            r.to("phases[0].steps", "exit_interval")
            r.to("phases[0].batch_size", "global_batch_size")
            notes.append(f"--exit-interval {interval}: the run stops at iteration {interval:,} of {iterations:,} "
                         "(from scratch; resumed from a checkpoint it stops at the next multiple, and the "
                         "model's total is the iterations up to there)")
    minutes = r.get("exit_duration_in_mins")
    if minutes not in (None, False):
        limit = r.count("exit_duration_in_mins")
        phase["upper_bound"] = True
        r.to("phases[0].upper_bound", "exit_duration_in_mins")
        devices = f" on {world} devices ({world * limit / 60:,.2f} device-hours)" if world else ""
        notes.append(f"--exit-duration-in-mins {limit}: the run stops after {limit:,} minutes{devices} wherever it "
                     "has got to, so the run length read is an upper bound (the verdict reads 'at most'); give the "
                     "tokens it trained (--tokens: iterations logged × global batch × seq length) for the count")


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    text = _text(path) or ""
    data, fed = (parse_log(text), {}) if ARGS_BLOCK.search(text) else parse_script(text, str(path))
    return read_args(path, data, fed, flags)


def read_args(path: Path, data: dict[str, Any], fed: dict[str, dict[str, str]], flags: Flags,
              framework: str = FRAMEWORK, ignored_note: bool = True,
              names: Mapping[str, str] | None = None) -> Imported:
    """Megatron arguments (underscore names) → the import; `fed`: the script defaults each
    argument took. Other formats that map onto these arguments (functional-test YAML, NeMo
    1.x) call this with their own `framework` name, and may give their own ignored-keys note
    and `names`: the key each argument has in their file, so that an error names it so."""
    r = _Args(data, str(path), framework, names)
    for key in ("num_layers", "hidden_size", "num_attention_heads"):
        if not r.has(key):
            raise r.missing(f"--{key.replace('_', '-')}", f"--{key.replace('_', '-')} N")
    if not r.has("seq_length"):
        raise r.missing("sequence length", "--seq-length")
    model = _model(r, flags)
    seq = r.count("seq_length")
    _no_ramp(r)
    tp, pp, cp = (r.number(k) for k in ("tensor_model_parallel_size", "pipeline_model_parallel_size",
                                        "context_parallel_size"))
    world = _world(r, flags)
    batch = _batch(r, path, world, tp * pp * cp)
    phase = _phase(r, flags, batch, seq)
    notes: list[str] = []
    if flags.tokens is None:
        _early_exit(r, phase, batch, seq, world, notes)
    r.to("seq_length", "seq_length")
    r.to("model.spec", f"num_layers, hidden_size, ffn_hidden_size, heads, groups, kv_channels, swiglu, experts, "
         f"MLA ranks and tying, with Megatron's defaults ({MEGATRON_SOURCE})")
    notes += _notes(r, fed, world, tp, pp, cp)
    name = path.parent.name if path.stem == "model_config" else path.stem
    if not ignored_note:
        return Imported(plan=run_plan(name, {"name": name, "spec": model}, seq, phase), trace=r.trace, notes=notes)
    return r.imported(name, {"name": name, "spec": model}, seq, [phase], notes)


def _no_ramp(r: _Args) -> None:
    """A batch-size ramp-up (or a schedule given with a fixed batch) is refused by name."""
    if r.get("step_batch_size_schedule") not in (None, False) and r.has("global_batch_size"):
        raise r.error("step_batch_size_schedule", "given with --global-batch-size; Megatron refuses the two together "
                      "(megatron/training/arguments.py: 'Cannot specify both'), so this recipe does not run as written")
    for ramp in ("step_batch_size_schedule", "rampup_batch_size"):
        if r.get(ramp) not in (None, False):
            raise r.error(ramp, "batch-size ramp-up is not modelled: pass the run's --tokens to `flopcount estimate` "
                          "with the model instead")


def _batch(r: _Args, path: Path, world: int | None, model_parallel: int) -> int:
    """The global batch: --global-batch-size (checked against the devices, as Megatron
    checks it), else micro-batch × data-parallel size."""
    micro = r.number("micro_batch_size")
    if r.has("global_batch_size"):
        batch = r.count("global_batch_size")
        r.to("phases[0].batch_size", "global_batch_size")
        if world is not None:
            if world % model_parallel:
                raise InputError(f"{world} devices is not a multiple of tensor × pipeline × context parallel "
                                 f"= {model_parallel}", source=str(path), field="--gpus")
            if micro is not None and batch % (micro * (world // model_parallel)):
                raise r.error("global_batch_size", f"{batch} is not a multiple of micro-batch-size {micro} × "
                              f"data-parallel size {world // model_parallel} (Megatron refuses this too)")
        return batch
    if world is not None and micro is not None:
        r.to("phases[0].batch_size", "micro_batch_size", "data-parallel size (devices / (tp × pp × cp))")
        return micro * (world // model_parallel)
    raise r.missing("global batch size", "--global-batch-size", "--gpus N (the batch is micro × data-parallel)")


def _phase(r: _Args, flags: Flags, batch: int, seq: int) -> dict[str, Any]:
    """The one training phase: --tokens given, else train-iters × batch, else train-samples × seq."""
    phase: dict[str, Any] = {"name": "training", "kind": flags.kind or "pre-training"}
    if flags.tokens is not None:  # the tokens the run trained (its log), exact
        phase["tokens"] = flags.count("tokens")
        r.trace.pop("phases[0].batch_size", None)
        r.to("phases[0].tokens", "--tokens")
    elif r.has("train_iters"):
        phase.update(steps=r.count("train_iters"), batch_size=batch)
        r.to("phases[0].steps", "train_iters")
    elif r.has("train_samples"):
        phase["tokens"] = r.count("train_samples") * seq
        r.trace.pop("phases[0].batch_size", None)
        r.to("phases[0].tokens", "train_samples", "seq_length")
    else:
        raise r.missing("run length", "--train-iters or --train-samples")
    return phase


def _notes(r: _Args, fed: dict[str, dict[str, str]], world: int | None, tp: int, pp: int, cp: int) -> list[str]:
    """Script defaults that fed a setting flopcount read, recomputation, and the device split."""
    notes: list[str] = []
    defaults = {var: value for key in sorted(r.read) for var, value in fed.get(key, {}).items()}
    if defaults:  # only those that fed a setting flopcount read
        notes.append("the script's own defaults were used (the environment may have overridden them): "
                     + ", ".join(f"{k}={v}" for k, v in defaults.items()))
    recompute = r.get("recompute_granularity")
    if recompute not in (None, False):
        notes.append(f"activation recomputation ({recompute}) re-runs forward work on the hardware; flopcount counts "
                     "each forward once (model FLOP, as Megatron's num_floating_point_operations does)")
    if world is not None:
        notes.append(f"{world} devices (tensor {tp} × pipeline {pp} × context {cp} × data "
                     f"{world // (tp * pp * cp)})")
    return notes
