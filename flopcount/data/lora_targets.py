"""LoRA target names as each framework spells them -> flopcount's block matrices.

A recipe names the modules it adapts in its framework's own words: Hugging Face PEFT
matches the last part of transformers' module names (`q_proj`, `query_key_value`, ...),
Megatron-Core / Megatron-Bridge / NeMo 2 match Megatron's (`linear_qkv`, `linear_fc1`, ...).
Each row maps one name onto flopcount's matrix names (the keys of a block's `lora()`:
q, k, v, o, gate, up, down; q_a, q_b, kv_a, kv_b for latent attention; in_proj ... for
Mamba) or onto a fused matrix (`FUSED`). A name that covers two matrices in one layer
(GPT-2's `c_proj`, the attention output and the MLP output) maps to both: two adapters.

Fused projections: every framework here builds one LoRA adapter per targeted module, of
the module's own (in, out) shape — A: in x r, B: r x out — so a fused projection gets one
adapter over the fused output, r·(in + out_q + out_k + out_v), not one per part
(r·(3·in + ...)). Megatron-Bridge: `LoRA.transform` wraps each matched module in one
`ParallelLinearAdapter(in_features, out_features, dim)` (src/megatron/bridge/peft/lora.py,
commit 0191fc5e1b7fb11ef008ce0ec73b7e9f2626d687); NeMo 2 the same, with in/out the full
module's `input_size`/`output_size` (nemo/collections/llm/peft/lora.py and utils.py
`get_adapter_attributes_from_linear`, commit 8cfedd7203462cb251a914e700e5605444277561);
PEFT wraps each matched nn.Linear / Conv1D in one `lora.Linear` of that layer's shape.

Limits: transformers names are checked against the modules of the model's `model_type`
(`MODULES`) only where the spec was read from a Hugging Face config.json; for a flopcount
spec file they are taken as written. `dense` is the attention output of GPT-NeoX, Falcon
and Phi; BERT's names (`query`, `dense` for three layers) are not mapped. Adapters inside
mixture-of-experts layers (shared or routed experts, routers) are not modelled and refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

HF = "https://github.com/huggingface/transformers/blob"
MCORE = "https://github.com/NVIDIA/Megatron-LM/blob"

#: fused matrix -> (parts it needs, parts it takes where the block has them), stacked on the
#: output side over one shared input. On a plain (ungated) MLP `gate_up` is the up
#: projection alone, as Megatron's linear_fc1 is there.
FUSED: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    # Megatron-Core SelfAttention.linear_qkv: hidden -> query_projection_size + 2·kv_projection_size
    # (megatron/core/transformer/attention.py, commit f41b4fd4e56b07943d075a1e66c1284716b3347e);
    # transformers Phi-3 qkv_proj, GPT-NeoX query_key_value, GPT-2 c_attn (rows below).
    "qkv": (("q", "k", "v"), ()),
    # Megatron-Core MLP.linear_fc1: ffn_hidden_size doubled when gated_linear_unit
    # (megatron/core/transformer/mlp.py, commit 8503f75401aa49f735b7b153ba82fd76f2d5cd58);
    # transformers Phi-3 gate_up_proj.
    "gate_up": (("up",), ("gate",)),
})
#: the fused names that sit in the MLP (refused on mixture-of-experts models with the MLP names)
FUSED_MLP = ("gate_up",)


@dataclass(frozen=True)
class TargetName:
    name: str                    # the module name as the recipe writes it
    targets: tuple[str, ...]     # flopcount matrices (or FUSED names): one adapter each per layer
    framework: str
    source: str


def _rows(framework: str, source: str, names: dict[str, tuple[str, ...]]) -> list[TargetName]:
    return [TargetName(n, t, framework, source) for n, t in names.items()]


_TRANSFORMERS = "Hugging Face transformers (PEFT target_modules)"
_MEGATRON = "Megatron-Core (Megatron-Bridge, NeMo 2 LoRA target_modules)"

ROWS: tuple[TargetName, ...] = tuple(
    _rows(_TRANSFORMERS, f"{HF}/f5a9ec512fa9fe69e51ea0c6388c68d50de567b3/src/transformers/models/deepseek_v3/"
          "modeling_deepseek_v3.py (and modeling_llama.py: the Llama-family names)",
          {"q_proj": ("q",), "k_proj": ("k",), "v_proj": ("v",), "o_proj": ("o",), "gate_proj": ("gate",),
           "up_proj": ("up",), "down_proj": ("down",), "q_a_proj": ("q_a",), "q_b_proj": ("q_b",),
           "kv_a_proj_with_mqa": ("kv_a",), "kv_b_proj": ("kv_b",)})
    + _rows(_TRANSFORMERS, f"{HF}/43c2b4816a6507cb08a18b402c6b053453651daf/src/transformers/models/phi3/"
            "modeling_phi3.py: one qkv_proj Linear (hidden -> (heads + 2·kv_heads)·head_dim) and one "
            "gate_up_proj Linear (hidden -> 2·intermediate)",
            {"qkv_proj": ("qkv",), "gate_up_proj": ("gate_up",)})
    + _rows(_TRANSFORMERS, f"{HF}/203bf6f1c524062b3c109da5ff67e61f483407e7/src/transformers/models/gpt_neox/"
            "modeling_gpt_neox.py: attention.query_key_value, attention.dense, mlp.dense_h_to_4h, "
            "mlp.dense_4h_to_h (Falcon's modeling_falcon.py uses the same names)",
            {"query_key_value": ("qkv",), "dense": ("o",), "dense_h_to_4h": ("up",), "dense_4h_to_h": ("down",)})
    + _rows(_TRANSFORMERS, "transformers 5.25.0 src/transformers/models/gpt2/modeling_gpt2.py: attn.c_attn, attn.c_proj, "
            "mlp.c_fc, mlp.c_proj (Conv1D layers; c_proj names both outputs)",
            {"c_attn": ("qkv",), "c_proj": ("o", "down"), "c_fc": ("up",)})
    + _rows(_TRANSFORMERS, "transformers 5.25.0 src/transformers/models/phi/modeling_phi.py: mlp.fc1, mlp.fc2 (plain MLP)",
            {"fc1": ("up",), "fc2": ("down",)})
    + _rows(_TRANSFORMERS + "; Megatron-Core MambaMixer",
            "transformers 5.25.0 src/transformers/models/mamba/modeling_mamba.py and mamba2/modeling_mamba2.py "
            "(in_proj, x_proj, dt_proj, out_proj); megatron/core/ssm/mamba_mixer.py (in_proj, out_proj)",
            {"in_proj": ("in_proj",), "x_proj": ("x_proj",), "dt_proj": ("dt_proj",), "out_proj": ("out_proj",)})
    + _rows(_MEGATRON, f"{MCORE}/f41b4fd4e56b07943d075a1e66c1284716b3347e/megatron/core/transformer/attention.py "
            "(linear_qkv, linear_proj); megatron/core/transformer/mlp.py at 8503f75401aa49f735b7b153ba82fd76f2d5cd58 "
            "(linear_fc1: gate and up fused when gated_linear_unit, linear_fc2)",
            {"linear_qkv": ("qkv",), "linear_proj": ("o",), "linear_fc1": ("gate_up",), "linear_fc2": ("down",)})
    + _rows(_MEGATRON, f"{MCORE}/003b4ce2615f4e501ecbc39e01e0f76d237a35d9/megatron/core/transformer/"
            "multi_latent_attention.py: linear_q_proj (q_lora_rank None), linear_q_down_proj -> q_lora_rank, "
            "linear_q_up_proj -> heads·(qk_head_dim + qk_pos_emb_head_dim), linear_kv_down_proj -> kv_lora_rank + "
            "qk_pos_emb_head_dim, linear_kv_up_proj -> heads·(qk_head_dim + v_head_dim); linear_proj as above",
            {"linear_q_proj": ("q",), "linear_q_down_proj": ("q_a",), "linear_q_up_proj": ("q_b",),
             "linear_kv_down_proj": ("kv_a",), "linear_kv_up_proj": ("kv_b",)})
)

#: module name -> its row; a name listed twice would be two meanings, refused at import
TARGET_NAMES: Mapping[str, TargetName] = MappingProxyType({row.name: row for row in ROWS})
if len(TARGET_NAMES) != len(ROWS):
    raise ValueError("a LoRA target name is listed twice in flopcount.data.lora_targets")

#: model_type -> the module names PEFT can match in its layers (transformers' nn.Linear /
#: Conv1D leaf names, the output head excluded), for the families flopcount reads. Source:
#: transformers 5.25.0, each model built from its default config on the meta device and
#: its modules listed; tests/test_lora_targets.py rebuilds every row and compares. Used to
#: refuse a name the model does not have (PEFT would find nothing to adapt) and to resolve
#: "all-linear" to the modules PEFT really wraps: fused ones in Phi-3, GPT-NeoX, Falcon,
#: GPT-2; attention only in Mixtral, Qwen3-MoE, OLMoE, gpt-oss, whose experts are not
#: nn.Linear; shared experts and routers where they are (Qwen2-MoE, Llama 4, DeepSeek).
_LLAMA = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
_MLA = ("q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_NEOX = ("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h")
MODULES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    **{t: _LLAMA for t in ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "olmo2")},
    **{t: _ATTENTION for t in ("mixtral", "qwen3_moe", "olmoe", "gpt_oss")},
    "qwen2_moe": _LLAMA + ("shared_expert_gate",),
    "llama4_text": _LLAMA + ("router",),
    "deepseek_v2": _MLA, "deepseek_v3": _MLA,
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "phi": ("q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"),
    "gpt_neox": _NEOX, "falcon": _NEOX,
    "gpt2": ("c_attn", "c_proj", "c_fc"),
    "mamba": ("in_proj", "x_proj", "dt_proj", "out_proj"), "falcon_mamba": ("in_proj", "x_proj", "dt_proj", "out_proj"),
    "mamba2": ("in_proj", "out_proj"),
    "nemotron_h": ("q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj", "in_proj", "out_proj"),
})

#: whole-model wildcard: every weight matrix of every layer (not the output head), as
#: PEFT's "all-linear" (peft/tuners/tuners_utils.py `_maybe_include_all_linear_layers`),
#: LLaMA-Factory's `lora_target: all` and Axolotl's `lora_target_linear: true` mean it.
#: PEFT knows no "all_linear": that string is a regex matching no module there (Axolotl's
#: `all_linear` is a value of optim_target_modules, GaLore's, not of LoRA's targets).
ALL_LINEAR = ("all-linear",)
#: a PEFT target_modules regex, kept as written behind this prefix and matched (full match,
#: as PEFT does) against the model's own module names once the model is known
REGEX = "re:"
#: parent modules of the targetable layers in transformers' decoder layers (self_attn, mlp:
#: Llama family; attention: GPT-NeoX; attn: GPT-2; self_attention: Falcon; mixer: Mamba,
#: Nemotron-H): a regex is matched against `model.layers.0.<parent>.<name>` and `<name>`
MODULE_PARENTS = ("self_attn", "mlp", "attention", "attn", "self_attention", "mixer")

#: Megatron-Bridge LoRA's default target_modules when a recipe sets none (the LoRA
#: dataclass default, src/megatron/bridge/peft/lora.py, commit 0191fc5e1b7fb11ef008ce0ec73b7e9f2626d687;
#: NeMo 2's nemo/collections/llm/peft/lora.py at 8cfedd7 has the same) and its default rank `dim`
MEGATRON_DEFAULT_TARGETS = ("linear_qkv", "linear_proj", "linear_fc1", "linear_fc2")
MEGATRON_DEFAULT_DIM = 32
MEGATRON_LORA_SOURCE = "Megatron-Bridge src/megatron/bridge/peft/lora.py, commit 0191fc5"
