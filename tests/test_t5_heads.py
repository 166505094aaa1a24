"""T5 and mT5 output heads counted alike (issue 28 item 2).

transformers 5 builds both families with lm_head tied to the shared embedding whatever
`tie_word_embeddings` says (T5Config and MT5Config force it true); flopcount counts the
model as built, so parameters equal transformers' own `sum(p.numel())`, and names in a note
the separate lm_head a T5 1.1 or mT5 checkpoint stores. The logits matmul is counted once
however the head is stored.

Configs: the sizes of the published config.json of t5-small, google/t5-v1_1-small and
google/mt5-small, in transformers' T5Config keys. Their sizes are those of the t5x gin files
the checkpoints were trained with (github.com/google-research/t5x): t5x/examples/t5/t5_1_0/
small.gin (commit 11abdae7ed264eed9181c527c675059947172a4a: emb 512, 8 heads × 64, 6 + 6
layers, mlp 2048 relu, vocab 32128, logits_via_embedding True), t5_1_1/small.gin (commit
2c294339c42788daf66857f61545c9f101c0e8cf: emb 512, 6 heads × 64, 8 + 8 layers, mlp 1024)
over t5_1_1/base.gin (commit 247e27ef8ee90f36c20302fe857629a8dd321f42: gelu × linear gated,
vocab 32128, logits_via_embedding False), mt5/small.gin (commit 11abdae: as 1.1 small, vocab
250112, logits_via_embedding False); mt5-small is examples/configs/mt5-small.json, the
published file (examples/configs/SOURCES.md).
"""
from __future__ import annotations

import json
import warnings

import pytest

from flopcount.inputs.configs import load_spec
from flopcount.model.formulas import forward_flops
from flopcount.model.spec import count_parameters

from conftest import ROOT

T5_SMALL = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": 512, "d_kv": 64,
            "d_ff": 2048, "num_layers": 6, "num_decoder_layers": 6, "num_heads": 8, "vocab_size": 32128,
            "feed_forward_proj": "relu", "relative_attention_num_buckets": 32}
T5_V1_1_SMALL = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": 512, "d_kv": 64,
                 "d_ff": 1024, "num_layers": 8, "num_decoder_layers": 8, "num_heads": 6, "vocab_size": 32128,
                 "feed_forward_proj": "gated-gelu", "relative_attention_num_buckets": 32,
                 "tie_word_embeddings": False}
MT5_SMALL = json.loads((ROOT / "examples" / "configs" / "mt5-small.json").read_text())
SHARED_T5, SHARED_MT5 = 512 * 32_128, 512 * 250_112   # the embedding table, d_model × vocab
# per stack: layers × (attention 4·d·inner + MLP + RMS weights) + one relative-bias table + final norm
T5_SMALL_STACKS = (6 * (4 * 512 * 512 + 2 * 512 * 2048 + 2 * 512) + 32 * 8 + 512
                   + 6 * (8 * 512 * 512 + 2 * 512 * 2048 + 3 * 512) + 32 * 8 + 512)
V1_1_STACKS = (8 * (4 * 512 * 384 + 3 * 512 * 1024 + 2 * 512) + 32 * 6 + 512
               + 8 * (8 * 512 * 384 + 3 * 512 * 1024 + 3 * 512) + 32 * 6 + 512)
CASES = {  # name: (config, parameters as built = tied, what the checkpoint's own lm_head adds)
    "t5-small": (T5_SMALL, SHARED_T5 + T5_SMALL_STACKS, 0),
    "t5-v1_1-small": (T5_V1_1_SMALL, SHARED_T5 + V1_1_STACKS, SHARED_T5),
    "mt5-small": (MT5_SMALL, SHARED_MT5 + V1_1_STACKS, SHARED_MT5),
}


def write(tmp_path, name: str, data: dict):
    path = tmp_path / name / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_figures_by_hand():
    """t5-small 16,449,536 + 44,057,088 = 60,506,624 (the published "60M"); t5-v1_1-small
    16,449,536 + 44,062,080 = 60,511,616 built, + 16,449,536 stored = 76,961,152 ("77M");
    mt5-small 128,057,344 + 44,062,080 = 172,119,424 built, + 128,057,344 = 300,176,768 ("300M")."""
    assert (T5_SMALL_STACKS, V1_1_STACKS) == (44_057_088, 44_062_080)
    assert {k: (built, built + extra) for k, (_, built, extra) in CASES.items()} == {
        "t5-small": (60_506_624, 60_506_624), "t5-v1_1-small": (60_511_616, 76_961_152),
        "mt5-small": (172_119_424, 300_176_768)}


@pytest.mark.parametrize("name", CASES)
def test_parameters_as_built_and_the_stored_head_noted(tmp_path, name):
    data, built, extra = CASES[name]
    spec = load_spec(write(tmp_path, name, data))
    assert count_parameters(spec).total == built
    notes = [n for n in spec.notes if "separate lm_head" in n]
    assert (f"{extra:,} more parameters" in notes[0]) if extra else not notes


@pytest.mark.parametrize("name", CASES)
def test_parameters_equal_transformers(tmp_path, name):
    """transformers' own count: AutoModelForSeq2SeqLM built from the config on meta."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data, built, _ = CASES[name]
    fields = {k: v for k, v in data.items() if k != "model_type"}
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        config = transformers.AutoConfig.for_model(data["model_type"], **fields)
        model = transformers.AutoModelForSeq2SeqLM.from_config(config)
    assert sum(p.numel() for p in model.parameters()) == built
    assert count_parameters(load_spec(write(tmp_path, name, data))).total == built


@pytest.mark.parametrize("name", CASES)
def test_logits_counted_once_however_stored(tmp_path, name):
    """Input 512 tokens, target 128: logits = 2 × 128 × 512 × vocab, with the head tied or not;
    the whole forward pass is the same either way."""
    data, _, _ = CASES[name]
    tied = load_spec(write(tmp_path, "tied", {**data, "tie_word_embeddings": True}))
    untied = load_spec(write(tmp_path, "untied", {**data, "tie_word_embeddings": False}))
    flops = [forward_flops(spec, 512, target_len=128) for spec in (tied, untied)]
    assert flops[0] == flops[1]
    assert flops[0].logits == 2 * 128 * 512 * data["vocab_size"]


def test_both_families_alike(tmp_path):
    """The same sizes read as t5 or as mt5 give the same count and the same kind of note; a
    config without the key follows each family's checkpoints (T5 1.0 tied, mT5 untied)."""
    as_t5 = load_spec(write(tmp_path, "a", {**MT5_SMALL, "model_type": "t5"}))
    as_mt5 = load_spec(write(tmp_path, "b", MT5_SMALL))
    assert count_parameters(as_t5).total == count_parameters(as_mt5).total == 172_119_424
    assert len(as_t5.notes) == len(as_mt5.notes) == 1
    keyless = {k: v for k, v in MT5_SMALL.items() if k != "tie_word_embeddings"}
    assert load_spec(write(tmp_path, "c", keyless)).notes            # mT5: untied when unsaid
    assert not load_spec(write(tmp_path, "d", {**keyless, "model_type": "t5"})).notes  # T5 1.0: tied
