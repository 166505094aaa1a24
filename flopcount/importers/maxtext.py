"""MaxText run configs (YAML: `model_name`, `steps`, `per_device_batch_size`,
`max_target_length`) and launch scripts → a run plan.

A launch script (`python3 -m MaxText.train MaxText/configs/base.yml key=value …`, or
`MaxText/train.py`, as MaxText's own `configs/<chip>/*.sh` are written) is read as text, never
run: its launch line is split as a shell would (shlex), `$NAME` / `${NAME}` replaced only from
literal `NAME=value` lines of the same script (named in a note: the command line or
environment may override them), and the `key=value` overrides are laid over the YAML the line
names (`base.yml`: its defaults, `data.recipes.MAXTEXT_DEFAULTS`) as MaxText's pyconfig lays
them; a word after the YAML that is not `key=value` while overrides follow it (`key: value`)
is refused, as MaxText refuses it, never read as the end of the line. Without `--gpus`, the
device count is the product of the mesh axes (`ici_*_parallelism` × `dcn_*_parallelism`) when
the script fixes every one base.yml leaves to auto-sharding (-1); else it is asked for.

The architecture is the run config's own `base_*` keys, else MaxText's model file
`models/<model_name>.yml` found where MaxText keeps it (a `models/` folder beside the config
or up to three folders above it) or given with `--base-config`; without a model_name,
MaxText's default model (base.yml's `base_*` keys, `data.recipes.MAXTEXT_DEFAULT_MODEL`); keys
none sets take base.yml's values (`data.recipes.MAXTEXT_DEFAULTS`). `global_parameter_scale`
(a power of two) scales widths, heads and layers as MaxText's `get_individual_scales` does.
Global batch = int(devices × per_device_batch_size) × gradient_accumulation_steps, as MaxText
computes it (pyconfig `calculate_global_batch_sizes`); MaxText takes the device count from the
machine, so it is `--gpus`.
"""
from __future__ import annotations

import itertools
import re
import shlex
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from ..data.recipes import MAXTEXT_BLOCKS, MAXTEXT_DEFAULT_MODEL, MAXTEXT_DEFAULTS, MAXTEXT_SOURCE
from ..boundary.errors import InputError
from ..boundary.fields import _MISSING, load_mapping
from ..boundary.numbers import parse_count, parse_positive
from .base import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "MaxText"
MODEL_KEYS = ("base_emb_dim", "base_num_query_heads", "base_num_kv_heads", "base_mlp_dim", "base_moe_mlp_dim",
              "base_num_decoder_layers", "head_dim", "vocab_size", "logits_via_embedding", "num_experts",
              "num_experts_per_tok", "mlp_activations", "decoder_block")
SEARCH_UP = 3  # folders above the run config searched for models/<model_name>.yml


#: a MaxText training entry point on a launch line (after the script's variables are
#: substituted): `-m MaxText.train`, `MaxText/train.py`, `src/MaxText/train.py`,
#: `-m maxtext.trainers.pre_train.train`
ENTRY = re.compile(r"^(?:src/)?(?:MaxText|maxtext)(?:[./]\w+)*?[./]train(?:\.py)?$")
MESH_AXIS = re.compile(r"^(?:ici|dcn)_\w+_parallelism$")
MAX_BYTES = 1 << 20


def _text(path: Path) -> str | None:
    try:
        if not path.is_file() or path.suffix.lower() in (".yaml", ".yml", ".json", ".toml", ".py") or \
                path.stat().st_size > MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


#: a word that ends a shell command (`;`, `&&`, `||`, a pipe, a redirection, a background `&`)
COMMAND_END = re.compile(r"^(?:;|&&?|\|\|?|\d*[<>].*)$")
OVERRIDE = re.compile(r"^[A-Za-z_]\w*=")


def launch(text: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """(config YAML named, key=value overrides, script variables used) of the first MaxText
    training launch line in a script; None when it has none."""
    from .megatron import ASSIGNMENT, VARIABLE
    variables = {name: value.strip("'\"") for name, value in ASSIGNMENT.findall(text)}
    for line in text.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue  # a line inside a quoted block (XLA flags); launch lines are whole
        used: dict[str, str] = {}

        def sub(m: re.Match) -> str:
            if m.group(1) in variables:
                used[m.group(1)] = variables[m.group(1)]
                return variables[m.group(1)]
            return m.group(0)
        words = [VARIABLE.sub(sub, w) for w in words]
        at = next((i for i, w in enumerate(words) if ENTRY.match(w)), None)
        if at is None or at + 1 >= len(words) or not words[at + 1].endswith((".yml", ".yaml")):
            continue
        overrides: dict[str, Any] = {}
        for n, word in enumerate(words[at + 2:], at + 2):
            key, eq, value = word.partition("=")
            if not eq or not re.fullmatch(r"[A-Za-z_]\w*", key):
                rest = list(itertools.takewhile(lambda w: not COMMAND_END.match(w), words[n:]))
                if not COMMAND_END.match(word) and any(OVERRIDE.match(w) for w in rest):
                    raise InputError(f"{word!r} on the launch line is not key=value, and {len(rest) - 1} more words "
                                     "follow it (MaxText reads every word after the config as key=value and "
                                     "refuses this one): correct the script", field=word)
                break  # the end of the command (`;`, `&&`, a redirection)
            try:  # typed as YAML types it (4 -> int, true -> bool); safe_load, never evaluated
                overrides[key] = value if "$" in value else yaml.safe_load(value) if value else ""
            except yaml.YAMLError:
                overrides[key] = value
        return words[at + 1], overrides, used
    return None


def sniff_script(path: Path) -> bool:
    text = _text(path)
    if text is None or not ("MaxText" in text or "maxtext" in text):
        return False
    try:
        return launch(text) is not None
    except InputError:
        return True  # a MaxText launch line with a malformed override: import_script names it


def _named_config(path: Path, named: str) -> dict:
    """The YAML a launch line names, found beside or above the script by the tail of its path
    (`MaxText/configs/v5p/x.yml` → `configs/v5p/x.yml` in an ancestor); base.yml is data."""
    if Path(named).name == "base.yml":
        return {}
    parts = Path(named).parts
    for folder in list(path.parents)[:SEARCH_UP + 1]:  # the script's folder, then SEARCH_UP above it
        for i in range(len(parts)):
            candidate = folder.joinpath(*parts[i:])
            if candidate.is_file():
                return load_mapping(candidate)
    raise InputError(f"the launch line names {named}, which is not beside or above the script; put MaxText's "
                     "file where the script expects it", source=str(path), field=named)


def import_script(path: Path, flags: Flags = Flags()) -> Imported:
    try:
        found = launch(_text(path) or "")
    except InputError as exc:
        raise InputError(exc.message, source=str(path), field=exc.field) from None
    if found is None:
        raise InputError("no MaxText launch line (MaxText.train CONFIG.yml key=value …)", source=str(path))
    named, overrides, used = found
    run = {**_named_config(path, named), **overrides}
    notes = [f"launch line: {named} with {len(overrides)} key=value overrides"]
    if used:
        notes.append("the script's own variables were used (the command line or environment may override them): "
                     + ", ".join(f"{k}={v}" for k, v in used.items()))
    return _import(path, run, flags, notes, launched=True)


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    return data is not None and ("per_device_batch_size" in data or "base_emb_dim" in data
                                 or ("model_name" in data and "base_config" in data))


def _model_file(path: Path, name: str, flags: Flags) -> Path:
    if flags.base_config:
        return Path(flags.base_config)
    for folder in list(path.parents)[:SEARCH_UP + 1]:  # the config's folder, then SEARCH_UP above it
        candidate = folder / "models" / f"{name}.yml"
        if candidate.is_file():
            return candidate
    raise InputError(f"model_name {name!r}: no models/{name}.yml beside or above the config (MaxText's "
                     "src/maxtext/configs/models/); pass --base-config MODEL.yml", source=str(path),
                     field="model_name")


class _Run(Recipe):
    """MaxText settings; a value still holding a shell expansion is named, not parsed."""

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        value = super().raw(name, default)
        if isinstance(value, str) and "$" in value:
            raise self.error(name, f"is a shell expansion ({value}) flopcount cannot resolve: substitute the value "
                             "in the script")
        return value


def _devices(r: Recipe, flags: Flags) -> tuple[int | None, str]:
    """--gpus, else the product of the mesh axes when none is left to auto-sharding (-1)."""
    gpus = flags.count("gpus")
    if gpus is not None:
        return gpus, "--gpus"
    axes = sorted({k for k in r.data if MESH_AXIS.match(k)} | {k for k in MAXTEXT_DEFAULTS if MESH_AXIS.match(k)})
    values = {k: r.raw(k, MAXTEXT_DEFAULTS.get(k, 1)) for k in axes}
    if any(str(v) == "-1" for v in values.values()):
        return None, ""
    product = 1
    for key in axes:
        product *= parse_count(values[key], key)
    set_ = [f"{k} {values[k]}" for k in axes if values[k] != 1]
    return int(product), " × ".join(set_) or "every mesh axis 1"


def _scales(r: Recipe) -> tuple[int, int, int, int]:
    """MaxText's get_individual_scales (configs/types.py at MAXTEXT_SOURCE): the powers of two
    global_parameter_scale multiplies emb_dim, heads (query and key/value), MLP widths and layers
    by, in turn (log2 = 3·base + rem: heads and MLP take base + (rem > 0), emb base + (rem > 1))."""
    scale = r.count("global_parameter_scale", 1)
    log2 = scale.bit_length() - 1
    if scale < 1 or 2**log2 != scale:
        raise r.error("global_parameter_scale", f"{scale} is not a power of two (MaxText refuses it)")
    base, rem = divmod(log2, 3)
    return base + int(rem > 1), base + int(rem > 0), base + int(rem > 0), base


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    return _import(path, load_mapping(path), flags, [])


def _with_model(path: Path, run: dict, flags: Flags, notes: list[str]) -> tuple[dict, Path | None, list[str]]:
    """The run's keys over its model's: the model file `model_name` names, or base.yml's own
    model when none is named (the run config overrides the model file, as in MaxText)."""
    if "base_emb_dim" in run:
        return dict(run), None, notes
    if run.get("model_name", "default") == "default":
        return {**MAXTEXT_DEFAULT_MODEL, **run}, None, notes + [
            "no model_name: MaxText's default model (base.yml's base_* keys)"]
    model_source = _model_file(path, str(run["model_name"]), flags)
    return {**load_mapping(model_source), **run}, model_source, notes


def _import(path: Path, run: dict, flags: Flags, notes: list[str], launched: bool = False) -> Imported:
    merged, model_source, notes = _with_model(path, run, flags, notes)
    r = _Run(merged, str(path), FRAMEWORK)
    if model_source is not None:
        r.read.add("model_name")
    get = {k: r.raw(k, MAXTEXT_DEFAULTS.get(k)) for k in MODEL_KEYS}
    block = get["decoder_block"]
    if block not in MAXTEXT_BLOCKS:
        raise r.error("decoder_block", f"{block!r} is not mapped yet ({', '.join(MAXTEXT_BLOCKS)} are); give the "
                      "model's config.json in a run plan")
    if list(get["mlp_activations"]) != ["silu", "linear"]:
        raise r.error("mlp_activations", f"{get['mlp_activations']!r}: only the SwiGLU pair ['silu', 'linear'] is "
                      "mapped")
    emb, head, mlp, layer = _scales(r)
    d, heads = 2**emb * r.count("base_emb_dim"), 2**head * r.count("base_num_query_heads")
    spec = {"model_type": MAXTEXT_BLOCKS[block], "hidden_size": d,
            "num_hidden_layers": 2**layer * r.count("base_num_decoder_layers"),
            "num_attention_heads": heads,
            "num_key_value_heads": 2**head * r.count("base_num_kv_heads") if r.has("base_num_kv_heads") else heads,
            "head_dim": r.count("head_dim", MAXTEXT_DEFAULTS["head_dim"]),
            "vocab_size": r.count("vocab_size", MAXTEXT_DEFAULTS["vocab_size"]),
            "tie_word_embeddings": r.flag("logits_via_embedding", False),
            "intermediate_size": 2**mlp * r.count("base_mlp_dim")}
    experts = r.count("num_experts", 1)
    if (experts > 1) != (block == "mixtral"):
        raise r.error("num_experts", f"{experts} experts with decoder_block {block!r} is not mapped")
    if experts > 1:
        spec.update(num_local_experts=experts, num_experts_per_tok=r.count("num_experts_per_tok"),
                    intermediate_size=2**mlp * r.count("base_moe_mlp_dim") if r.has("base_moe_mlp_dim")
                    else spec["intermediate_size"])
    if not r.has("steps") or r.raw("steps") == -1:
        raise r.missing("step count", "steps")
    steps, seq = r.count("steps"), r.count("max_target_length", MAXTEXT_DEFAULTS["max_target_length"])
    per_device = Fraction(str(parse_positive(r.raw("per_device_batch_size", MAXTEXT_DEFAULTS["per_device_batch_size"]), "per_device_batch_size",
                                             str(path))))
    gpus, devices_from = _devices(r, flags) if launched else (flags.count("gpus"), "--gpus")
    if gpus is None:
        raise InputError("MaxText sizes the batch per device and takes the device count from the machine: pass "
                         "--gpus N (devices, TPU chips or GPUs)", source=str(path), field="--gpus")
    gpus = int(gpus)
    accumulation = r.count("gradient_accumulation_steps", 1)
    batch = int(gpus * per_device) * accumulation
    if batch == 0:
        raise r.error("per_device_batch_size", f"{per_device} × {gpus} devices is less than one sequence")
    r.to("phases[0].steps", "steps")
    r.to("phases[0].batch_size", f"int(devices ({devices_from}) × per_device_batch_size)", "gradient_accumulation_steps")
    r.to("seq_len", "max_target_length" if r.has("max_target_length") else "base.yml max_target_length")
    r.to("model.spec", (f"{model_source} (model_name {run['model_name']})" if model_source else "base_* keys")
         + f", base.yml defaults ({MAXTEXT_SOURCE})")
    notes = notes + [f"global batch {batch:,} sequences × {seq:,} tokens × {steps:,} steps"]
    if gpus * per_device != int(gpus * per_device):
        notes.append(f"{gpus} × {per_device} is not whole; MaxText truncates it to {int(gpus * per_device)}")
    if str(r.raw("remat_policy", "full")) != "none":
        notes.append(f"rematerialisation (remat_policy {r.raw('remat_policy', 'full')}) re-runs forward work on the "
                     "hardware; flopcount counts each forward once (model FLOP)")
    name = str(run.get("model_name") or path.stem)
    phase = {"name": "training", "kind": flags.kind or "pre-training", "steps": steps, "batch_size": batch}
    if launched:
        r.read.update(k for k in r.data if MESH_AXIS.match(k))
    return r.imported(path.stem, {"name": name, "spec": spec}, seq, [phase], notes)
