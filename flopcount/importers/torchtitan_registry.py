"""torchtitan's Python registries, read statically with `ast`: never imported, never run.

Two shapes are read, both as torchtitan writes them:
- a model flavour registry (`models/<model>/__init__.py`): a module-level dict of literal
  flavour names to a call of a known args class, `llama3_args = {"8B": TransformerModelArgs(
  dim=4096, ...)}` (v0.2.x) or `llama3_configs = {"8B": Llama3Model.Config(dim=4096, layer=...)}`
  (the Python config system, #2386);
- a training recipe registry (`models/<model>/config_registry.py`): module-level functions
  whose body is one `return Trainer.Config(model_spec=model_registry("8B"), training=
  TrainingConfig(...), parallelism=ParallelismConfig(...), ...)`.

Values are literals only: numbers, strings, True/False/None, dict/list/tuple literals, and
keyword arguments of a call to a known class (`data.recipes.TORCHTITAN_ARGS` and the nested
config classes below). Anything computed (a name, arithmetic, any other call) is kept as
`Computed` with its source text and refused by name when a count needs it, never evaluated.
One entry is chosen with `FILE::NAME` (`__init__.py::8B`, `config_registry.py::llama3_8b`);
a file holding one entry needs no name.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data.recipes import TORCHTITAN_ARGS, TORCHTITAN_FLAVORS, TORCHTITAN_REGISTRY_SOURCE
from ..boundary.errors import InputError
from .base import Imported
from .torchtitan_ast import (MAX_BYTES, NESTED, RECIPE_CLASS, SELECT, Computed, Flavour, Registry,  # noqa: F401
                             parse, registry, split, value)
from .recipe import Flags, Recipe, flatten

def sniff(path: Path) -> bool:
    file, _ = split(path)
    tree = parse(file)
    if tree is None:
        return False
    found = registry(tree)
    return bool(found.flavours or found.recipes or found.built)


def _choose(file: Path, name: str | None, entries: dict, what: str) -> str:
    if name is None:
        if len(entries) == 1:
            return next(iter(entries))
        raise InputError(f"a torchtitan {what} registry with {len(entries)} entries: name one as "
                         f"{file.name}{SELECT}NAME ({', '.join(entries)})", source=str(file))
    if name not in entries:
        raise InputError(f"no {what} {name!r} in this torchtitan registry ({', '.join(entries)})", source=str(file))
    return name


def model_config(file: Path, variable: str, flavour: str, cls: str, kwargs: dict) -> tuple[dict, list[str]]:
    """The flavour's config.json fields (the architecture readers count them), and the keys read."""
    model_type, defaults = TORCHTITAN_ARGS[cls]
    flat = flatten(kwargs)
    read: list[str] = []

    def get(key: str) -> Any:
        read.append(key)
        field = f'{variable}["{flavour}"].{key}'
        v = flat.get(key, defaults.get(key, _ABSENT))
        if isinstance(v, Computed):
            raise InputError(f"{v!r}: flopcount reads literals only and never evaluates a registry's Python; "
                             "write the number in, or give the model as a config.json in a run plan",
                             source=str(file), field=field)
        if v is _ABSENT:
            raise InputError(f"not given, and flopcount reads no default for {cls} (it never guesses one)",
                             source=str(file), field=field)
        if v is not None and not isinstance(v, (int, float, str)):
            raise InputError(f"must be a number, got {v!r}", source=str(file), field=field)
        return v

    if cls == "TransformerModelArgs":
        dim, heads, kv = get("dim"), get("n_heads"), get("n_kv_heads")
        multiple, mult = get("multiple_of"), get("ffn_dim_multiplier")
        hidden = int(2 * (4 * dim) / 3)           # torchtitan llama3 FeedForward at 4a950ea, line for line
        if mult is not None:
            hidden = int(mult * hidden)
        hidden = multiple * ((hidden + multiple - 1) // multiple)
        config = {"hidden_size": dim, "num_hidden_layers": get("n_layers"), "num_attention_heads": heads,
                  "num_key_value_heads": kv if kv is not None else heads, "intermediate_size": hidden,
                  "vocab_size": get("vocab_size"), "tie_word_embeddings": False}
    elif cls == "Llama3Model.Config":
        dim, heads = get("dim"), get("layer.attention.n_heads")
        kv = get("layer.attention.n_kv_heads")
        config = {"hidden_size": dim, "num_hidden_layers": get("n_layers"), "num_attention_heads": heads,
                  "num_key_value_heads": kv, "intermediate_size": get("layer.feed_forward.hidden_dim"),
                  "vocab_size": get("vocab_size"), "tie_word_embeddings": False}
    elif cls == "Qwen3ModelArgs":
        config = {"hidden_size": get("dim"), "num_hidden_layers": get("n_layers"),
                  "num_attention_heads": get("n_heads"), "num_key_value_heads": get("n_kv_heads"),
                  "head_dim": get("head_dim"), "intermediate_size": get("hidden_dim"),
                  "vocab_size": get("vocab_size"), "tie_word_embeddings": bool(get("enable_weight_tying"))}
        if get("moe_enabled"):
            return _qwen3_moe(config, get, f'{variable}["{flavour}"]', file), read
    else:  # DeepSeek V3: multi-head latent attention, dense then MoE layers with shared experts
        p = "" if cls == "DeepSeekV3ModelArgs" else "layer."
        att = "" if cls == "DeepSeekV3ModelArgs" else "layer.attention."
        moe = "moe_args." if cls == "DeepSeekV3ModelArgs" else "layer.moe."
        heads = get(f"{att}n_heads")
        config = {"hidden_size": get("dim"), "num_hidden_layers": get("n_layers"), "num_attention_heads": heads,
                  "num_key_value_heads": heads, "q_lora_rank": get(f"{att}q_lora_rank"),
                  "kv_lora_rank": get(f"{att}kv_lora_rank"), "qk_nope_head_dim": get(f"{att}qk_nope_head_dim"),
                  "qk_rope_head_dim": get(f"{att}qk_rope_head_dim"), "v_head_dim": get(f"{att}v_head_dim"),
                  "intermediate_size": get("inter_dim" if not p else "layer.feed_forward.hidden_dim"),
                  "moe_intermediate_size": get("moe_inter_dim" if not p else f"{moe}hidden_dim"),
                  "first_k_dense_replace": get(f"{p}n_dense_layers"), "n_routed_experts": get(f"{moe}num_experts"),
                  "n_shared_experts": get(f"{moe}num_shared_experts"), "num_experts_per_tok": get(f"{moe}top_k"),
                  "vocab_size": get("vocab_size"), "tie_word_embeddings": False,
                  "num_nextn_predict_layers": 0}  # torchtitan builds no multi-token-prediction module
    return {"model_type": model_type, **config}, read


_ABSENT = object()


def _qwen3_moe(config: dict, get: Any, where: str, file: Path) -> dict:
    """A Qwen3 MoE flavour as Hugging Face's qwen3_moe config: in torchtitan's qwen3 model
    (`torchtitan/models/qwen3/model/model.py`, TransformerBlock) `moe_enabled` puts an MoE of
    `moe_inter_dim` experts in every layer, as qwen3_moe does with decoder_sparse_step 1 and no
    mlp_only_layers; qwen3_moe has no shared expert, so a flavour with one is refused."""
    if get("moe_args.num_shared_experts"):
        raise InputError("a shared expert in a Qwen3 MoE flavour: Qwen3 MoE as flopcount reads it (qwen3_moe) has "
                         "none; give the model as a config.json in a run plan", source=str(file),
                         field=f"{where}.moe_args.num_shared_experts")
    return {"model_type": "qwen3_moe", **config, "moe_intermediate_size": get("moe_inter_dim"),
            "num_experts": get("moe_args.num_experts"), "num_experts_per_tok": get("moe_args.top_k"),
            "decoder_sparse_step": 1, "mlp_only_layers": []}


def _flavour_spec(file: Path, flavour: str, reg: Registry) -> tuple[dict, str]:
    variable, cls, kwargs = reg.flavours[flavour]
    config, read = model_config(file, variable, flavour, cls, kwargs)
    era = "v0.2" if cls in ("TransformerModelArgs", "Qwen3ModelArgs", "DeepSeekV3ModelArgs") else "config"
    return config, (f'{file.name} {variable}["{flavour}"] {cls}({", ".join(read)}; defaults of '
                    f"{TORCHTITAN_REGISTRY_SOURCE[era]})")


def _built(file: Path, flavour: str, why: str, field: str) -> InputError:
    return InputError(f"{why}; flopcount never runs Python, so only a flavour written as one literal is read: give "
                      f"the model's config.json (a run plan's model.config) for {flavour!r}", source=str(file),
                      field=field)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    from .torchtitan import job
    file, name = split(path)
    tree = parse(file)
    if tree is None:
        raise InputError("not a torchtitan registry flopcount reads", source=str(file))
    reg = registry(tree)
    model_name = file.resolve().parent.name  # torchtitan's --module: the model's folder
    if reg.recipes:
        chosen = _choose(file, name, reg.recipes, "recipe")
        kwargs = reg.recipes[chosen]
        if isinstance(kwargs, str):
            raise InputError(f"recipe function {chosen}: {kwargs}; flopcount never runs Python, so only a recipe "
                             "written as one literal is read", source=str(file), field=chosen)
        ref = kwargs.get("model_spec")
        if not isinstance(ref, Flavour):
            raise InputError(f"model_spec is {ref!r}, not model_registry(\"FLAVOUR\") with a literal flavour",
                             source=str(file), field=f"{chosen}.model_spec")
        sibling = file.parent / "__init__.py"
        sib_tree = parse(sibling) if sibling != file else None
        sib = registry(sib_tree) if sib_tree is not None else None
        if sib is not None and ref.name in sib.built:
            raise _built(file, ref.name, sib.built[ref.name], f"{chosen}.model_spec")
        if sib is not None and sib.flavours:
            if ref.name not in sib.flavours:
                raise InputError(f"model_registry({ref.name!r}): no such flavour in {sibling} "
                                 f"({', '.join(sib.flavours)})", source=str(file), field=f"{chosen}.model_spec")
            spec, origin = _flavour_spec(sibling, ref.name, sib)
        elif (model_name, ref.name) in TORCHTITAN_FLAVORS:
            spec, origin = dict(TORCHTITAN_FLAVORS[(model_name, ref.name)]), "flopcount's torchtitan flavour table"
        else:
            raise InputError(f"model_registry({ref.name!r}): no readable __init__.py registry beside this file and "
                             f"{model_name} {ref.name!r} is not in flopcount's flavour table",
                             source=str(file), field=f"{chosen}.model_spec")
        data = {k: v for k, v in kwargs.items() if k != "model_spec"}
        data["model"] = {"name": model_name, "flavor": ref.name}
        r = Recipe(data, f"{file}{SELECT}{chosen}", "torchtitan")
        for key, v in flatten(data).items():
            if isinstance(v, Computed) and key.split(".")[0] in ("training", "parallelism", "activation_checkpoint"):
                raise InputError(f"{v!r}: flopcount reads literals only and never evaluates a recipe's Python",
                                 source=str(file), field=f"{chosen}.{key}")
        return job(r, Path(chosen), flags, spec, f"model_spec = model_registry({ref.name!r}) → {origin}")
    chosen = _choose(file, name, {**reg.flavours, **reg.built}, "flavour")
    if chosen in reg.built:
        raise _built(file, chosen, reg.built[chosen], chosen)
    spec, origin = _flavour_spec(file, chosen, reg)
    r = Recipe({}, f"{file}{SELECT}{chosen}", "torchtitan")
    if flags.tokens is None:
        raise InputError(f"a model flavour registry holds no training length: pass --tokens (or give the recipe, "
                         f"config_registry.py{SELECT}FUNCTION)", source=str(file), field="--tokens")
    r.to("model.spec", origin)
    r.to("phases[0].tokens", "--tokens")
    seq = flags.count("seq_len")
    if seq is not None:
        r.to("seq_len", "--seq-len")
    phase = {"name": "training", "kind": flags.kind or "pre-training", "tokens": flags.count("tokens")}
    notes = [f"{model_name} {chosen}: the flavour's architecture read from {file.name} as literals (never imported)"]
    return r.imported(f"{model_name}-{chosen}", {"name": f"{model_name}-{chosen}", "spec": spec}, seq, [phase], notes)
