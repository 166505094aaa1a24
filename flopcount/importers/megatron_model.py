"""Megatron arguments → the model: a config.json mapping of the family the arguments match
(GPT-2, Llama, Mixtral, DeepSeek V3; see `importers.megatron`), with Megatron's defaults for
absent flags, and the vocabulary padded as Megatron pads it."""
from __future__ import annotations

import re
from typing import Any, Mapping

from ..boundary.errors import InputError
from ..data.recipes import MEGATRON_DEFAULTS
from .recipe import Flags, Recipe

#: Megatron's --moe-layer-freq as a list expression, e.g. "([0]*3+[1]*58)": parsed, never evaluated
FREQ_TERM = re.compile(r"\[([01](?:,[01])*)\](?:\*(\d+))?")


class _Args(Recipe):
    """Megatron arguments, with Megatron's defaults for absent flags (`data.recipes`). `names`:
    the key each argument has in the file the user gave, where that file spells it otherwise
    (NeMo 1.x: `swiglu` is `model.activation`); errors name the field by it."""

    def __init__(self, data: Mapping[str, Any], source: str, framework: str,
                 names: Mapping[str, str] | None = None):
        super().__init__(data, source, framework)
        self.names = dict(names or {})

    def path(self, name: str) -> str:
        return self.names.get(name, super().path(name))

    def get(self, name: str) -> Any:
        value = self.raw(name, MEGATRON_DEFAULTS.get(name))
        if isinstance(value, str) and "$" in value:
            raise self.error(name, f"is a shell expansion ({value}) flopcount cannot resolve: substitute the value "
                             "in the file, or give the arguments block of the training log")
        return value

    def on(self, name: str) -> bool:
        value = self.get(name)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def number(self, name: str, default: int | None = None) -> int | None:
        """A whole number: the recipe's (parsed strictly), Megatron's default, or `default`."""
        if not self.has(name):
            self.read.add(name)
            return MEGATRON_DEFAULTS.get(name, default)
        self.get(name)  # a shell expansion is named, not parsed as a number
        return self.count(name)


def _padded_vocab(r: _Args, flags: Flags, tp: int) -> int:
    vocab = r.number("padded_vocab_size")
    if vocab is not None:
        r.to("model.spec.vocab_size", "padded_vocab_size")
        return vocab
    vocab = flags.count("vocab_size") or r.number("vocab_size")
    if vocab is None:
        raise InputError("the vocabulary size comes from the tokenizer, which the arguments do not hold: pass "
                         "--vocab-size (the tokenizer's size; flopcount pads it as Megatron does)",
                         source=r.source, field="--vocab-size")
    multiple = r.number("make_vocab_size_divisible_by") * tp
    r.to("model.spec.vocab_size", "--vocab-size" if flags.vocab_size else "vocab_size",
         f"padded to a multiple of make_vocab_size_divisible_by × tensor_model_parallel_size = {multiple}")
    return -(-vocab // multiple) * multiple


def _model(r: _Args, flags: Flags) -> dict:
    # quick_geglu / enable_gpt_oss: gpt-oss's MLP and attention sinks; window_size: sliding-window
    # attention, which the dense mapping below would count as full attention
    for flag in ("hybrid_override_pattern", "experimental_attention_variant", "squared_relu", "quick_geglu",
                 "enable_gpt_oss", "window_size"):
        if r.get(flag) not in (None, False):
            raise r.error(flag, "this architecture is not mapped from Megatron arguments yet; give the model as "
                          "a config.json in a run plan")
    layers, hidden, heads = r.count("num_layers"), r.count("hidden_size"), r.count("num_attention_heads")
    swiglu = r.on("swiglu")
    ffn = r.number("ffn_hidden_size", int((4 * hidden * 2 / 3) / 64) * 64 if swiglu else 4 * hidden)
    kv_channels = r.number("kv_channels", hidden // heads)
    groups = r.number("num_query_groups", heads) if r.on("group_query_attention") else heads
    tied = not r.on("untie_embeddings_and_output_weights")
    bias = r.on("add_bias_linear") and not r.on("disable_bias_linear")
    vocab = _padded_vocab(r, flags, r.number("tensor_model_parallel_size"))
    experts = r.number("num_experts")
    if r.on("multi_latent_attention"):
        return _deepseek(r, hidden, layers, heads, ffn, vocab, tied, experts, bias)
    if not swiglu:
        if experts or groups != heads or r.get("position_embedding_type") != "learned_absolute":
            raise r.error("swiglu", "a GELU MLP with rotary positions, GQA or experts is not mapped yet; give the "
                          "model as a config.json in a run plan")
        return {"model_type": "gpt2", "n_embd": hidden, "n_layer": layers, "n_head": heads, "n_inner": ffn,
                "vocab_size": vocab, "n_positions": r.count("max_position_embeddings"), "tie_word_embeddings": tied}
    llama = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
             "num_key_value_heads": groups, "head_dim": kv_channels, "vocab_size": vocab,
             "tie_word_embeddings": tied}
    if not experts:
        return {"model_type": "llama", **llama, "intermediate_size": ffn, "attention_bias": bias, "mlp_bias": bias}
    freq = r.get("moe_layer_freq")
    if (freq not in (None, 1, "1") or r.number("moe_shared_expert_intermediate_size") or bias):
        raise r.error("moe_layer_freq" if freq not in (None, 1, "1") else "num_experts",
                      "MoE with dense layers, shared experts or biases is not mapped yet; give the model as a "
                      "config.json in a run plan")
    return {"model_type": "mixtral", **llama, "num_local_experts": experts,
            "num_experts_per_tok": r.number("moe_router_topk"),
            "intermediate_size": r.number("moe_ffn_hidden_size", ffn)}


def _layer_pattern(r: _Args, layers: int) -> list[int]:
    """--moe-layer-freq: N (every N-th layer is MoE) or a list expression such as
    "([0]*3+[1]*58)" (Megatron evaluates it; here it is parsed, and nothing else is accepted)."""
    value = r.get("moe_layer_freq")
    text = str(value).replace(" ", "").strip("()")
    if text.isdigit():
        return [1 if i % int(text) == 0 else 0 for i in range(layers)]
    pattern: list[int] = []
    for term in text.split("+"):
        m = FREQ_TERM.fullmatch(term)
        if m is None:
            raise r.error("moe_layer_freq", f"{value!r} is not N or a list like [0]*3+[1]*58")
        pattern += [int(x) for x in m.group(1).split(",")] * int(m.group(2) or 1)
    if len(pattern) != layers:
        raise r.error("moe_layer_freq", f"gives {len(pattern)} layers for num_layers {layers}")
    return pattern


def _deepseek(r: _Args, hidden: int, layers: int, heads: int, ffn: int, vocab: int, tied: bool,
              experts: int | None, bias: bool) -> dict:
    """Multi-latent attention with MoE after leading dense layers (DeepSeek V2/V3, Kimi K2)
    as a deepseek_v3 config.json mapping."""
    if not experts or bias:
        raise r.error("multi_latent_attention", "MLA is mapped with MoE layers and no linear biases (DeepSeek's "
                      "layout); give other MLA models as a config.json in a run plan")
    pattern = _layer_pattern(r, layers)
    dense = pattern.index(1) if 1 in pattern else layers
    if any(p != 1 for p in pattern[dense:]):
        raise r.error("moe_layer_freq", "dense layers between MoE layers are not mapped (DeepSeek has them first "
                      "only)")
    moe_ffn = r.number("moe_ffn_hidden_size", ffn)
    shared = r.number("moe_shared_expert_intermediate_size") or 0
    if shared % moe_ffn:
        raise r.error("moe_shared_expert_intermediate_size", f"{shared} is not a whole number of experts of "
                      f"{moe_ffn}")
    return {"model_type": "deepseek_v3", "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": heads, "intermediate_size": ffn,
            "moe_intermediate_size": moe_ffn, "n_routed_experts": experts, "n_shared_experts": shared // moe_ffn,
            "num_experts_per_tok": r.number("moe_router_topk"), "first_k_dense_replace": dense, "moe_layer_freq": 1,
            "q_lora_rank": r.number("q_lora_rank"), "kv_lora_rank": r.number("kv_lora_rank"),
            "qk_nope_head_dim": r.number("qk_head_dim"), "qk_rope_head_dim": r.number("qk_pos_emb_head_dim"),
            "v_head_dim": r.number("v_head_dim"), "vocab_size": vocab, "tie_word_embeddings": tied,
            "num_nextn_predict_layers": r.number("mtp_num_layers")}
