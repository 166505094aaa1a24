"""Encoder and encoder-decoder readers: T5 / mT5 and ViT."""
from __future__ import annotations

from ..blocks import Attention, Embedding, Head, Linear, MLP, Norm, PatchEmbedding
from ..fields import Fields
from ..spec import Layers, ModelSpec, Tower
from . import head_dim, reader


@reader("t5", "mt5")
def _t5(f: Fields, name: str) -> ModelSpec:
    # modeling_t5 (T5ForConditionalGeneration): one shared embedding for both stacks; no
    # biases anywhere; T5LayerNorm is RMS-style (a weight only); the first layer of each
    # stack holds the relative-position bias table (buckets x heads); feed_forward_proj
    # "relu" is a plain MLP (wi, wo), "gated-gelu" a gated one (wi_0, wi_1, wo); the
    # decoder adds cross-attention over the encoder output; lm_head tied by default.
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
    # transformers 5 builds MT5 with tie_word_embeddings forced true ("official weights have
    # False serialized, but we have to tie always", configuration_mt5.py): counted as built.
    tied = True if f.data.get("model_type") == "mt5" else f.flag("tie_word_embeddings", True)
    decoder = Tower("decoder", (), stack(dec_n, lambda first: (self_attn(first, True), cross, mlp, Norm(d, "rms", 3))),
                    (Norm(d, "rms"), Head(d, vocab, tied)), input="target")
    notes = ("lm_head tied to the shared embedding, as transformers 5 builds MT5 (it forces "
             "tie_word_embeddings); published mT5 checkpoints store a separate lm_head",) \
        if f.data.get("model_type") == "mt5" and not f.flag("tie_word_embeddings", True) else ()
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
