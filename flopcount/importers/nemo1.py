"""NeMo 1.x Megatron GPT configs (Hydra YAML: `trainer:`, `model:`, `exp_manager:` blocks, as
NVIDIA/NeMo `examples/nlp/language_modeling/conf/megatron_*_config.yaml`) → a run plan.

The file is parsed with yaml.safe_load and never executed. `${...}` interpolations are
resolved strictly, and only in the values flopcount reads: `${model.x}` (absolute) and
`${.x}` / `${..x}` (relative to the node), followed to their values; a resolver call
(`${multiply:...}`, `${oc.env:...}`), a reference to a key that is not there, a cycle, or a
mandatory `???` left unset is one line naming the key and the interpolation.

The `model:` block is NeMo's spelling of Megatron's arguments and is read by the Megatron-LM
reader (`megatron.read_args`): NeMo's keys are mapped onto Megatron's names, with NeMo's own
defaults where a key is absent (`data.recipes.NEMO1_DEFAULTS`, cited). Tokens = trainer.max_steps
× model.global_batch_size × model.encoder_seq_length (NeMo: consumed samples = step × global
batch). `trainer.max_time` stops the run on a wall clock: the length read is then an upper bound.
"""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..data.recipes import NEMO1_DEFAULTS, NEMO1_SOURCE
from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from .base import Imported
from .megatron import read_args
from .recipe import Flags, Recipe, flatten, yaml_mapping

FRAMEWORK = "NeMo 1.x"
REFERENCE = re.compile(r"\$\{([^${}]*)\}")
MAX_DEPTH = 32
#: NeMo activation -> Megatron's (swiglu on or off); others are refused by name
ACTIVATIONS = {"gelu": False, "fast-gelu": False, "swiglu": True, "fast-swiglu": True}
#: Keys of NeMo's Mamba hybrid (examples/nlp/language_modeling/conf/megatron_mamba_config.yaml has
#: mamba_ssm_ngroups and hybrid_override_pattern; MegatronMambaModel also reads the two ratios)
MAMBA_KEYS = ("mamba_ssm_ngroups", "hybrid_override_pattern", "hybrid_attention_ratio", "hybrid_mlp_ratio")
#: Megatron argument <- the NeMo key read as it, where the value is taken as it is
NEMO_KEYS = (("num_layers", "model.num_layers"), ("hidden_size", "model.hidden_size"),
             ("num_attention_heads", "model.num_attention_heads"),
             ("ffn_hidden_size", "model.ffn_hidden_size"), ("kv_channels", "model.kv_channels"),
             ("seq_length", "model.encoder_seq_length"),
             ("max_position_embeddings", "model.max_position_embeddings"),
             ("global_batch_size", "model.global_batch_size"),
             ("micro_batch_size", "model.micro_batch_size"),
             ("tensor_model_parallel_size", "model.tensor_model_parallel_size"),
             ("pipeline_model_parallel_size", "model.pipeline_model_parallel_size"),
             ("make_vocab_size_divisible_by", "model.make_vocab_size_divisible_by"),
             ("position_embedding_type", "model.position_embedding_type"),
             ("recompute_granularity", "model.activations_checkpoint_granularity"))


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    if not data or not isinstance(data.get("trainer"), dict) or not isinstance(data.get("model"), dict):
        return False
    model = data["model"]
    return "num_layers" in model and "hidden_size" in model and "encoder_seq_length" in model


class _Hydra(Recipe):
    """NeMo settings as dotted keys; a value read is resolved strictly (see the module text)."""

    def __init__(self, data: dict, source: str):
        super().__init__(data, source, FRAMEWORK, NEMO1_DEFAULTS)
        self.tree = data

    def raw(self, name: str, default: Any = None) -> Any:
        value = super().raw(name, default)
        return self.resolve(name, value, ())

    def _lookup(self, name: str, ref: str, chain: tuple[str, ...], expr: str) -> Any:
        node: Any = self.tree
        for part in ref.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.error(name, f"${{{expr.strip()}}}: {ref} is not in the file, so the interpolation "
                                 "cannot be resolved")
            node = node[part]
        return self.resolve(ref, node, chain)

    def resolve(self, name: str, value: Any, chain: tuple[str, ...]) -> Any:
        if value == "???":
            raise self.error(name, "is ??? (mandatory, left for the command line): set it in the file")
        if not isinstance(value, str) or "${" not in value:
            return value
        if len(chain) > MAX_DEPTH or name in chain:
            raise self.error(name, f"interpolation cycle: {' -> '.join(chain + (name,))}")

        def target(expr: str) -> str:
            expr = expr.strip()
            if ":" in expr:
                raise self.error(name, f"${{{expr}}} calls a resolver ({expr.split(':')[0]}), which flopcount does "
                                 "not run: write the value in the file")
            if expr.startswith("."):  # relative: `.x` a sibling, `..x` the parent's, …
                up = len(expr) - len(expr.lstrip("."))
                base = name.split(".")[:-up] if up <= name.count(".") + 1 else None
                if base is None:
                    raise self.error(name, f"${{{expr}}} climbs above the file's top level")
                return ".".join(base + [expr.lstrip(".")])
            return expr
        whole = REFERENCE.fullmatch(value)
        if whole:
            return self._lookup(name, target(whole.group(1)), chain + (name,), whole.group(1))
        if not REFERENCE.search(value) or "${" in REFERENCE.sub("", value):
            raise self.error(name, f"{value!r}: a nested or unclosed interpolation flopcount does not resolve")
        return REFERENCE.sub(lambda m: str(self._lookup(name, target(m.group(1)), chain + (name,), m.group(1))), value)


def _minutes(r: _Hydra) -> Fraction | None:
    """trainer.max_time (Lightning: "DD:HH:MM:SS" or {days, hours, minutes, seconds}) in minutes."""
    value = r.raw("trainer.max_time", None)
    units = ("days", "hours", "minutes", "seconds")
    if value is None:  # the mapping form arrives flattened: trainer.max_time.hours, ...
        value = {k: r.raw(f"trainer.max_time.{k}") for k in units if r.raw(f"trainer.max_time.{k}", None) is not None}
    if value in (None, "", {}):
        return None
    if isinstance(value, dict):
        parts = [value.get(k, 0) for k in units]
    else:
        parts = str(value).split(":")
        if len(parts) != 4:
            raise r.error("trainer.max_time", f"{value!r} is not DD:HH:MM:SS")
    try:
        days, hours, mins, secs = (Fraction(str(p)) for p in parts)
    except (ValueError, ZeroDivisionError):
        raise r.error("trainer.max_time", f"{value!r} is not DD:HH:MM:SS") from None
    return days * 1440 + hours * 60 + mins + secs / 60


def _refuse(r: _Hydra, model: dict) -> str:
    """Refuse by name what is not mapped from a NeMo 1.x config; the activation read."""
    if any(k in model for k in ("encoder", "decoder")) or any(str(k).startswith("bert") for k in model):
        raise r.error("model", "an encoder-decoder or BERT config; flopcount maps NeMo 1.x GPT configs only")
    mamba = [k for k in MAMBA_KEYS if k in model]
    if mamba:  # present even when null: NeMo's megatron_mamba_config.yaml has hybrid_override_pattern: null
        raise r.error(f"model.{mamba[0]}", "a Mamba hybrid (NeMo's megatron_mamba config, Mamba-2 layers) is not "
                      "mapped from NeMo 1.x configs yet; give the model as a config.json in a run plan")
    if "kd_teacher_restore_from_path" in model:  # null in NeMo's own file: set on the command line
        raise r.error("model.kd_teacher_restore_from_path", "knowledge distillation: the teacher's forward pass on "
                      "every token is not mapped, and counting the student alone would understate the run; give the "
                      "run as a plan with a distillation-teacher phase")
    for key in ("model.num_moe_experts", "model.hyena"):
        if r.raw(key, None) not in (None, 0, 1, False):
            raise r.error(key, "is not mapped from NeMo 1.x configs yet; give the model as a config.json in a run plan")
    activation = str(r.raw("model.activation"))
    if activation not in ACTIVATIONS:
        raise r.error("model.activation", f"{activation!r} is not mapped ({', '.join(ACTIVATIONS)} are); give the "
                      "model as a config.json in a run plan")
    seq = r.raw("model.encoder_seq_length", None)
    data_seq = r.raw("model.data.seq_length", None)
    if seq is not None and data_seq is not None and str(seq) != str(data_seq):
        raise r.error("model.data.seq_length", f"{data_seq} differs from model.encoder_seq_length {seq}")
    return activation


def _arguments(r: _Hydra, flags: Flags, activation: str) -> tuple[dict[str, Any], dict[str, str]]:
    """NeMo's keys as Megatron's arguments, and for each argument the NeMo key it came from
    (`swiglu` always from model.activation, so a refusal over it names model.activation)."""
    args: dict[str, Any] = {}
    rename: dict[str, str] = {"swiglu": "model.activation"}   # Megatron argument -> the NeMo key it came from

    def put(megatron: str, nemo: str, value: Any) -> None:
        if value is not None:
            args[megatron] = value
            rename[megatron] = nemo
    for megatron, nemo in NEMO_KEYS:
        put(megatron, nemo, r.raw(nemo, None))
    put("swiglu", "model.activation", ACTIVATIONS[activation] or None)
    put("disable_bias_linear", "model.bias", True if not r.flag("model.bias") else None)
    put("untie_embeddings_and_output_weights", "model.share_embeddings_and_output_weights",
        True if not r.flag("model.share_embeddings_and_output_weights") else None)
    groups = r.raw("model.num_query_groups", None)
    if groups is not None and str(groups) != str(args.get("num_attention_heads")):
        put("group_query_attention", "model.num_query_groups", True)
        put("num_query_groups", "model.num_query_groups", groups)
    steps = r.raw("trainer.max_steps", None)
    if steps is None or str(steps) == "-1":
        raise r.missing("step count", "trainer.max_steps (NeMo's GPT pre-training stops on max_steps)")
    put("train_iters", "trainer.max_steps", steps)
    devices, nodes = r.raw("trainer.devices", None), r.raw("trainer.num_nodes", 1)
    if flags.gpus is None and isinstance(devices, int) and devices > 0 and isinstance(nodes, int) and nodes > 0:
        put("world_size", "trainer.devices × trainer.num_nodes", devices * nodes)
    return args, rename


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    data = load_mapping(path)
    r = _Hydra(data, str(path))
    args, rename = _arguments(r, flags, _refuse(r, data.get("model", {})))
    r.read.update(("model.data.seq_length", "model.mcore_gpt"))
    imported = read_args(path, args, {}, flags, framework=FRAMEWORK, ignored_note=False, names=rename)
    words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(rename, key=len, reverse=True))) + r")\b")
    trace = {field: words.sub(lambda m: rename[m.group(1)], origin) for field, origin in imported.trace.items()}
    trace["model.spec"] = (f"model.num_layers, hidden_size, ffn_hidden_size, num_attention_heads, num_query_groups, "
                           f"kv_channels, activation, bias, share_embeddings_and_output_weights, with NeMo's defaults "
                           f"({NEMO1_SOURCE})")
    notes = list(imported.notes)
    minutes = _minutes(r)
    if minutes is not None and flags.tokens is None:
        imported.plan["phases"][0]["upper_bound"] = True
        trace["phases[0].upper_bound"] = "trainer.max_time"
        notes.append(f"trainer.max_time: the run stops after {float(minutes):,.0f} minutes "
                     "wherever it has got to, so the run length read is an upper bound (the verdict reads 'at "
                     "most'); give the tokens it trained (--tokens) for the count")
    defaults = [f"{k} {v!r}" for k, v in NEMO1_DEFAULTS.items() if k not in r.data and k in r.read]
    if defaults:
        notes.append(f"NeMo's defaults for keys the file leaves out ({NEMO1_SOURCE}): " + ", ".join(defaults))
    ignored = r.ignored_note()
    return Imported(plan=imported.plan, trace=trace, notes=notes + ([ignored] if ignored else []))
