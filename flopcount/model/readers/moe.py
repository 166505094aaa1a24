"""Mixture-of-experts readers: which layers are sparse, what their experts, routers and
shared experts look like, and which attention they pair with."""
from __future__ import annotations

from ..blocks import Attention, LatentAttention, MLP, MoE, Norm
from ...boundary.fields import Fields
from ..spec import ModelSpec, decoder
from .registry import head_dim, kv_heads, language_model, layer_types, reader, top_k
from .decoders import llama_fields


def _experts(f: Fields, *names: str, default: int | None = None) -> tuple[str, int]:
    """The expert count under whichever name the config uses (first given wins)."""
    for name in names:
        if f.has(name):
            return name, f.count(name, allow_zero=True)
    if default is None:
        raise f.error(names[0], "required field is missing")
    return names[0], default


@reader("mixtral")
def _mixtral(f: Fields, name: str) -> ModelSpec:
    # Every layer is sparse; `intermediate_size` is the width of one expert.
    layers = f.count("num_hidden_layers")
    _, experts = _experts(f, "num_local_experts", default=8)
    return decoder(**llama_fields(f, name, kv_required=True, qkv_bias=False, out_bias=False, mlp_bias=False,
                                  n_experts=experts, top_k=top_k(f, experts, default=2),
                                  d_ff_expert=f.count("intermediate_size"), moe_layers=layers))


def _sparse_layers(f: Fields, n: int, experts: int) -> list[bool]:
    """Qwen-MoE placement: layer i is sparse iff experts > 0, i not in mlp_only_layers and
    (i + 1) % decoder_sparse_step == 0 (modeling_qwen2_moe / modeling_qwen3_moe)."""
    step = f.count("decoder_sparse_step", 1)
    dense_only = set(f.int_list("mlp_only_layers", []))
    return [experts > 0 and i not in dense_only and (i + 1) % step == 0 for i in range(n)]


def _moe_decoder(f: Fields, name: str, fields: dict, sparse: list[bool], moe: MoE, *,
                 q_norm: int = 0, k_norm: int = 0) -> ModelSpec:
    d = fields["d_model"]
    attn = Attention(d, fields["n_heads"], fields["n_kv_heads"], fields["head_dim"], qkv_bias=fields["qkv_bias"],
                     out_bias=fields["out_bias"], q_norm=q_norm, k_norm=k_norm)
    dense = MLP(d, fields["d_ff"], True, fields["mlp_bias"])
    layers = [(attn, moe if s else dense, Norm(d, "rms", 2)) for s in sparse]
    return language_model(f, name, vocab=fields["vocab_size"], width=d, layers=layers,
                          tied=fields["tied_embeddings"])


@reader("qwen2_moe")
def _qwen2_moe(f: Fields, name: str) -> ModelSpec:
    # A shared expert behind a scalar sigmoid gate (the gate exists even at width 0).
    fields = llama_fields(f, name, kv_required=True, qkv_bias=f.flag("qkv_bias", True), out_bias=False,
                          mlp_bias=False)
    _, experts = _experts(f, "num_experts", default=60)
    moe = MoE(fields["d_model"], experts, top_k(f, experts, default=4), f.count("moe_intermediate_size", 1408),
              shared_hidden=f.count("shared_expert_intermediate_size", 5632, allow_zero=True), shared_gate=True)
    return _moe_decoder(f, name, fields, _sparse_layers(f, fields["n_layers"], experts), moe)


@reader("qwen3_moe")
def _qwen3_moe(f: Fields, name: str) -> ModelSpec:
    # modeling_qwen3_moe: Qwen3 attention (q/k RMSNorm over head_dim, head_dim 128 by
    # default), routed experts only (no shared expert), Qwen-MoE layer placement.
    fields = llama_fields(f, name, kv_required=False, head_dim=f.count("head_dim", 128))
    _, experts = _experts(f, "num_experts", "num_local_experts", default=128)
    moe = MoE(fields["d_model"], experts, top_k(f, experts, default=8), f.count("moe_intermediate_size", 768))
    hd = fields["head_dim"]
    return _moe_decoder(f, name, fields, _sparse_layers(f, fields["n_layers"], experts), moe, q_norm=hd, k_norm=hd)


@reader("olmoe")
def _olmoe(f: Fields, name: str) -> ModelSpec:
    # modeling_olmoe: every layer sparse (64 experts, top-8 by default) with experts of
    # `intermediate_size`; q_norm over the model width, k_norm over all key heads.
    fields = llama_fields(f, name, kv_required=False)
    _, experts = _experts(f, "num_experts", "num_local_experts", default=64)
    moe = MoE(fields["d_model"], experts, top_k(f, experts, default=8), fields["d_ff"])
    kv = fields["n_kv_heads"] * (fields["d_model"] // fields["n_heads"])
    return _moe_decoder(f, name, fields, [True] * fields["n_layers"], moe, q_norm=fields["d_model"], k_norm=kv)


def _deepseek(f: Fields, name: str, *, v3: bool) -> ModelSpec:
    # modeling_deepseek_v2/v3: multi-head latent attention; the first first_k_dense_replace
    # layers dense (intermediate_size), the rest MoE with n_shared_experts always-on experts
    # of moe_intermediate_size. V3's e_score_correction_bias is a buffer, not a parameter.
    d, heads = f.count("hidden_size", 7168 if v3 else 4096), f.count("num_attention_heads", 128 if v3 else 32)
    n = f.count("num_hidden_layers", 61 if v3 else 32)
    attn = LatentAttention(
        d, heads, f.count("q_lora_rank", 1536, allow_zero=True) if f.data.get("q_lora_rank", 0) is not None else 0,
        f.count("kv_lora_rank", 512), f.count("qk_nope_head_dim", 128), f.count("qk_rope_head_dim", 64),
        f.count("v_head_dim", 128), bias=f.flag("attention_bias", False))
    experts = f.count("n_routed_experts", 256 if v3 else 64)
    moe_ff = f.count("moe_intermediate_size", 2048 if v3 else 1407)
    moe = MoE(d, experts, top_k(f, experts, default=8 if v3 else 6), moe_ff,
              shared_hidden=f.count("n_shared_experts", 1 if v3 else 2, allow_zero=True) * moe_ff)
    dense_k = f.count("first_k_dense_replace", 3 if v3 else 0, allow_zero=True)
    dense = MLP(d, f.count("intermediate_size", 18432 if v3 else 11008), True, f.flag("mlp_bias", False))
    layers = [(attn, dense if i < dense_k else moe, Norm(d, "rms", 2)) for i in range(n)]
    mtp = f.count("num_nextn_predict_layers", 1 if v3 else 0, allow_zero=True)
    notes = (f"{mtp} multi-token-prediction module(s) not counted: transformers does not build them, and the "
             "published 671B main-model count excludes them (they are a training objective whose extra forward "
             "passes add about one layer per module; add them as a phase if your run trains them)",) if mtp else ()
    return language_model(f, name, vocab=f.count("vocab_size", 129280 if v3 else 102400), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", False), notes=notes)


@reader("deepseek_v2")
def _deepseek_v2(f: Fields, name: str) -> ModelSpec:
    return _deepseek(f, name, v3=False)


@reader("deepseek_v3")
def _deepseek_v3(f: Fields, name: str) -> ModelSpec:
    return _deepseek(f, name, v3=True)


def _attention_shape(f: Fields, *, hidden: int, heads: int, layers: int, head: int, kv: int,
                     bias: bool) -> tuple[int, int, int, int, int, bool]:
    """Width, query heads, layers, head_dim, key/value heads and attention biases, with the
    config class's defaults where a field is absent."""
    d, h = f.count("hidden_size", hidden), f.count("num_attention_heads", heads)
    return (d, h, f.count("num_hidden_layers", layers), head_dim(f, d, h, head),
            kv_heads(f, h) if f.has("num_key_value_heads") else kv, f.flag("attention_bias", bias))


@reader("gpt_oss")
def _gpt_oss(f: Fields, name: str) -> ModelSpec:
    # modeling_gpt_oss: biased q/k/v/o, one learned sink logit per head, alternating
    # sliding (128) and global layers; every layer MoE with a biased router and biased
    # gated experts (gate_up and down biases per expert).
    d, heads, n, hd, kv, bias = _attention_shape(f, hidden=2880, heads=64, layers=36, head=64, kv=8, bias=True)
    kinds = layer_types(f, n, lambda i: "sliding_attention" if (i + 1) % 2 else "full_attention")
    window = f.count("sliding_window", 128)
    _, experts = _experts(f, "num_local_experts", "num_experts", default=128)
    k = top_k(f, experts, "num_experts_per_tok" if f.has("num_experts_per_tok") else "experts_per_token", default=4)
    moe = MoE(d, experts, k, f.count("intermediate_size", 2880), router_bias=True, expert_bias=True)
    layers = [(Attention(d, heads, kv, hd, qkv_bias=bias, out_bias=bias, sinks=True,
                         window=window if kind == "sliding_attention" else None), moe, Norm(d, "rms", 2))
              for kind in kinds]
    return language_model(f, name, vocab=f.count("vocab_size", 201088), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", False))


@reader("llama4_text")
def _llama4_text(f: Fields, name: str) -> ModelSpec:
    return llama4_text(f, name)


def llama4_text(f: Fields, name: str) -> ModelSpec:
    # modeling_llama4 (Llama4TextModel): MoE in `moe_layers` (default every
    # interleave_moe_layer_step-th), dense layers of intermediate_size_mlp; the MoE has
    # a bias-free router, routed experts of intermediate_size and one shared expert of the
    # same width; qk norm is a weightless L2 norm; layers with rope use chunked attention
    # (attention_chunk_size), NoPE layers (every no_rope_layer_interval-th) are global.
    d, heads, n, hd, kv, bias = _attention_shape(f, hidden=5120, heads=40, layers=48, head=128, kv=8, bias=False)
    step = f.count("interleave_moe_layer_step", 1)
    moe_at = set(f.int_list("moe_layers", list(range(step - 1, n, step))))
    interval = f.count("no_rope_layer_interval", 4)
    rope = f.int_list("no_rope_layers", []) or [int((i + 1) % interval != 0) for i in range(n)]
    if len(rope) != n:
        raise f.error("no_rope_layers", f"must have {n} entries (one per layer)")
    kinds = layer_types(f, n, lambda i: "chunked_attention" if rope[i] else "full_attention")
    chunk = f.count("attention_chunk_size", 8192)
    _, experts = _experts(f, "num_local_experts", default=16)
    ff = f.count("intermediate_size", 8192)
    moe = MoE(d, experts, top_k(f, experts, default=1), ff, shared_hidden=ff, dense_implementation=True)
    dense = MLP(d, f.count("intermediate_size_mlp", 16384), True, False)
    layers = [(Attention(d, heads, kv, hd, qkv_bias=bias, out_bias=bias,
                         chunk=chunk if kinds[i] == "chunked_attention" else None),
               moe if i in moe_at else dense, Norm(d, "rms", 2)) for i in range(n)]
    return language_model(f, name, vocab=f.count("vocab_size", 202048), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", False))
