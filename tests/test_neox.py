"""GPT-NeoX YAML configs: the Pythia suite's own published training configs
(tests/recipes/neox/, cited in tests/recipes/SOURCES.md) imported into run plans.

Published figures compared with (all from EleutherAI):
- parameters, total and non-embedding, of each released model: the "Engineering details"
  table of the Pythia model cards (huggingface.co/EleutherAI/pythia-70m ... pythia-12b), the
  same counts transformers builds from the released config.json (checked here on the meta
  device for 1.4B and 70M);
- 143,000 steps of 1,024 sequences × 2,048 tokens = 299,892,736,000 tokens per model
  (github.com/EleutherAI/pythia README, "Models": "Each model saw 299,892,736,000 ~= 300B
  tokens"), and 154 checkpoints: steps 0, 1, 2, 4, ..., 512, then every 1,000 to 143,000.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flopcount import estimate
from flopcount.boundary.errors import InputError
from flopcount.importers import find, import_path
from flopcount.importers.neox import save_steps
from flopcount.importers.recipe import Flags
from flopcount.inputs.plan import plan_from_mapping
from flopcount.model.spec import count_parameters

HERE = Path(__file__).parent
NEOX = HERE / "recipes" / "neox"
PYTHIA = NEOX / "pythia"
NEOX_12B = NEOX / "gpt-neox" / "12B.yml"
ROOT = HERE.parent
#: the GPT-NeoX-20B tokenizer (20B_tokenizer.json) has 50,277 entries; NeoX pads it
VOCAB = "50277"
#: devices each model trained on: the "# batch size (trained on N gpus)" comment of its config
#: (a comment, so not read by the importer: given as --gpus)
GPUS = {"70m": 32, "160m": 32, "410m": 32, "1b": 64, "1.4b": 64, "2.8b": 64, "6.9b": 128, "12b": 256}
#: (total, non-embedding) parameters from the Pythia model cards
PUBLISHED = {"70m": (70_426_624, 18_915_328), "160m": (162_322_944, 85_056_000),
             "410m": (405_334_016, 302_311_424), "1b": (1_011_781_632, 805_736_448),
             "1.4b": (1_414_647_808, 1_208_602_624), "2.8b": (2_775_208_960, 2_517_652_480),
             "6.9b": (6_857_302_016, 6_444_163_072), "12b": (11_846_072_320, 11_327_027_200)}
TOKENS = 143_000 * 1024 * 2048


def config(size: str, deduped: bool = False) -> Path:
    if size == "12b":  # the pythia repo's 12B files do not parse / have heads and layers swapped (below)
        return NEOX_12B
    return PYTHIA / f"pythia-{size}{'-deduped' if deduped else ''}.yml"


def load(path: Path, **flags: str):
    flags = {"vocab_size": VOCAB, **flags}
    result = import_path(path, Flags(**flags))
    plan = plan_from_mapping(result.plan, str(path), path.parent)
    return result, plan, estimate(plan)


@pytest.mark.parametrize("size", list(GPUS))
def test_pythia_parameters_and_tokens_match_the_released_models(size):
    """Each size on its devices: global batch = micro × gradient accumulation × (devices /
    model parallel) = 1,024 (e.g. 12B: 8 × 2 × 256/4; 1.4B: 16 × 1 × 64), so tokens =
    143,000 × 1,024 × 2,048 = 299,892,736,000; parameters equal the model card's. Non-embedding
    = total − the embedding and the untied head (2 × padded vocab × width; the padded
    vocabulary is 50,304, 50,432 for 6.9B (model parallel 2: multiple of 256), 50,688 for 12B
    (model parallel 4: multiple of 512))."""
    _, plan, _ = load(config(size), gpus=str(GPUS[size]))
    spec = plan.model.spec
    params = count_parameters(spec)
    vocab = {"6.9b": 50_432, "12b": 50_688}.get(size, 50_304)
    width = {"70m": 512, "160m": 768, "410m": 1024, "1b": 2048, "1.4b": 2048, "2.8b": 2560, "6.9b": 4096,
             "12b": 5120}[size]
    assert plan.phases[0].tokens == TOKENS == 299_892_736_000
    assert (params.total, params.total - 2 * vocab * width) == PUBLISHED[size]
    assert params.embedding == params.logits == vocab * width


def test_pythia_1_4b_against_transformers_on_the_meta_device():
    """transformers' own GPTNeoXForCausalLM built on the meta device (no weights) from the
    config the importer derived: 1,414,647,808 parameters, the published count; and 70M:
    70,426,624."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    for size in ("1.4b", "70m"):
        _, plan, _ = load(config(size), gpus=str(GPUS[size]))
        derived = import_path(config(size), Flags(gpus=str(GPUS[size]), vocab_size=VOCAB)).plan["model"]["spec"]
        cfg = transformers.GPTNeoXConfig(**{k: v for k, v in derived.items() if k != "model_type"})
        with torch.device("meta"):
            model = transformers.GPTNeoXForCausalLM(cfg)
        assert sum(p.numel() for p in model.parameters()) == PUBLISHED[size][0] == count_parameters(
            plan.model.spec).total


def test_pythia_70m_per_token_flop_by_hand():
    """Pythia-70M, h = 512, L = 6, T = 2,048, vocab 50,304, untied head.
    Matmul weights per token: 6 layers × 12h² (qkv 3h², out h², MLP 8h²) = 18,874,368, plus
    the head 512 × 50,304 = 25,755,648: 44,630,016 → forward 2 × 44,630,016 = 89,260,032.
    Attention (full T² per layer, flopcount's default convention): QKᵀ and AV, 2 × 2·T·h per
    token per layer = 4 × 2,048 × 512 × 6 = 25,165,824. Forward 114,425,856, training ×3 =
    343,277,568 FLOP per token; × 299,892,736,000 tokens = 102,946,449,074,946,048,000.
    6ND: 6 × 70,426,624 × 299,892,736,000."""
    _, plan, est = load(config("70m"), gpus="32")
    assert est.phases[0].estimates["full"].per_token == 343_277_568
    assert est.phases[0].estimates["full"].total == 343_277_568 * TOKENS == 102_946_449_074_946_048_000
    assert est.phases[0].estimates["6ND"].total == 6 * 70_426_624 * TOKENS


@pytest.mark.parametrize("size", [s for s in GPUS if s != "12b"])
def test_deduped_and_standard_runs_are_identical_in_compute(size):
    """The deduplicated run differs only in its data paths: same model, batch, iterations."""
    a, b = (load(config(size, d), gpus=str(GPUS[size]))[2] for d in (False, True))
    assert a.training == b.training and a.by_method == b.by_method


def test_pythia_checkpoints_are_neox_save_iterations():
    """extra-save-iters [0, 1, 2, 4, ..., 512] (11) and multiples of checkpoint-factor 1,000 up
    to train-iters 143,000 (143): the 154 released checkpoints."""
    steps = save_steps(config("1.4b"))
    assert len(steps) == 154
    assert steps[:12] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000] and steps[-1] == 143_000
    assert save_steps(NEOX_12B) == steps  # underscores (the NeoX copy) read as dashes


def test_keys_with_dashes_and_underscores_are_one_key(tmp_path):
    text = (PYTHIA / "pythia-70m.yml").read_text()
    (tmp_path / "u.yml").write_text(text.replace('"num-layers"', '"num_layers"'))
    assert load(tmp_path / "u.yml", gpus="32")[2].training == load(config("70m"), gpus="32")[2].training
    (tmp_path / "both.yml").write_text(text.replace('"num-layers": 6,', '"num-layers": 6, "num_layers": 8,'))
    with pytest.raises(InputError, match="given twice"):
        load(tmp_path / "both.yml", gpus="32")


def test_the_published_12b_files_are_refused_by_name():
    """The pythia repository's pythia-12b.yml lacks a comma after attention-config (line 19),
    so it is not valid YAML; pythia-12b-deduped.yml swaps layers and heads (40 layers, 36
    heads: 5120 is not divisible by 36). The released 12B has 36 layers and 40 heads (the
    pythia README's table, gpt-neox configs/pythia/12B.yml)."""
    with pytest.raises(InputError, match="malformed YAML at line 21"):
        load(PYTHIA / "pythia-12b.yml", gpus="256")
    with pytest.raises(InputError, match="36 heads do not divide hidden-size 5120"):
        load(PYTHIA / "pythia-12b-deduped.yml", gpus="256")


@pytest.mark.parametrize("size, flags, needle", [("1.4b", {}, "--gpus"),
                                                 ("12b", {"gpus": "102"}, "not a multiple of pipe × model parallel = 4"),
                                                 ("1.4b", {"vocab_size": None, "gpus": "64"}, "--vocab-size")])
def test_what_the_config_lacks_is_asked_for(size, flags, needle):
    """The device count and the tokenizer's size are not in a NeoX config; 102 devices cannot
    hold 12B's model-parallel groups of 4."""
    with pytest.raises(InputError, match=needle):
        load(config(size), **flags)


@pytest.mark.parametrize("edit, needle", [('"pos-emb": "rotary"', '"pos-emb": "learned"'),
                                          ('"gpt-j-residual": true', '"gpt-j-residual": true, "activation": "swiglu"'),
                                          ('"attention-config": [[["flash"], 6]]',
                                           '"attention-config": [[["local"], 6]]')])
def test_architectures_not_mapped_are_refused_by_key(tmp_path, edit, needle):
    path = tmp_path / "x.yml"
    path.write_text((PYTHIA / "pythia-70m.yml").read_text().replace(edit, needle))
    with pytest.raises(InputError) as exc:
        load(path, gpus="32")
    assert "not mapped onto the gpt_neox structure" in str(exc.value)


def test_sniffed_and_cli(tmp_path):
    assert find(config("1.4b")).name == find(NEOX_12B).name == "gpt-neox"
    out = subprocess.run([sys.executable, "-m", "flopcount", "estimate", str(config("70m")), "--gpus", "32",
                          "--vocab-size", VOCAB, "--json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    bad = subprocess.run([sys.executable, "-m", "flopcount", "estimate", str(PYTHIA / "pythia-12b.yml"),
                          "--gpus", "256", "--vocab-size", VOCAB], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "pythia-12b.yml" in bad.stderr
