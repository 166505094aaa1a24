"""Encoder and encoder-decoder readers: T5 / mT5 and ViT."""
from __future__ import annotations

from ..blocks import Attention, Embedding, Head, Linear, MLP, Norm, PatchEmbedding
from ...boundary.fields import Fields
from ..spec import Layers, ModelSpec, Tower
from .registry import head_dim, reader

#: Whether a T5-family checkpoint ties its lm_head to the shared embedding when its
#: config.json leaves `tie_word_embeddings` out: T5 1.0 configs omit it and tie (t5x
#: t5x/examples/t5/t5_1_0/small.gin, commit 11abdae7ed264eed9181c527c675059947172a4a:
#: `logits_via_embedding = True`); T5 1.1 configs write false (t5_1_1/base.gin, commit
#: 247e27ef8ee90f36c20302fe857629a8dd321f42: `logits_via_embedding = False`); every mT5
#: size trains an untied head (mt5/small.gin, commit 11abdae: `logits_via_embedding = False`).
STORED_TIED_DEFAULT = {"t5": True, "mt5": False}
#: transformers 5 builds both families with the head tied whatever the config says:
#: T5Config / MT5Config pop `tie_word_embeddings` and set it True (transformers 5.25.0
#: configuration_t5.py `__post_init__`: "we tie weights always and force it to be `True`";
#: configuration_mt5.py, likewise at commit 053f59efe493c4f815f39f836494a1f2f73fbe0b:
#: "official weights have False serialized, but we have to tie always"). Counted as built,
#: for both families alike, so parameters equal transformers' own count; a checkpoint that
#: stores its own head (T5 1.1, mT5) is named in a note with the d_model × vocab weights
#: it adds. The logits matmul is counted once either way.
BUILT_TIED = True


@reader("t5", "mt5")
def _t5(f: Fields, name: str) -> ModelSpec:
    # modeling_t5 (T5ForConditionalGeneration): one shared embedding for both stacks; no
    # biases anywhere; T5LayerNorm is RMS-style (a weight only); the first layer of each
    # stack holds the relative-position bias table (buckets x heads); feed_forward_proj
    # "relu" is a plain MLP (wi, wo), "gated-gelu" a gated one (wi_0, wi_1, wo); the
    # decoder adds cross-attention over the encoder output; the lm_head as transformers 5
    # builds it (tied, `BUILT_TIED`), its matmul counted once either way (the logits).
    d, heads, dkv = f.count("d_model", 512), f.count("num_heads", 8), f.count("d_kv", 64)
    ff = f.count("d_ff", 2048)
    proj = f.text("feed_forward_proj", "relu")
    gated = proj.startswith("gated-")
    if proj.removeprefix("gated-") not in ("relu", "gelu", "gelu_new", "silu"):
        raise f.error("feed_forward_proj", f"unknown feed-forward kind {proj!r}")
    buckets = f.count("relative_attention_num_buckets", 32)
    enc_n = f.count("num_layers", 6)
    dec_n = f.count("num_decoder_layers", enc_n)
    vocab = f.count("vocab_size", 32128)
    mlp = MLP(d, ff, gated, False)

    def self_attn(first: bool, causal: bool) -> Attention:
        return Attention(d, heads, heads, dkv, relative_buckets=buckets if first else 0, causal=causal)

    def stack(n: int, blocks) -> tuple[Layers, ...]:
        groups = [Layers(1, blocks(True))]
        return tuple(groups + ([Layers(n - 1, blocks(False))] if n > 1 else []))

    encoder = Tower("encoder", (Embedding(vocab, d),),
                    stack(enc_n, lambda first: (self_attn(first, False), mlp, Norm(d, "rms", 2))),
                    (Norm(d, "rms"),))
    cross = Attention(d, heads, heads, dkv, causal=False, cross=True)
    family = f.data.get("model_type", "t5")
    stored_tied = f.flag("tie_word_embeddings", STORED_TIED_DEFAULT.get(family, True))
    decoder = Tower("decoder", (), stack(dec_n, lambda first: (self_attn(first, True), cross, mlp, Norm(d, "rms", 3))),
                    (Norm(d, "rms"), Head(d, vocab, BUILT_TIED)), input="target")
    notes = (f"lm_head tied to the shared embedding, as transformers 5 builds {family} (it forces "
             f"tie_word_embeddings true); this checkpoint stores a separate lm_head (tie_word_embeddings "
             f"false), {d:,} × {vocab:,} = {d * vocab:,} more parameters than counted; the logits matmul is "
             "counted once either way",) if stored_tied != BUILT_TIED else ()
    return ModelSpec(name, (encoder, decoder), source=f.source or "", notes=notes)


@reader("vit")
def _vit(f: Fields, name: str) -> ModelSpec:
    # modeling_vit (ViTForImageClassification): conv patch embedding with bias, class token,
    # learned positions for patches + class token, pre-norm layers (LayerNorm) with biased
    # q/k/v (qkv_bias) and biased output/MLP, final LayerNorm, a biased classifier over the
    # labels (num_labels, or the size of id2label). Its sequence is the image: (image /
    # patch)² patches + 1 class token; no pooler (ViTForImageClassification omits it); the
    # classifier reads the class token only.
    d, heads = f.count("hidden_size", 768), f.count("num_attention_heads", 12)
    image, patch = f.count("image_size", 224), f.count("patch_size", 16)
    patches = (image // patch) ** 2
    if f.has("id2label") and not isinstance(f.raw("id2label"), dict):
        raise f.error("id2label", "must be a mapping of label ids to names")
    labels = len(f.raw("id2label")) if f.has("id2label") else f.count("num_labels", 2)
    qkv_bias = f.flag("qkv_bias", True)
    stem = (PatchEmbedding(f.count("num_channels", 3), patch, d, positions=patches + 1, cls_token=True),)
    layer = (Attention(d, heads, heads, head_dim(f, d, heads), qkv_bias=qkv_bias, out_bias=True, causal=False),
             MLP(d, f.count("intermediate_size", 3072), False, True), Norm(d, "layer", 2))
    head = (Norm(d, "layer"), Linear(d, labels, bias=True, category="logits", name="classifier", once=True))
    tower = Tower("vision", stem, (Layers(f.count("num_hidden_layers", 12), layer),), head)
    return ModelSpec(name, (tower,), causal=False, source=f.source or "", fixed_seq_len=patches + 1)
