"""MaxText run configs (YAML: `model_name`, `steps`, `per_device_batch_size`,
`max_target_length`) → a run plan.

The architecture is the run config's own `base_*` keys, else MaxText's model file
`models/<model_name>.yml` found where MaxText keeps it (a `models/` folder beside the config
or above it) or given with `--base-config`; keys neither sets take base.yml's values
(`data.recipes.MAXTEXT_DEFAULTS`). Global batch = int(devices × per_device_batch_size) ×
gradient_accumulation_steps, as MaxText computes it (pyconfig `calculate_global_batch_sizes`);
MaxText takes the device count from the machine, so it is `--gpus`.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..data.recipes import MAXTEXT_BLOCKS, MAXTEXT_DEFAULTS, MAXTEXT_SOURCE
from ..errors import InputError
from ..fields import load_mapping
from ..numbers import parse_positive
from . import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "MaxText"
MODEL_KEYS = ("base_emb_dim", "base_num_query_heads", "base_num_kv_heads", "base_mlp_dim", "base_moe_mlp_dim",
              "base_num_decoder_layers", "head_dim", "vocab_size", "logits_via_embedding", "num_experts",
              "num_experts_per_tok", "mlp_activations", "decoder_block")
SEARCH_UP = 3  # folders above the run config searched for models/<model_name>.yml


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    return data is not None and ("per_device_batch_size" in data or "base_emb_dim" in data
                                 or ("model_name" in data and "base_config" in data))


def _model_file(path: Path, name: str, flags: Flags) -> Path:
    if flags.base_config:
        return Path(flags.base_config)
    for folder in [path.parent, *list(path.parents)[:SEARCH_UP]]:
        candidate = folder / "models" / f"{name}.yml"
        if candidate.is_file():
            return candidate
    raise InputError(f"model_name {name!r}: no models/{name}.yml beside or above the config (MaxText's "
                     "src/maxtext/configs/models/); pass --base-config MODEL.yml", source=str(path),
                     field="model_name")


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    run = load_mapping(path)
    merged, model_source = dict(run), None
    if "base_emb_dim" not in run:
        if "model_name" not in run or run["model_name"] == "default":
            raise InputError("no model: set model_name (a MaxText model file) or the base_* keys",
                             source=str(path), field="model_name")
        model_source = _model_file(path, str(run["model_name"]), flags)
        merged = {**load_mapping(model_source), **run}  # the run config overrides the model file, as in MaxText
    r = Recipe(merged, str(path), FRAMEWORK)
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
    d, heads = r.count("base_emb_dim"), r.count("base_num_query_heads")
    spec = {"model_type": MAXTEXT_BLOCKS[block], "hidden_size": d, "num_hidden_layers": r.count("base_num_decoder_layers"),
            "num_attention_heads": heads, "num_key_value_heads": r.count("base_num_kv_heads", heads),
            "head_dim": r.count("head_dim", MAXTEXT_DEFAULTS["head_dim"]),
            "vocab_size": r.count("vocab_size", MAXTEXT_DEFAULTS["vocab_size"]),
            "tie_word_embeddings": r.flag("logits_via_embedding", False),
            "intermediate_size": r.count("base_mlp_dim")}
    experts = r.count("num_experts", 1)
    if (experts > 1) != (block == "mixtral"):
        raise r.error("num_experts", f"{experts} experts with decoder_block {block!r} is not mapped")
    if experts > 1:
        spec.update(num_local_experts=experts, num_experts_per_tok=r.count("num_experts_per_tok"),
                    intermediate_size=r.count("base_moe_mlp_dim", spec["intermediate_size"]))
    if not r.has("steps") or r.raw("steps") == -1:
        raise r.missing("step count", "steps")
    steps, seq = r.count("steps"), r.count("max_target_length", MAXTEXT_DEFAULTS["max_target_length"])
    per_device = Fraction(str(parse_positive(r.raw("per_device_batch_size", 12.0), "per_device_batch_size",
                                             str(path))))
    gpus = flags.count("gpus")
    if gpus is None:
        raise InputError("MaxText sizes the batch per device and takes the device count from the machine: pass "
                         "--gpus N (devices, TPU chips or GPUs)", source=str(path), field="--gpus")
    accumulation = r.count("gradient_accumulation_steps", 1)
    batch = int(gpus * per_device) * accumulation
    if batch == 0:
        raise r.error("per_device_batch_size", f"{per_device} × {gpus} devices is less than one sequence")
    r.to("phases[0].steps", "steps")
    r.to("phases[0].batch_size", "int(--gpus × per_device_batch_size)", "gradient_accumulation_steps")
    r.to("seq_len", "max_target_length" if r.has("max_target_length") else "base.yml max_target_length")
    r.to("model.spec", (f"{model_source} (model_name {run['model_name']})" if model_source else "base_* keys")
         + f", base.yml defaults ({MAXTEXT_SOURCE})")
    notes = [f"global batch {batch:,} sequences × {seq:,} tokens × {steps:,} steps"]
    if gpus * per_device != int(gpus * per_device):
        notes.append(f"{gpus} × {per_device} is not whole; MaxText truncates it to {int(gpus * per_device)}")
    if str(r.raw("remat_policy", "full")) != "none":
        notes.append(f"rematerialisation (remat_policy {r.raw('remat_policy', 'full')}) re-runs forward work on the "
                     "hardware; flopcount counts each forward once (model FLOP)")
    name = str(run.get("model_name") or path.stem)
    phase = {"name": "training", "kind": flags.kind or "pre-training", "steps": steps, "batch_size": batch}
    return r.imported(path.stem, {"name": name, "spec": spec}, seq, [phase], notes)
