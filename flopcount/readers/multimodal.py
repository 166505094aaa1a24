"""Vision-language readers: a vision tower and a projector beside a language model, each
reported apart; `ModelSpec.image_tokens` is how many positions an image takes in the
language model's sequence."""
from __future__ import annotations

from dataclasses import replace

from ..blocks import Attention, Linear, MLP, Norm, PatchEmbedding
from ..fields import Fields
from ..spec import Layers, ModelSpec, Tower
from . import reader
from .decoders import gemma3_text


def siglip_tower(f: Fields) -> Tower:
    """SigLIP vision encoder as Gemma 3 uses it (modeling_siglip.SiglipVisionTransformer,
    vision_use_head false): conv patch embedding with bias, learned positions, pre-norm
    layers with biased q/k/v/o and a biased plain MLP, a final LayerNorm."""
    d, heads = f.count("hidden_size", 768), f.count("num_attention_heads", 12)
    patches = (f.count("image_size", 224) // f.count("patch_size", 16)) ** 2
    if f.flag("vision_use_head", True):
        raise f.error("vision_use_head", "a SigLIP pooling head is not modelled (Gemma 3 sets it false)")
    stem = (PatchEmbedding(f.count("num_channels", 3), f.count("patch_size", 16), d, positions=patches),)
    layer = (Attention(d, heads, heads, d // heads, qkv_bias=True, out_bias=True, causal=False),
             MLP(d, f.count("intermediate_size", 3072), False, True), Norm(d, "layer", 2))
    return Tower("vision", stem, (Layers(f.count("num_hidden_layers", 12), layer),), (Norm(d, "layer"),),
                 input="image", image_tokens=patches)


@reader("gemma3")
def _gemma3(f: Fields, name: str) -> ModelSpec:
    # modeling_gemma3 (Gemma3ForConditionalGeneration): SigLIP tower; the projector
    # average-pools the patches to mm_tokens_per_image (256) and applies an RMSNorm and one
    # bias-free (vision x text) matrix; the Gemma 3 text model reads those tokens in its
    # sequence; lm_head tied to the text embedding.
    text = gemma3_text(f.sub("text_config"), name)
    vision = siglip_tower(f.sub("vision_config"))
    tokens = f.count("mm_tokens_per_image", 256)
    dv, dt = vision.stem[0].width, text.d_model  # type: ignore[attr-defined]
    projector = Tower("projector", head=(Norm(dv, "rms"), Linear(dv, dt, name="mm_input_projection")),
                      input="image", image_tokens=tokens)
    return replace(text, towers=(vision, projector, *text.towers), image_tokens=tokens, source=f.source or "")
