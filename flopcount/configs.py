"""Model config files -> `ModelSpec`.

Two formats: HuggingFace `config.json` (one reader per `model_type`, registered with
`@reader`) and flopcount's own plain spec (`flopcount_spec: 1`, JSON or YAML). Field
defaults follow the transformers config classes, so a minimal config.json counts the same
model transformers would build; fields whose transformers default is tied to one model
size (e.g. Mistral's `num_key_value_heads = 8`) are required instead of guessed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .fields import Fields, load_mapping
from .spec import MLP_KINDS, NORM_KINDS, ModelSpec

Reader = Callable[[Fields, str], ModelSpec]
READERS: dict[str, Reader] = {}


def reader(*model_types: str) -> Callable[[Reader], Reader]:
    """Register a config.json reader for HuggingFace `model_type` values."""
    def register(fn: Reader) -> Reader:
        for model_type in model_types:
            if not isinstance(model_type, str) or model_type in READERS:
                raise ValueError(f"reader for {model_type!r} is not a new string key")
            READERS[model_type] = fn
        return fn
    return register


def _head_dim(f: Fields, d: int, heads: int) -> int:
    if f.has("head_dim"):
        return f.count("head_dim")
    if d % heads:
        raise f.error("num_attention_heads", f"hidden_size {d} is not divisible by {heads} heads; give head_dim")
    return d // heads


def _decoder(f: Fields, name: str, *, kv_required: bool, **overrides) -> ModelSpec:
    """Llama-style decoder: RMSNorm, gated MLP, rotary positions, optional GQA."""
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    kv = f.count("num_key_value_heads") if kv_required else f.count("num_key_value_heads", heads)
    fields = dict(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=kv,
        head_dim=_head_dim(f, d, heads), d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"),
        mlp="gated", norm="rms", tied_embeddings=f.flag("tie_word_embeddings", False),
        qkv_bias=f.flag("attention_bias", False), out_bias=f.flag("attention_bias", False),
        mlp_bias=f.flag("mlp_bias", False), source=f.source or "",
    )
    fields.update(overrides)
    return ModelSpec(**fields)


@reader("llama")
def _llama(f: Fields, name: str) -> ModelSpec:
    return _decoder(f, name, kv_required=False)


@reader("mistral")
def _mistral(f: Fields, name: str) -> ModelSpec:
    return _decoder(f, name, kv_required=True, qkv_bias=False, out_bias=False, mlp_bias=False)


@reader("qwen2")
def _qwen2(f: Fields, name: str) -> ModelSpec:
    # Qwen2 always has q/k/v biases and none on o_proj (modeling_qwen2.Qwen2Attention).
    return _decoder(f, name, kv_required=True, qkv_bias=True, out_bias=False, mlp_bias=False)


@reader("gemma")
def _gemma(f: Fields, name: str) -> ModelSpec:
    # Gemma: head_dim is its own field (256 by default), embeddings tied by default.
    head_dim = f.count("head_dim", 256)
    bias = f.flag("attention_bias", False)
    return _decoder(f, name, kv_required=True, head_dim=head_dim, qkv_bias=bias, out_bias=bias,
                    mlp_bias=False, tied_embeddings=f.flag("tie_word_embeddings", True))


@reader("mixtral")
def _mixtral(f: Fields, name: str) -> ModelSpec:
    # Every layer is sparse; `intermediate_size` is the width of one expert.
    layers = f.count("num_hidden_layers")
    return _decoder(f, name, kv_required=True, qkv_bias=False, out_bias=False, mlp_bias=False,
                    n_experts=f.count("num_local_experts", 8), top_k=f.count("num_experts_per_tok", 2),
                    d_ff_expert=f.count("intermediate_size"), moe_layers=layers)


@reader("qwen2_moe")
def _qwen2_moe(f: Fields, name: str) -> ModelSpec:
    # Layer i is sparse iff i not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0
    # (modeling_qwen2_moe.Qwen2MoeDecoderLayer); the others use a dense MLP.
    layers = f.count("num_hidden_layers")
    experts = f.count("num_experts", 60, allow_zero=True)
    step = f.count("decoder_sparse_step", 1)
    dense_only = set(f.int_list("mlp_only_layers", []))
    is_sparse = lambda i: (i + 1) % step == 0  # noqa: E731
    sparse = 0 if experts == 0 else layers // step - sum(1 for i in dense_only if 0 <= i < layers and is_sparse(i))
    shared = f.count("shared_expert_intermediate_size", 5632, allow_zero=True)
    return _decoder(f, name, kv_required=True, qkv_bias=f.flag("qkv_bias", True), out_bias=False, mlp_bias=False,
                    n_experts=experts, top_k=f.count("num_experts_per_tok", 4),
                    d_ff_expert=f.count("moe_intermediate_size", 1408), moe_layers=sparse,
                    shared_expert_d_ff=shared, shared_expert_gate=True)  # the gate exists even at width 0


@reader("gpt2")
def _gpt2(f: Fields, name: str) -> ModelSpec:
    # Conv1D layers with biases, LayerNorm, learned positions, head tied to wte.
    d, heads = f.count("n_embd"), f.count("n_head")
    return ModelSpec(
        name=name, n_layers=f.count("n_layer"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=_head_dim(f, d, heads), d_ff=f.count("n_inner", 4 * d), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer",
        tied_embeddings=f.flag("tie_word_embeddings", True), positions=f.count("n_positions", 1024),
        source=f.source or "")


@reader("gpt_neox")
def _gpt_neox(f: Fields, name: str) -> ModelSpec:
    # Parallel residual and partial rotary change neither parameters nor matmul FLOP:
    # both norms exist either way and rotary has no weights.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    bias = f.flag("attention_bias", True)
    return ModelSpec(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=_head_dim(f, d, heads), d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=bias, out_bias=bias, mlp_bias=True, norm="layer",
        tied_embeddings=f.flag("tie_word_embeddings", False), source=f.source or "")


@reader("falcon", "RefinedWeb", "RefinedWebModel")
def _falcon(f: Fields, name: str) -> ModelSpec:
    # K/V heads: num_kv_heads in the new decoder architecture (Falcon-40B/180B), a single
    # shared head with multi_query (Falcon-7B), else full MHA (modeling_falcon.FalconAttention).
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    new_arch = f.flag("new_decoder_architecture", False)
    multi_query = f.flag("multi_query", True)
    kv = f.count("num_kv_heads", heads) if (new_arch or not multi_query) else 1
    parallel = f.flag("parallel_attn", True)
    n_ln = f.count("num_ln_in_parallel_attn", 2 if new_arch else 1)
    bias = f.flag("bias", False)
    return ModelSpec(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=kv,
        head_dim=_head_dim(f, d, heads), d_ff=f.count("ffn_hidden_size", 4 * d), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=bias, out_bias=bias, mlp_bias=bias, norm="layer",
        norms_per_layer=2 if (not parallel or n_ln == 2) else 1,
        tied_embeddings=f.flag("tie_word_embeddings", True), source=f.source or "")


@reader("phi")
def _phi(f: Fields, name: str) -> ModelSpec:
    # Phi-1/1.5/2: parallel block with one LayerNorm, biased projections, biased lm_head.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    return ModelSpec(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads,
        n_kv_heads=f.count("num_key_value_heads", heads), head_dim=_head_dim(f, d, heads),
        d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"), mlp="plain",
        qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer", norms_per_layer=1,
        qk_norm_dim=d // heads if f.flag("qk_layernorm", False) else 0,
        tied_embeddings=f.flag("tie_word_embeddings", False), lm_head_bias=True, source=f.source or "")


@reader("bert")
def _bert(f: Fields, name: str) -> ModelSpec:
    # Counted as BertForMaskedLM: encoder + MLM head (transform + decoder tied to the
    # word embeddings, with its own bias); no pooler, which MLM pre-training does not use.
    d, heads = f.count("hidden_size"), f.count("num_attention_heads")
    return ModelSpec(
        name=name, n_layers=f.count("num_hidden_layers"), d_model=d, n_heads=heads, n_kv_heads=heads,
        head_dim=_head_dim(f, d, heads), d_ff=f.count("intermediate_size"), vocab_size=f.count("vocab_size"),
        mlp="plain", qkv_bias=True, out_bias=True, mlp_bias=True, norm="layer", final_norm=False,
        tied_embeddings=f.flag("tie_word_embeddings", True), lm_head_bias=True,
        positions=f.count("max_position_embeddings", 512), token_types=f.count("type_vocab_size", 2),
        embedding_norm=True, head_transform=True, causal=False, source=f.source or "")


NATIVE_KEY = "flopcount_spec"
NATIVE_FIELDS = {
    NATIVE_KEY: "format version (1)",
    "name": "model name",
    "n_layers": "transformer blocks",
    "d_model": "residual width",
    "n_heads": "query heads",
    "n_kv_heads": "key/value heads (default n_heads)",
    "head_dim": "per-head width (default d_model / n_heads)",
    "d_ff": "dense MLP hidden width",
    "vocab_size": "vocabulary size",
    "mlp": "gated (3 matrices) or plain (2)",
    "norm": "rms or layer",
    "tied_embeddings": "output head shares the embedding matrix",
    "causal": "decoder (true) or encoder (false)",
    "positions": "learned position embedding rows",
    "n_experts": "routed experts per MoE layer",
    "top_k": "experts per token",
    "d_ff_expert": "hidden width of one expert",
    "moe_layers": "number of MoE layers (default all when n_experts > 0)",
    "shared_expert_d_ff": "always-on shared expert width",
}


def _native(f: Fields) -> ModelSpec:
    """flopcount's own format: the fields of `NATIVE_FIELDS`, biases off."""
    f.only(NATIVE_FIELDS)
    version = f.count(NATIVE_KEY)
    if version != 1:
        raise f.error(NATIVE_KEY, f"unsupported version {version}; this flopcount reads version 1")
    d, heads = f.count("d_model"), f.count("n_heads")
    layers = f.count("n_layers")
    experts = f.count("n_experts", 0, allow_zero=True)
    spec = ModelSpec(
        name=f.text("name", Path(f.source or "model").stem), n_layers=layers, d_model=d, n_heads=heads,
        n_kv_heads=f.count("n_kv_heads", heads), head_dim=_head_dim(f, d, heads), d_ff=f.count("d_ff", 4 * d),
        vocab_size=f.count("vocab_size"), mlp=f.choice("mlp", MLP_KINDS, "gated"),
        norm=f.choice("norm", NORM_KINDS, "rms"), tied_embeddings=f.flag("tied_embeddings", False),
        causal=f.flag("causal", True), positions=f.count("positions", 0, allow_zero=True),
        n_experts=experts, top_k=f.count("top_k", 2 if experts else 0, allow_zero=True),
        d_ff_expert=f.count("d_ff_expert", f.count("d_ff", 4 * d) if experts else 0, allow_zero=True),
        moe_layers=f.count("moe_layers", layers if experts else 0, allow_zero=True),
        shared_expert_d_ff=f.count("shared_expert_d_ff", 0, allow_zero=True), source=f.source or "")
    if spec.moe_layers > layers:
        raise f.error("moe_layers", f"{spec.moe_layers} exceeds n_layers {layers}")
    if experts and not 0 < spec.top_k <= experts:
        raise f.error("top_k", f"must be between 1 and n_experts ({experts}), got {spec.top_k}")
    return spec


def _check(spec: ModelSpec, f: Fields) -> ModelSpec:
    """Cross-field checks shared by every format."""
    if spec.n_heads % spec.n_kv_heads:
        raise f.error("num_key_value_heads",
                      f"{spec.n_kv_heads} key/value heads do not divide {spec.n_heads} query heads")
    if spec.n_experts and spec.top_k > spec.n_experts:
        raise f.error("num_experts_per_tok", f"top-k {spec.top_k} exceeds {spec.n_experts} experts")
    return spec


def spec_from_mapping(data: dict, source: str | None = None, name: str | None = None) -> ModelSpec:
    """A `ModelSpec` from an already-parsed config mapping (HF config.json or native)."""
    f = Fields(data, source)
    if NATIVE_KEY in data:
        return _check(_native(f), f)
    if "model_type" not in data:
        raise f.error("model_type", "missing: not a HuggingFace config.json (no model_type) nor a "
                      f"flopcount spec (no {NATIVE_KEY}). " + _alternatives())
    model_type = data["model_type"]
    if not isinstance(model_type, str) or model_type not in READERS:
        raise f.error("model_type", f"unsupported architecture {model_type!r}. " + _alternatives())
    return _check(READERS[model_type](f, name or _label(source, model_type)), f)


def _label(source: str | None, model_type: str) -> str:
    """A model's display name: its folder for `.../NAME/config.json`, else the file stem."""
    if not source:
        return model_type
    path = Path(source)
    return path.parent.name or path.stem if path.name == "config.json" else path.stem


def _alternatives() -> str:
    return (f"Supported model_type values: {', '.join(sorted(READERS, key=str.lower))}. For another architecture, "
            f"write a flopcount spec file ({NATIVE_KEY}: 1, n_layers, d_model, n_heads, ...) or give the "
            "parameter count directly with --params N --tokens D.")


def load_spec(path: str | Path, name: str | None = None) -> ModelSpec:
    """Read a model config file (HF config.json or flopcount spec, JSON or YAML)."""
    return spec_from_mapping(load_mapping(path), str(path), name)
