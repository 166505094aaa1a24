"""torchtitan's Qwen3 MoE flavours (issue 28), read from its real Python registry without
importing it, against transformers' own Qwen3-MoE model built on the meta device."""
from __future__ import annotations

from pathlib import Path

import pytest

from flopcount.importers.resolve import plan_of
from flopcount.model.spec import count_parameters

REGISTRY = Path(__file__).resolve().parent / "recipes/torchtitan/registry-4a950ea/qwen3/__init__.py"


def test_qwen3_30b_a3b_flavour_matches_transformers_and_the_hand_count():
    plan = plan_of(f"{REGISTRY}::30B-A3B", tokens="1e12")
    params = count_parameters(plan.model.spec)
    # By hand, from the flavour (dim 2048, 48 layers, 32 heads / 4 KV heads of 128, 128 experts
    # of 768, top 8, vocab 151,936, untied):
    #   attention  2048×4096 + 2×2048×512 + 4096×2048 + q/k norms 2×128 = 18,874,624
    #   one expert 3 × 2048 × 768 = 4,718,592; router 2048 × 128 = 262,144; 2 norms 4,096
    #   layer total 18,874,624 + 128×4,718,592 + 262,144 + 4,096 = 623,120,640; × 48 = 29,909,790,720
    #   + embedding and head 2 × 151,936 × 2048 = 622,329,856 + final norm 2048 = 30,532,122,624
    #   active: 8 experts instead of 128: 30,532,122,624 − 48 × 120 × 4,718,592 = 3,353,032,704
    assert params.total == 30_532_122_624
    assert params.active == 3_353_032_704
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    cfg = transformers.Qwen3MoeConfig(hidden_size=2048, num_hidden_layers=48, num_attention_heads=32,
                                      num_key_value_heads=4, head_dim=128, moe_intermediate_size=768,
                                      num_experts=128, num_experts_per_tok=8, vocab_size=151936,
                                      tie_word_embeddings=False, decoder_sparse_step=1, mlp_only_layers=[])
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    assert sum(p.numel() for p in model.parameters()) == params.total
