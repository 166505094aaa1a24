"""Dense transformer readers: Llama-style decoders and their 2023-2026 relatives, the
GPT-2 / NeoX / Falcon / Phi lineage, and BERT. Each cites the transformers module whose
structure it mirrors; defaults are the config classes' defaults."""
from __future__ import annotations

from ..blocks import Attention, MLP, Norm
from ...boundary.fields import Fields
from ..spec import ModelSpec, decoder
from .registry import head_dim, kv_heads, language_model, layer_types, reader


def llama_fields(f: Fields, name: str, *, kv_required: bool, **overrides) -> dict:
    """Llama-style decoder: RMSNorm, gated MLP, rotary positions, optional GQA."""
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    bias = f.flag("attention_bias", False)
    fields = dict(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads,
        n_kv_heads=kv_heads(f, heads, required=kv_required), head_dim=head_dim(f, d, heads),
        d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"), mlp="gated", norm="rms",
        tied_embeddings=f.flag("tie_word_embeddings", False), qkv_bias=bias, out_bias=bias,
        mlp_bias=f.flag("mlp_bias", False), source=f.source or "",
    )
    fields.update(overrides)
    return fields


def windowed_decoder(f: Fields, name: str, fields: dict, windows: list[int | None], *,
                     q_norm: int = 0, k_norm: int = 0, norms: int = 2, chunk: list[int | None] | None = None) -> ModelSpec:
    """A Llama-style decoder whose layers differ only in their attention window / chunk,
    with optional q/k norms and norms per layer (Gemma 2/3: 4, OLMo 2: 2 post-norms)."""
    d = fields["d_model"]
    layers = []
    for i, window in enumerate(windows):
        attn = Attention(d, fields["n_heads"], fields["n_kv_heads"], fields["head_dim"], qkv_bias=fields["qkv_bias"],
                         out_bias=fields["out_bias"], q_norm=q_norm, k_norm=k_norm, window=window,
                         chunk=chunk[i] if chunk else None)
        layers.append((attn, MLP(d, fields["d_ff"], True, fields["mlp_bias"]), Norm(d, "rms", norms)))
    return language_model(f, name, vocab=fields["vocab_size"], width=d, layers=layers,
                          tied=fields["tied_embeddings"])


def sliding(f: Fields, n: int, default) -> list[int | None]:
    """Per-layer sliding window from `layer_types` (or the family's default pattern)."""
    kinds = layer_types(f, n, default)
    window = f.count("sliding_window", None) if any(k == "sliding_attention" for k in kinds) else None
    if any(k == "sliding_attention" for k in kinds) and window is None:
        raise f.error("sliding_window", "required: layer_types has sliding_attention layers")
    return [window if k == "sliding_attention" else None for k in kinds]


@reader("llama")
def _llama(f: Fields, name: str) -> ModelSpec:
    return decoder(**llama_fields(f, name, kv_required=False))


@reader("mistral")
def _mistral(f: Fields, name: str) -> ModelSpec:
    # MistralConfig.sliding_window defaults to 4096 and applies to every layer.
    fields = llama_fields(f, name, kv_required=True, qkv_bias=False, out_bias=False, mlp_bias=False)
    window = f.count("sliding_window", 4096) if f.data.get("sliding_window", 0) is not None else None
    return windowed_decoder(f, name, fields, [window] * fields["n_layers"])


@reader("qwen2")
def _qwen2(f: Fields, name: str) -> ModelSpec:
    # Qwen2 always has q/k/v biases and none on o_proj (modeling_qwen2.Qwen2Attention); a
    # layer slides iff use_sliding_window and i >= max_window_layers (Qwen2Config).
    fields = llama_fields(f, name, kv_required=True, qkv_bias=True, out_bias=False, mlp_bias=False)
    if not f.flag("use_sliding_window", False):
        return decoder(**fields)
    start = f.count("max_window_layers", 28, allow_zero=True)
    windows = sliding(f, fields["n_layers"], lambda i: "sliding_attention" if i >= start else "full_attention")
    return windowed_decoder(f, name, fields, windows)


@reader("qwen3")
def _qwen3(f: Fields, name: str) -> ModelSpec:
    # modeling_qwen3: Llama + RMSNorm q_norm/k_norm over head_dim; head_dim defaults to 128;
    # sliding only with use_sliding_window, for layers >= max_window_layers (Qwen3Config).
    fields = llama_fields(f, name, kv_required=False, head_dim=f.count("head_dim", 128))
    n, hd = fields["n_layers"], fields["head_dim"]
    if f.flag("use_sliding_window", False):
        start = f.count("max_window_layers", 28, allow_zero=True)
        windows = sliding(f, n, lambda i: "sliding_attention" if i >= start else "full_attention")
    else:
        windows = [None] * n
    return windowed_decoder(f, name, fields, windows, q_norm=hd, k_norm=hd)


@reader("gemma")
def _gemma1(f: Fields, name: str) -> ModelSpec:
    # Gemma: head_dim is its own field (256 by default), embeddings tied by default.
    bias = f.flag("attention_bias", False)
    return decoder(**llama_fields(f, name, kv_required=True, head_dim=f.count("head_dim", 256), qkv_bias=bias,
                                  out_bias=bias, mlp_bias=False, tied_embeddings=f.flag("tie_word_embeddings", True)))


def _gemma_fields(f: Fields, name: str, vocab: int) -> dict:
    # Gemma2Config / Gemma3TextConfig defaults: the 2B sizes, head_dim 256, tied embeddings.
    d = f.count("hidden_size", 2304)
    heads = f.count("num_attention_heads", 8)
    bias = f.flag("attention_bias", False)
    return dict(name=name, n_layers=f.count("num_hidden_layers", 26), d_model=d, n_heads=heads,
                n_kv_heads=kv_heads(f, heads) if f.has("num_key_value_heads") else 4,
                head_dim=f.count("head_dim", 256), d_ff=f.count("intermediate_size", 9216),
                vocab_size=f.count("vocab_size", vocab), tied_embeddings=f.flag("tie_word_embeddings", True),
                qkv_bias=bias, out_bias=bias, mlp_bias=False, source=f.source or "")


@reader("gemma2")
def _gemma2(f: Fields, name: str) -> ModelSpec:
    # modeling_gemma2: sandwich norms (input, post-attention, pre- and post-feedforward:
    # 4 RMSNorms a layer); even layers slide (window 4096 by default), odd layers global.
    return _gemma(f, name, 256000, pattern=2, qk_norm=False)


@reader("gemma3_text")
def _gemma3_text(f: Fields, name: str) -> ModelSpec:
    # modeling_gemma3: Gemma 2's four norms plus RMSNorm q_norm/k_norm over head_dim; every
    # sliding_window_pattern-th layer (6) is global, the others slide (window 4096 default).
    return gemma3_text(f, name)


def gemma3_text(f: Fields, name: str) -> ModelSpec:
    return _gemma(f, name, 262208, pattern=f.count("sliding_window_pattern", 6), qk_norm=True)


def _gemma(f: Fields, name: str, vocab: int, *, pattern: int, qk_norm: bool) -> ModelSpec:
    fields = _gemma_fields(f, name, vocab)
    n, hd = fields["n_layers"], fields["head_dim"]
    kinds = layer_types(f, n, lambda i: "sliding_attention" if (i + 1) % pattern else "full_attention")
    window = f.count("sliding_window", 4096)
    windows = [window if k == "sliding_attention" else None for k in kinds]
    return windowed_decoder(f, name, fields, windows, q_norm=hd if qk_norm else 0, k_norm=hd if qk_norm else 0,
                            norms=4)


@reader("phi3")
def _phi3(f: Fields, name: str) -> ModelSpec:
    # modeling_phi3 (Phi-3, Phi-3.5, Phi-4): fused qkv_proj and gate_up_proj (the same
    # weights as separate matrices), no biases, RMSNorm; a sliding_window, when set,
    # applies to every layer.
    fields = llama_fields(f, name, kv_required=False, qkv_bias=False, out_bias=False, mlp_bias=False)
    window = f.count("sliding_window", None)
    return windowed_decoder(f, name, fields, [window] * fields["n_layers"])


@reader("olmo2")
def _olmo2(f: Fields, name: str) -> ModelSpec:
    # modeling_olmo2: no pre-norms; post-attention and post-feedforward RMSNorms; q_norm
    # over all query heads, k_norm over all key heads (not per head).
    fields = llama_fields(f, name, kv_required=False)
    q, kv = fields["n_heads"] * fields["head_dim"], fields["n_kv_heads"] * fields["head_dim"]
    return windowed_decoder(f, name, fields, [None] * fields["n_layers"], q_norm=q, k_norm=kv)


@reader("gpt2")
def _gpt2(f: Fields, name: str) -> ModelSpec:
    # Conv1D layers with biases, LayerNorm, learned positions, head tied to wte.
    d, heads = f.count("n_embd"), f.count("n_head")
    return decoder(
        name=name, n_layers=f.count("n_layer"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=head_dim(f, d, heads), d_ff=f.count("n_inner", 4 * d), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer",
        tied_embeddings=f.flag("tie_word_embeddings", True), positions=f.count("n_positions", 1024),
        source=f.source or "")


@reader("gpt_neox")
def _gpt_neox(f: Fields, name: str) -> ModelSpec:
    # Parallel residual and partial rotary change neither parameters nor matmul FLOP:
    # both norms exist either way and rotary has no weights.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    bias = f.flag("attention_bias", True)
    return decoder(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=head_dim(f, d, heads), d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=bias, out_bias=bias, mlp_bias=True, norm="layer",
        tied_embeddings=f.flag("tie_word_embeddings", False), source=f.source or "")


@reader("falcon", "RefinedWeb", "RefinedWebModel")
def _falcon(f: Fields, name: str) -> ModelSpec:
    # K/V heads: num_kv_heads in the new decoder architecture (Falcon-40B/180B), a single
    # shared head with multi_query (Falcon-7B), else full MHA (modeling_falcon.FalconAttention).
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    new_arch = f.flag("new_decoder_architecture", False)
    multi_query = f.flag("multi_query", True)
    kv = kv_heads(f, heads, name="num_kv_heads") if (new_arch or not multi_query) else 1
    parallel = f.flag("parallel_attn", True)
    n_ln = f.count("num_ln_in_parallel_attn", 2 if new_arch else 1)
    bias = f.flag("bias", False)
    return decoder(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=kv,
        head_dim=head_dim(f, d, heads), d_ff=f.count("ffn_hidden_size", 4 * d), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=bias, out_bias=bias, mlp_bias=bias, norm="layer",
        norms_per_layer=2 if (not parallel or n_ln == 2) else 1,
        tied_embeddings=f.flag("tie_word_embeddings", True), source=f.source or "")


@reader("phi")
def _phi(f: Fields, name: str) -> ModelSpec:
    # Phi-1/1.5/2: parallel block with one LayerNorm, biased projections, biased lm_head.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    return decoder(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads,
        n_kv_heads=kv_heads(f, heads), head_dim=head_dim(f, d, heads),
        d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"), mlp="plain",
        qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer", norms_per_layer=1,
        qk_norm_dim=d // heads if f.flag("qk_layernorm", False) else 0,
        tied_embeddings=f.flag("tie_word_embeddings", False), lm_head_bias=True, source=f.source or "")


@reader("bert")
def _bert(f: Fields, name: str) -> ModelSpec:
    # Counted as BertForMaskedLM: encoder + MLM head (transform + decoder tied to the
    # word embeddings, with its own bias); no pooler, which MLM pre-training does not use.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    return decoder(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=head_dim(f, d, heads), d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer", final_norm=False,
        tied_embeddings=f.flag("tie_word_embeddings", True), lm_head_bias=True,
        positions=f.count("max_position_embeddings", 512), token_types=f.count("type_vocab_size", 2),
        embedding_norm=True, head_transform=True, causal=False, source=f.source or "")
