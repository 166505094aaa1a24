"""State-space readers: Mamba, FalconMamba, Mamba-2 and the Nemotron-H hybrid
(transformers' MambaForCausalLM, Mamba2ForCausalLM and NemotronHForCausalLM layouts)."""
from __future__ import annotations

import math

from ..blocks import MLP, Attention, Mamba, Mamba2, MoE, Norm
from ...boundary.fields import Fields
from ..spec import ModelSpec
from .registry import kv_heads, language_model, reader, top_k

#: Nemotron-H layer kinds: transformers' names, the legacy names it still maps, and the
#: characters of `hybrid_override_pattern` (configuration_nemotron_h._pattern_to_list)
NEMOTRON_KINDS = {"linear_attention": "mamba", "mamba": "mamba", "M": "mamba",
                  "full_attention": "attention", "attention": "attention", "*": "attention",
                  "mlp": "mlp", "-": "mlp", "moe": "moe", "E": "moe"}


@reader("mamba", "falcon_mamba")
def _mamba(f: Fields, name: str) -> ModelSpec:
    # modeling_mamba / modeling_falcon_mamba: each layer is an RMSNorm and a Mamba mixer
    # (FalconMamba adds weightless RMS norms on B, C and Δ); final norm_f; the LM head is
    # tied to the embedding by default. intermediate = expand · hidden; time_step_rank
    # "auto" = ceil(hidden / 16) (MambaConfig).
    d = f.count("hidden_size", 768)
    inner = f.count("intermediate_size", f.count("expand", 2) * d)
    rank = f.raw("time_step_rank", "auto")
    dt_rank = math.ceil(d / 16) if rank == "auto" else f.count("time_step_rank")
    mixer = Mamba(d, inner, f.count("state_size", 16), f.count("conv_kernel", 4), dt_rank,
                  bias=f.flag("use_bias", False), conv_bias=f.flag("use_conv_bias", True))
    layers = [(mixer, Norm(d, "rms"))] * f.count("num_hidden_layers", 32)
    return language_model(f, name, vocab=f.count("vocab_size", 50280), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", True))


def _mamba2(f: Fields, d: int, heads: int, head_dim: int, *, state: str, chunk: int, bias: str) -> Mamba2:
    groups = f.count("n_groups", 8)
    if heads % groups:
        raise f.error("n_groups", f"{groups} groups do not divide {heads} heads")
    return Mamba2(d, heads, head_dim, f.count(state, 128), groups, f.count("conv_kernel", 4),
                  f.count("chunk_size", chunk), bias=f.flag(bias, False), conv_bias=f.flag("use_conv_bias", True))


@reader("mamba2")
def _mamba2_lm(f: Fields, name: str) -> ModelSpec:
    # modeling_mamba2 (Mamba2ForCausalLM): RMSNorm + Mamba-2 mixer per layer, norm_f, an
    # untied LM head by default. Mamba2Config requires expand · hidden = heads · head_dim.
    d, heads, head_dim = f.count("hidden_size", 4096), f.count("num_heads", 128), f.count("head_dim", 64)
    if f.count("expand", 2) * d != heads * head_dim:
        raise f.error("num_heads", f"expand · hidden_size ({f.count('expand', 2) * d}) must equal "
                                   f"num_heads · head_dim ({heads * head_dim}), as Mamba2Config requires")
    mixer = _mamba2(f, d, heads, head_dim, state="state_size", chunk=256, bias="use_bias")
    layers = [(mixer, Norm(d, "rms"))] * f.count("num_hidden_layers", 64)
    return language_model(f, name, vocab=f.count("vocab_size", 32768), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", False))


def _nemotron_pattern(f: Fields) -> list[str]:
    """Per-layer kinds from `layers_block_type` (or its alias `layer_types`) or the legacy
    `hybrid_override_pattern` string; transformers' default is one layer of each kind."""
    for key in ("layers_block_type", "layer_types", "hybrid_override_pattern"):
        if f.has(key):
            value = f.raw(key)
            items = list(value) if isinstance(value, str) else value
            if not isinstance(items, list) or not items:
                raise f.error(key, "must be a non-empty list of layer types (or a pattern string)")
            for i, kind in enumerate(items):
                if kind not in NEMOTRON_KINDS:
                    raise f.error(f"{key}[{i}]", f"unknown layer type {kind!r}; known: "
                                                 f"{', '.join(sorted(set(NEMOTRON_KINDS) - set('M*-E')))}")
            return [NEMOTRON_KINDS[k] for k in items]
    return ["mamba", "moe", "attention", "mlp"]


@reader("nemotron_h")
def _nemotron_h(f: Fields, name: str) -> ModelSpec:
    # modeling_nemotron_h: every layer is one RMSNorm and one mixer — Mamba-2, attention
    # (GQA, no biases, no rope in the module), a plain ReLU² MLP (up, down), or a MoE with
    # plain experts, a sigmoid top-k router whose correction bias is a buffer (no
    # parameter), one shared plain expert and an optional latent projection. Layer count
    # = length of the pattern (num_hidden_layers is ignored, as in NemotronHConfig).
    d = f.count("hidden_size", 4096)
    heads = f.count("num_attention_heads", 32)
    mlp_bias = f.flag("mlp_bias", False)
    kinds = _nemotron_pattern(f)
    blocks = {"mamba": lambda: _mamba2(f, d, f.count("mamba_num_heads", 128), f.count("mamba_head_dim", 64),
                                       state="ssm_state_size", chunk=128, bias="use_bias"),
              "attention": lambda: Attention(d, heads, kv_heads(f, heads, required=False),
                                             f.count("head_dim", 128)),
              "mlp": lambda: MLP(d, f.count("intermediate_size", 21504), False, mlp_bias)}
    if "moe" in kinds:
        experts = f.count("n_routed_experts", 8)
        latent = f.count("moe_latent_size", allow_zero=True) if f.raw("moe_latent_size", None) is not None else 0
        blocks["moe"] = lambda: MoE(d, experts, top_k(f, experts, default=2), f.count("moe_intermediate_size", 7688),
                                    shared_hidden=f.count("moe_shared_expert_intermediate_size", 7688),
                                    gated=False, latent=latent, dense_bias=mlp_bias)
    made = {kind: make() for kind, make in blocks.items() if kind in kinds}
    layers = [(made[kind], Norm(d, "rms")) for kind in kinds]
    mtp = f.count("num_nextn_predict_layers", 0, allow_zero=True)
    notes = (f"{mtp} multi-token-prediction layer(s) not counted: transformers does not build them (their "
             "weights are skipped on load); add them as a phase if your run trains them",) if mtp else ()
    return language_model(f, name, vocab=f.count("vocab_size", 131072), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", False), notes=notes)
