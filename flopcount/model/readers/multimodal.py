"""Vision-language readers: a vision tower and a projector beside a language model, each
reported apart; `ModelSpec.image_tokens` is how many positions an image takes in the
language model's sequence."""
from __future__ import annotations

from dataclasses import replace
from functools import partial

from ..blocks import Attention, Linear, MLP, Norm, PatchEmbedding
from ...data import assumptions
from ...boundary.fields import Fields
from ..spec import Layers, ModelSpec, Tower
from .registry import READERS, reader, runs
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


def _qwen_vl(f: Fields, name: str, *, v25: bool) -> ModelSpec:
    # modeling_qwen2_vl / modeling_qwen2_5_vl: a Conv3d patch embedding without bias over
    # temporal_patch_size frames (a still image is repeated), rotary (no learned
    # positions), pre-norm blocks with fused biased qkv and biased proj; Qwen2-VL: LayerNorm
    # and a plain MLP (mlp_ratio · width, biases); Qwen2.5-VL: RMSNorm, a gated MLP with
    # biases, and window attention (window_size px) except in fullatt_block_indexes. The
    # merger (projector) norms each patch, concatenates spatial_merge_size² of them and
    # applies two biased matrices; the language model is Qwen2 (q/k/v biases).
    v = f.sub("vision_config")
    text = f.sub("text_config") if f.has("text_config") else f
    lm = READERS["qwen2"](text, name)
    d = v.count("hidden_size", 1280) if v25 else v.count("embed_dim", 1280)
    out = v.count("out_hidden_size", 3584) if v25 else v.count("hidden_size", 3584)
    heads, patch, merge = v.count("num_heads", 16), v.count("patch_size", 14), v.count("spatial_merge_size", 2)
    size = v.count("image_size", assumptions.QWEN_VL_IMAGE_SIZE)
    if size % (patch * merge):
        raise v.error("image_size", f"{size} px is not a multiple of patch_size · spatial_merge_size "
                                    f"({patch * merge} px), as the Qwen-VL processor resizes images to")
    patches = (size // patch) ** 2
    norm = "rms" if v25 else "layer"
    stem = (PatchEmbedding(v.count("in_channels", 3), patch, d, temporal=v.count("temporal_patch_size", 2),
                           bias=False),)
    mlp = (MLP(d, v.count("intermediate_size", 3420), True, True) if v25
           else MLP(d, v.count("mlp_ratio", 4) * d, False, True))
    depth = v.count("depth", 32)

    def block(window: int | None) -> tuple:
        return (Attention(d, heads, heads, d // heads, qkv_bias=True, out_bias=True, causal=False, segment=window),
                mlp, Norm(d, norm, 2))
    if v25:
        full = set(v.int_list("fullatt_block_indexes", [7, 15, 23, 31]))
        window = v.count("window_size", 112)
        if size % window:
            raise v.error("image_size", f"{size} px is not a multiple of window_size ({window} px); "
                                        "only whole windows are modelled")
        side = window // patch  # patches per window side
        windows = [None if i in full else min(side * side, patches) for i in range(depth)]
    else:
        windows = [None] * depth
    layers = tuple(Layers(n, block(w)) for n, w in runs(windows))  # type: ignore[arg-type]
    vision = Tower("vision", stem, layers, input="image", image_tokens=patches)
    tokens = patches // merge ** 2
    wide = d * merge ** 2
    projector = Tower("projector", head=(Norm(d, norm), Linear(wide, wide, bias=True, name="merger.mlp.0"),
                                         Linear(wide, out, bias=True, name="merger.mlp.2")),
                      input="image", image_tokens=tokens)
    note = (f"vision tower counted for a {size}×{size} px image ({patches} patches, {tokens} language-model "
            "tokens); Qwen-VL reads images at their native resolution, so give the size you train at as "
            "vision_config.image_size",)
    return replace(lm, towers=(vision, projector, *lm.towers), image_tokens=tokens, source=f.source or "",
                   notes=lm.notes + note)


reader("qwen2_vl")(partial(_qwen_vl, v25=False))
reader("qwen2_5_vl")(partial(_qwen_vl, v25=True))


@reader("llama4")
def _llama4(f: Fields, name: str) -> ModelSpec:
    # modeling_llama4 (Llama4ForConditionalGeneration): the vision model unfolds each
    # image tile into patches and applies one bias-free matrix, appends a class token, adds
    # learned positions (patches + 1), a LayerNorm before and after 34 pre-norm layers
    # (LayerNorm, biased q/k/v/o, biased plain MLP); the class token is dropped, a pixel
    # shuffle folds ratio⁻² neighbours into one token and a two-matrix bias-free MLP
    # (intermediate_size → projector_input_dim → projector_output_dim) and the bias-free
    # multi-modal projector (vision_output_dim → text width) follow. Each 336 px tile
    # (a large image is several tiles plus a global view) gives 144 language-model tokens.
    from .moe import llama4_text
    text = llama4_text(f.sub("text_config"), name)
    v = f.sub("vision_config")
    d, heads = v.count("hidden_size", 768), v.count("num_attention_heads", 16)
    size, patch = v.count("image_size", 448), v.count("patch_size", 14)
    if size % patch:
        raise v.error("image_size", f"{size} px is not a multiple of patch_size ({patch} px)")
    ratio = v.positive("pixel_shuffle_ratio", 0.5)
    side = size // patch
    shuffled = side * ratio
    if shuffled != int(shuffled) or (1 / ratio) != int(1 / ratio):
        raise v.error("pixel_shuffle_ratio", f"{ratio} must be 1/n and divide {side} patches per side")
    patches, tokens = side * side, int(shuffled) ** 2
    stem = (PatchEmbedding(v.count("num_channels", 3), patch, d, bias=False, positions=patches + 1, cls_token=True),
            Norm(d, "layer"))
    layer = (Attention(d, heads, heads, d // heads, qkv_bias=True, out_bias=True, causal=False),
             MLP(d, v.count("intermediate_size", 5632), False, True), Norm(d, "layer", 2))
    vision = Tower("vision", stem, (Layers(v.count("num_hidden_layers", 34), layer),), (Norm(d, "layer"),),
                   input="image", image_tokens=patches + 1)
    project_in, project_out = v.count("projector_input_dim", 4096), v.count("projector_output_dim", 4096)
    projector = Tower("projector", head=(
        Linear(v.count("intermediate_size", 5632), project_in, name="vision_adapter.mlp.fc1"),
        Linear(project_out, project_out, name="vision_adapter.mlp.fc2"),
        Linear(v.count("vision_output_dim", 7680), text.d_model, bias=v.flag("multi_modal_projector_bias", False),
               name="multi_modal_projector")), input="image", image_tokens=tokens)
    note = (f"images are counted as {size} px tiles of {tokens} language-model tokens each; Llama 4 splits a "
            "large image into several tiles plus a global view, so count tiles as images",)
    return replace(text, towers=(vision, projector, *text.towers), image_tokens=tokens, source=f.source or "",
                   notes=text.notes + note)
