"""Every 2024-2026 family: exact parameters against transformers' own model, and the
analytic per-sample count equal to the measured count on the meta device under each
attention convention (or, where transformers computes more than the model needs, equal to
the implementation count, with the difference explained).

Configs: real published ones in examples/configs (sources in examples/configs/SOURCES.md)
and small variants in tests/configs that exercise options the published ones leave off
(biases on latent attention, windows shorter than the test sequence, gated mT5 ...).
"""
from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from flopcount.model.blocks import ATTENTION_CONVENTIONS  # noqa: E402
from flopcount.model.configs import load_spec  # noqa: E402
from flopcount.model.formulas import forward_flops, tower_flops, training_flops  # noqa: E402
from flopcount.measure import count_step, measure_config  # noqa: E402
from flopcount.model.spec import count_parameters  # noqa: E402

from conftest import ROOT, hf_model  # noqa: E402

EX, TC = ROOT / "examples" / "configs", ROOT / "tests" / "configs"
# (config, sequence length): longer than every window / chunk it has, short for Mamba
# (its reference scan is a Python loop per position)
FAMILIES = [
    (EX / "qwen3-8b.json", 64), (EX / "qwen3-30b-a3b.json", 64), (EX / "gemma-2-9b.json", 64),
    (EX / "gemma-3-27b-text.json", 64), (EX / "phi-3-mini-4k.json", 64), (EX / "olmoe-1b-7b.json", 64),
    (EX / "deepseek-v2-lite.json", 64), (EX / "deepseek-v3.json", 32), (EX / "gpt-oss-20b.json", 160),
    (EX / "falcon-mamba-7b.json", 8), (EX / "nemotron-h-8b.json", 64), (EX / "nemotron-3-nano-30b-a3b.json", 32),
    (EX / "qwen2.5-vl-7b.json", 64),
    (TC / "qwen3-sliding.json", 64), (TC / "gemma3-text-window.json", 64), (TC / "olmo2-tiny.json", 64),
    (TC / "deepseek-v3-bias-tiny.json", 64), (TC / "t5-tiny.json", 48), (TC / "mt5-tiny-gated.json", 48),
    (TC / "vit-tiny.json", 17), (TC / "mamba-tiny-tied.json", 24), (TC / "mamba2-tiny.json", 24),
    (TC / "nemotron-h-moe-tiny.json", 24),
]
IMPLEMENTATION_DIFFERS = [(TC / "llama4-text-tiny.json", 64)]
VLMS = [EX / "gemma-3-4b.json", EX / "qwen2-vl-7b.json", EX / "qwen2.5-vl-7b.json", EX / "llama-4-scout-17b-16e.json"]
# real-size published configs of the families whose measured path is shown on tiny ones
PUBLISHED = [EX / f"{name}.json" for name in
             ("mamba-codestral-7b", "olmo-2-1124-13b", "t5-base", "mt5-small", "vit-base-patch16-224", "mamba-130m")]
ALL = FAMILIES + IMPLEMENTATION_DIFFERS + [(p, 64) for p in VLMS + PUBLISHED]


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: p.stem)
def test_parameters_equal_transformers(path):
    """Total (tied weights once), and active = total − (E − k)/E of the routed experts."""
    model = hf_model(path)
    params = count_parameters(load_spec(path))
    assert params.total == sum(p.numel() for p in model.parameters())
    spec = load_spec(path)
    if spec.is_moe:
        routed = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
        assert params.active == params.total - routed + routed // spec.n_experts * spec.top_k
    else:
        assert params.active == params.total


@pytest.mark.parametrize("path,seq", FAMILIES, ids=lambda v: getattr(v, "stem", str(v)))
def test_analytic_equals_measured_on_meta(path, seq):
    """Training step (forward + backward) of one sequence, every convention: windowed
    (the default), full (T² everywhere, the FlopCounterMode convention) and causal."""
    spec = load_spec(path)
    for attention in ATTENTION_CONVENTIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measured = measure_config(path, seq, attention=attention)
        assert measured.total == training_flops(spec, seq, attention).total, attention


def test_window_conventions_differ_where_windows_bind():
    """gpt-oss-20b at T=160: 12 sliding layers (W=128) and 12 global ones. Per head and
    layer: full = 160² = 25,600 pairs; windowed sliding = 160·128 = 20,480; causal sliding =
    128·129/2 + 32·128 = 12,352; causal global = 160·161/2 = 12,880."""
    spec = load_spec(EX / "gpt-oss-20b.json")
    per_pair = 2 * 64 * (64 + 64)  # 2 FLOP · heads · (d_qk + d_v)
    att = {c: forward_flops(spec, 160, c).attention for c in ATTENTION_CONVENTIONS}
    assert att["full"] == 24 * 25_600 * per_pair
    assert att["windowed"] == (12 * 20_480 + 12 * 25_600) * per_pair
    assert att["causal"] == (12 * 12_352 + 12 * 12_880) * per_pair


def test_llama4_implementation_runs_every_expert():
    """transformers' Llama4TextExperts multiplies every token by all E experts (weighted by
    the router); the model computes top-k. Measured equals the implementation count, and
    the difference is exactly the (E − k) unused experts' matmuls, stated in the notes."""
    path, seq = IMPLEMENTATION_DIFFERS[0]
    spec = load_spec(path)
    measured = measure_config(path, seq)
    implementation = 3 * forward_flops(spec, seq, implementation=True).total
    model = training_flops(spec, seq).total
    assert measured.total == implementation
    moe_layers, experts, k, d, ff = 2, 4, 1, 64, 96
    assert implementation - model == 3 * moe_layers * (experts - k) * 2 * seq * 3 * d * ff
    assert any("all 4 experts" in note for note in spec.implementation_notes())


def test_gemma3_towers_apart():
    """Gemma 3 4B: parameters per tower equal the transformers submodules; the vision
    tower (896 px, 14 px patches = 4,096 positions) and the projector (pooled to 256
    tokens) each equal their measured forward on meta; the text sequence includes the
    256 image tokens."""
    path = EX / "gemma-3-4b.json"
    spec, model = load_spec(path), hf_model(path)
    by_tower = count_parameters(spec).by_tower
    inner = model.model
    assert by_tower["vision"][0] == sum(p.numel() for p in inner.vision_tower.parameters())
    assert by_tower["projector"][0] == sum(p.numel() for p in inner.multi_modal_projector.parameters())
    assert by_tower["language"][0] == sum(p.numel() for p in inner.language_model.parameters())
    assert spec.image_tokens == 256
    flops = tower_flops(spec, 512, images=1)
    pixels = torch.zeros(1, 3, 896, 896, device="meta", dtype=torch.bfloat16)
    assert count_step(inner.vision_tower, {"pixel_values": pixels}, backward=False).forward == flops["vision"].total
    patches = torch.zeros(1, 4096, 1152, device="meta", dtype=torch.bfloat16)
    assert count_step(inner.multi_modal_projector, (patches,), backward=False).forward == flops["projector"].total
    two = tower_flops(spec, 512, images=2)
    assert two["vision"].total == 2 * flops["vision"].total and two["language"] == flops["language"]


def _vision_inputs(path, model):
    """Inputs of one image for each VLM's vision tower and projector on meta, and the
    (vision, projector) transformers modules they run through."""
    from transformers.vision_utils import get_vision_position_ids, get_vision_window_index
    meta = {"device": "meta", "dtype": torch.bfloat16}
    if "qwen" in path.stem:  # 448 px: a 32 x 32 grid of 14 px patches, 2 frames of 3 x 14 x 14 each
        grid = torch.tensor([[1, 32, 32]])
        kwargs = {"hidden_states": torch.zeros(1024, 1176, **meta), "grid_thw": grid,
                  "position_ids": get_vision_position_ids(grid, 2).to("meta")}
        if "2.5" in path.stem:
            index, cu = get_vision_window_index(grid, spatial_merge_size=2, window_size=112, patch_size=14)
            kwargs |= {"window_index": index.to("meta"), "cu_window_seqlens": cu}
        return [(model.model.visual, kwargs)]
    tile = torch.zeros(1, 3, 336, 336, **meta)  # Llama 4: one 336 px tile -> 144 tokens of 4096
    return [(model.vision_model, {"pixel_values": tile}),
            (model.multi_modal_projector, (torch.zeros(1, 144, 4096, **meta),))]


@pytest.mark.parametrize("path", VLMS[1:], ids=lambda p: p.stem)
def test_vlm_towers_apart(path):
    """Qwen2-VL, Qwen2.5-VL (window attention in 28 of 32 vision blocks: 16 windows of 64
    patches at 448 px) and Llama 4 Scout: parameters per tower equal the transformers
    modules (vision + projector = the vision model and its projector); the forward of one
    image through them equals the analytic vision + projector count; text tokens per image
    are 256 (Qwen: 1,024 patches merged 2 x 2) and 144 (Llama 4: 576 patches shuffled
    2 x 2)."""
    spec, model = load_spec(path), hf_model(path)
    by_tower = count_parameters(spec).by_tower
    runs = _vision_inputs(path, model)
    assert by_tower["vision"][0] + by_tower["projector"][0] == sum(
        p.numel() for module, _ in runs for p in module.parameters())
    assert spec.image_tokens == (144 if "llama" in path.stem else 256)
    flops = tower_flops(spec, 512, images=1)
    measured = sum(count_step(module, inputs, backward=False).forward for module, inputs in runs)
    assert measured == flops["vision"].total + flops["projector"].total
    assert tower_flops(spec, 512, images=3)["vision"].total == 3 * flops["vision"].total


def test_published_sizes():
    """Headline sizes as their publishers state them."""
    def size(name):
        return count_parameters(load_spec(EX / f"{name}.json"))
    ds = size("deepseek-v3")
    assert round(ds.total / 1e9) == 671                      # "671B total" (DeepSeek-V3 report)
    embed = 129_280 * 7_168
    assert round((ds.active - embed) / 1e9, 1) == 36.6       # "36.6B activated, incl. 0.9B output head"
    oss = size("gpt-oss-20b")
    assert round(oss.total / 1e9, 1) == 20.9                 # 20.9B total (model card)
    assert round((oss.active - 201_088 * 2_880) / 1e9, 1) == 3.6  # 3.6B active, embeddings excluded
    assert round(size("qwen3-30b-a3b").active / 1e9, 1) == 3.4  # "A3B": 3.3B activated, embeddings incl.
    assert round(size("qwen3-8b").total / 1e9, 1) == 8.2       # 8.2B (Qwen3 model card)
    assert round(size("olmoe-1b-7b").total / 1e9, 1) == 6.9    # "7B parameters, 1B active"
    assert round(size("olmoe-1b-7b").active / 1e9, 1) == 1.3
    nano = size("nemotron-3-nano-30b-a3b")
    assert round(nano.total / 1e9, 1) == 31.6                 # "31.6B total parameters" (model card)
    assert round(nano.active / 1e9, 1) == 3.6                 # "3.6B active including embeddings"
    assert round((nano.active - 131_072 * 2_688) / 1e9, 1) == 3.2  # "3.2B active" without embeddings
    assert round(size("nemotron-h-8b").total / 1e9, 1) == 8.1
    assert round(size("mamba-codestral-7b").total / 1e9, 1) == 7.3  # "7.3B" (Mistral AI release)
    assert round(size("qwen2.5-vl-7b").total / 1e9, 2) == 8.29     # 8.29B safetensors (model page)
    scout = size("llama-4-scout-17b-16e")
    assert round(scout.total / 1e9) == 109                    # "109B total parameters" (Meta)
    assert round(scout.by_tower["language"][1] / 1e9) == 17   # "17B active parameters"
    assert size("olmo-2-1124-13b").total == 54_864_793_600 // 4  # its safetensors index, float32
    assert size("t5-base").total == 222_903_552               # "220M"
    assert size("vit-base-patch16-224").total == 86_567_656   # 86.6M (ViT-B/16, 1000 classes)
    assert size("mamba-130m").total == 129_135_360            # "130M"
    # mT5-small is "300M": transformers 5 ties its 250,112 × 512 lm_head (counted as built, noted)
    assert round((size("mt5-small").total + 250_112 * 512) / 1e6) == 300
    assert any("separate lm_head" in n for n in load_spec(EX / "mt5-small.json").notes)


def test_spec_v2_round_trip(tmp_path):
    """`ModelSpec.to_dict()` is flopcount's spec format v2: it reads back to the same spec,
    so a hand-written file can say everything a reader does (q/k norms, post-norms ...)."""
    for path in (EX / "gemma-3-4b.json", EX / "deepseek-v3.json", TC / "t5-tiny.json"):
        spec = load_spec(path)
        out = tmp_path / f"{path.stem}.json"
        out.write_text(json.dumps(spec.to_dict()))
        again = load_spec(out)
        assert again.towers == spec.towers and again.origin == "spec-file"
        assert count_parameters(again) == count_parameters(spec)


@pytest.mark.parametrize("text,needle", [
    ("flopcount_spec: 2\ntowers: [{name: language, stem: [{kind: embedding, vocab: 10, width: 8}],\n"
     "  head: [{kind: linear, n_in: 8, n_out: 10, category: nonsense}]}]\n",
     "towers[0].head[0]: linear block: category must be one of"),
    ("flopcount_spec: 2\ntowers: [{name: language, layers: [{repeat: 2, blocks: [{kind: norm, width: 8, norm: bogus}]}]}]\n",
     "towers[0].layers[0].blocks[0]: norm block: norm must be one of rms, layer, none"),
    ("flopcount_spec: 2\ntowers: [{name: language, layers: [{repeat: 2, blocks: [{kind: mlp, width: 8}]}]}]\n",
     "towers[0].layers[0].blocks[0]: incomplete mlp block"),
    ('{"model_type": "vit", "id2label": 5}', "id2label: must be a mapping"),
    ('{"model_type": "gpt_oss", "layer_types": ["sliding_attention"]}', "layer_types: must be a list of 36 entries"),
    ('{"model_type": "gemma3", "text_config": 5}', "text_config: expected a mapping"),
])
def test_bad_architecture_files(tmp_path, capsys, text, needle):
    """One line naming the file and field, exit 2, no traceback."""
    from flopcount.cli import main
    path = tmp_path / ("spec.yaml" if text.startswith("flopcount_spec") else "config.json")
    path.write_text(text)
    assert main(["estimate", str(path), "--tokens", "1B"]) == 2
    err = capsys.readouterr().err
    assert needle in err and str(path) in err and err.count("\n") == 1 and "Traceback" not in err
