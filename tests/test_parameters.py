"""Parameter counts equal transformers' own `sum(p.numel())`, exactly, per architecture."""
from __future__ import annotations

import pytest

from flopcount.model.configs import load_spec
from flopcount.model.spec import count_parameters

from conftest import ALL_CONFIGS, hf_model, is_moe


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.stem)
def test_total_parameters_match_transformers(path):
    model = hf_model(path)
    reference = sum(p.numel() for p in model.parameters())  # tied weights counted once
    assert count_parameters(load_spec(path)).total == reference


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.stem)
def test_embedding_and_active_parameters(path):
    """embedding = lookup tables (token, position, segment); active = what one token uses.

    Independent reference for MoE: every parameter under `.experts.` is one of n_experts
    equal slices, of which a token uses top_k; everything else is always active.
    """
    model = hf_model(path)
    spec = load_spec(path)
    params = count_parameters(spec)
    import torch
    tables = {id(m.weight): m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    lookups = sum(tables.values())  # shared tables (T5's encoder/decoder embeddings) once
    lookups += sum(p.numel() for n, p in model.named_parameters()  # ViT, Llama 4's vision tower
                   if n.endswith(("position_embeddings", "positional_embedding_vlm")))
    assert params.embedding == lookups
    experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    if is_moe(path):
        assert experts > 0 and experts % spec.n_experts == 0
        expected_active = params.total - experts + experts // spec.n_experts * spec.top_k
    else:
        assert experts == 0
        expected_active = params.total
    assert params.active == expected_active


def test_published_sizes():
    """Headline sizes as their authors state them (2 significant figures)."""
    from conftest import ROOT
    published = {"llama-3.1-405b": 4.1e11, "gpt3-175b": 1.7e11, "mixtral-8x7b": 4.7e10, "llama-2-7b": 6.7e9,
                 "qwen1.5-moe-a2.7b": 1.4e10, "bert-base-uncased": 1.1e8, "phi-2": 2.8e9}
    for name, size in published.items():
        total = count_parameters(load_spec(ROOT / "examples" / "configs" / f"{name}.json")).total
        assert float(f"{total:.1e}") == size, name
    mixtral = count_parameters(load_spec(ROOT / "examples" / "configs" / "mixtral-8x7b.json"))
    assert round(mixtral.active / 1e9, 1) == 12.9  # "12.9B active parameters" (Mistral AI, 2023)
    qwen = count_parameters(load_spec(ROOT / "examples" / "configs" / "qwen1.5-moe-a2.7b.json"))
    assert round(qwen.active / 1e9, 1) == 2.7  # "A2.7B": 2.7B activated parameters (Qwen, 2024)
