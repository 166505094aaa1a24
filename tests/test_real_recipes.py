"""Issue 28, "What it must show": the frameworks' own recipes and run folders (tests/recipes/,
cited in tests/recipes/SOURCES.md), one table, each with the flags a user would give, its
tokens from the recipe's own fields, its per-token training FLOP from an independent reference
written here (not from flopcount), and its total; upper-bound rows never read "crossed".
And the bad-input bullet: one line, exit 2, the same from estimate, import and record.

The reference counts what flopcount documents (flopcount/model/formulas.py, docs/how-to/recipes.md):
1 multiply-add = 2 FLOP; matrix multiplies only (projections, MLP, router, attention scores and
values, the output layer: also when tied to the embedding); no norms, biases, rotary or
embedding lookups. Attention by default over the whole T×T square ("windowed" on a model with
no sliding window); generation with a KV cache over the causal T(T+1)/2 pairs. Training =
forward + backward = 3 × forward with every weight trained.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import pytest

from flopcount import estimate
from flopcount.importers import import_path
from flopcount.importers.recipe import Flags
from flopcount.inputs.plan import plan_from_mapping

HERE = Path(__file__).parent
ROOT = HERE.parent
RECIPES = HERE / "recipes"


# --- the independent reference --------------------------------------------------------------

class Arch(NamedTuple):
    """A decoder's sizes as the recipe (or its base config.json) states them."""
    d: int
    layers: int
    heads: int
    kv: int
    hd: int
    ffn: int
    vocab: int
    gated: bool = True      # SwiGLU: gate, up, down; else up, down
    active: int = 1         # MoE: experts each token runs (top-k)
    router: int = 0         # MoE: router outputs (experts)

    def weights(self) -> int:
        """Matmul weights one token passes through: q, o (heads × head_dim), k, v (kv heads ×
        head_dim), the MLP of each active expert, the router, and the output layer."""
        attention = 2 * self.d * self.heads * self.hd + 2 * self.d * self.kv * self.hd
        mlp = (3 if self.gated else 2) * self.d * self.ffn * self.active + self.d * self.router
        return self.layers * (attention + mlp) + self.d * self.vocab

    def attention_dims(self) -> int:
        """Σ over layers of heads × (score dim + value dim): QKᵀ and AV cost 2 FLOP per
        multiply-add per pair per dim."""
        return self.layers * self.heads * 2 * self.hd


class MLA(NamedTuple):
    """DeepSeek-V2/V3 layout: multi-latent attention, dense MLP in the first layers, then MoE
    (routed top-k of `experts` plus shared experts). Per layer:
    q = d·H·192 (q_lora_rank 0) or d·r_q + r_q·H·192; kv_a d·(512 + 64); kv_b 512·H·(128 + 128);
    o H·128·d; scores over 192 dims, values over 128."""
    d: int
    layers: int
    dense_layers: int
    heads: int
    q_rank: int
    dense_ffn: int
    moe_ffn: int
    experts: int
    top_k: int
    shared: int
    vocab: int
    kv_rank: int = 512
    nope: int = 128
    rope: int = 64
    v: int = 128

    def weights(self) -> int:
        qk = self.nope + self.rope
        q = self.d * self.heads * qk if not self.q_rank else self.d * self.q_rank + self.q_rank * self.heads * qk
        attention = q + self.d * (self.kv_rank + self.rope) + self.kv_rank * self.heads * (self.nope + self.v) \
            + self.heads * self.v * self.d
        dense = 3 * self.d * self.dense_ffn
        moe = 3 * self.d * self.moe_ffn * (self.top_k + self.shared) + self.d * self.experts
        moe_layers = self.layers - self.dense_layers
        return self.layers * attention + self.dense_layers * dense + moe_layers * moe + self.d * self.vocab

    def attention_dims(self) -> int:
        return self.layers * self.heads * (self.nope + self.rope + self.v)


def forward(a, T: int, pairs: int) -> int:
    """Forward FLOP of one T-token sequence whose attention covers `pairs` query-key pairs per head."""
    return 2 * T * a.weights() + 2 * a.attention_dims() * pairs


def train_per_token(a, T: int) -> int:
    """3 × forward over the full square, per token: 6·W + 6·T·Σ H·(d_qk + d_v)."""
    total = 3 * forward(a, T, T * T)
    assert total % T == 0
    return total // T


def generate(a, T: int) -> int:
    """A KV-cached rollout of T tokens: token t attends to t positions, T(T+1)/2 pairs."""
    return forward(a, T, T * (T + 1) // 2)


def lora_per_token(a: Arch, T: int, rank: int) -> Fraction:
    """LoRA of rank r on every linear layer (q, k, v, o, gate, up, down) of a frozen dense base.
    Forward: the base + 2·T·A (A adapter weights). Backward: activation gradients of every
    base matmul (the head included) and 2 × attention's, plus the adapters' activation and
    weight gradients (2·2·T·A); the frozen weights get no weight gradient. Layer 0's input is a
    frozen embedding, so its q, k, v projections and their adapters' A matrices need no input
    gradient: −2·T·d·(q + 2·kv) − 2·T·d·r·3."""
    q, kv = a.heads * a.hd, a.kv * a.hd
    per_layer = rank * ((a.d + q) + 2 * (a.d + kv) + (q + a.d) + 3 * (a.d + a.ffn))
    adapters = a.layers * per_layer
    linear = 2 * T * a.weights()
    attention = 2 * a.attention_dims() * T * T
    saved = 2 * T * a.d * (q + 2 * kv) + 2 * T * a.d * rank * 3
    return Fraction(2 * linear + 3 * attention + 6 * T * adapters - saved, T)


# --- architectures, read off the recipes and configs -----------------------------------------

#: Llama 3.1 8B (examples/configs/llama-3.1-8b.json, torchtitan llama3_args["8B"] with
#: ffn int(1.3·int(2·4·4096/3)) rounded up to 1024 = 14,336; Megatron --ffn-hidden-size 14336)
LLAMA3_8B = Arch(4096, 32, 32, 8, 128, 14336, 128256)
#: torchtitan 70B: int(1.3·21,845) = 28,398 → 28,672 (multiple_of 4096); 405B: int(1.2·43,690) = 52,428 → 53,248
LLAMA3_70B = Arch(8192, 80, 64, 8, 128, 28672, 128256)
LLAMA3_405B = Arch(16384, 126, 128, 8, 128, 53248, 128256)
#: MaxText models/llama2-7b.yml, NeMo megatron_llama_config.yaml; llama2-70b.yml
LLAMA2_7B = Arch(4096, 32, 32, 32, 128, 11008, 32000)
LLAMA2_70B = Arch(8192, 80, 64, 8, 128, 28672, 32000)
#: meta-llama/Llama-3.2-1B config.json (head_dim 2048/32 = 64, tied head still a matmul)
LLAMA32_1B = Arch(2048, 16, 32, 8, 64, 8192, 128256)
#: Mistral 7B v0.1 (examples/configs/mistral-7b.json; sliding window 4096 ≥ every T used here)
MISTRAL_7B = Arch(4096, 32, 32, 8, 128, 14336, 32000)
#: Mixtral 8x7B: top-2 of 8 experts, router 4096×8; vocab per recipe
MIXTRAL_32K = Arch(4096, 32, 32, 8, 128, 14336, 32000, active=2, router=8)
MIXTRAL_256K = MIXTRAL_32K._replace(vocab=256000)
#: Qwen3 flavours, torchtitan qwen3_args (head_dim 128, vocab 151,936)
QWEN3 = {"0.6B": Arch(1024, 28, 16, 8, 128, 3072, 151936), "1.7B": Arch(2048, 28, 16, 8, 128, 6144, 151936),
         "4B": Arch(2560, 36, 32, 8, 128, 9728, 151936), "8B": Arch(4096, 36, 32, 8, 128, 12288, 151936),
         "14B": Arch(5120, 40, 40, 8, 128, 17408, 151936), "32B": Arch(5120, 64, 64, 8, 128, 25600, 151936)}
#: Qwen2.5 config.jsons (tests/recipes/trl/, hf-run/): 7B; 1.5B (and R1-Distill-Qwen-1.5B); 0.5B
QWEN25_7B = Arch(3584, 28, 28, 4, 128, 18944, 152064)
QWEN25_15B = Arch(1536, 28, 12, 2, 128, 8960, 151936)
QWEN25_05B = Arch(896, 24, 14, 2, 64, 4864, 151936)
#: GPT-2 layouts (Megatron / NeMo defaults: GELU MLP 4h, MHA), GPT-2 vocab 50,257 padded to 50,304
GPT_345M_TEST = Arch(512, 12, 8, 8, 64, 2048, 50304, gated=False)
NEMO_GPT = Arch(768, 12, 12, 12, 64, 3072, 50304, gated=False)
#: Pythia (GPT-NeoX: MHA, MLP 4h, untied), vocab 50,277 padded to 128 × model parallel
PYTHIA = {"70m": (512, 6, 8, 1), "160m": (768, 12, 12, 1), "410m": (1024, 24, 16, 1), "1b": (2048, 16, 8, 1),
          "1.4b": (2048, 24, 16, 1), "2.8b": (2560, 32, 32, 1), "6.9b": (4096, 32, 32, 2), "12b": (5120, 36, 40, 4)}


def pythia(size: str) -> Arch:
    d, layers, heads, mp = PYTHIA[size]
    vocab = -(-50277 // (128 * mp)) * 128 * mp
    return Arch(d, layers, heads, heads, d // heads, 4 * d, vocab, gated=False)


#: OLMo 2 (official-1124 YAML): MHA, SwiGLU mlp_hidden_size/2, embedding_size 100,352, untied
OLMO2_7B = Arch(4096, 32, 32, 32, 128, 22016 // 2, 100352)
OLMO2_13B = Arch(5120, 40, 40, 40, 128, 27648 // 2, 100352)
#: DeepSeek V3 671B (torchtitan deepseekv3_args["671B"], Megatron sbatch flags): 61 layers, 3 dense
#: (18,432), 58 MoE: 256 experts top-8 + 1 shared of 2,048; q_lora 1,536; vocab 129,280
DEEPSEEK_V3 = MLA(7168, 61, 3, 128, 1536, 18432, 2048, 256, 8, 1, 129280)
#: torchtitan "16B" (DeepSeek-V2-Lite / Moonlight layout): 27 layers, 1 dense (10,944), 64 experts
#: top-6 + 2 shared of 1,408, 16 heads, q_lora_rank 0, vocab 102,400
DEEPSEEK_16B = MLA(2048, 27, 1, 16, 0, 10944, 1408, 64, 6, 2, 102400)

L8 = "examples/configs/llama-3.1-8b.json"
L1 = "tests/recipes/megatron-bridge/llama-3.2-1b-config.json"
Q4 = "tests/recipes/llamafactory/qwen3-4b-config.json"
Q7 = "tests/recipes/trl/qwen2.5-7b-config.json"
Q15 = "tests/recipes/trl/qwen2.5-1.5b-instruct-config.json"
R1 = "tests/recipes/trl/deepseek-r1-distill-qwen-1.5b-config.json"
M7 = "examples/configs/mistral-7b.json"
Q05 = "tests/recipes/hf-run/qwen05-cls-full/config.json"


class Row(NamedTuple):
    path: str                      # under tests/recipes/ (FILE::NAME for a registry)
    flags: dict                    # what the user gives on the command line
    tokens: int                    # tokens of the (first) training phase
    per_token: int | Fraction      # training FLOP per token of the trained phase, by the reference
    total: int                     # est.training.total, by the reference
    bound: str                     # "exact" or "upper"


def single(path, flags, tokens, per_token, bound="exact") -> Row:
    return Row(path, flags, tokens, per_token, tokens * per_token, bound)


def grpo(path, flags, sequences, a, T, *, old_policy: bool) -> Row:
    """Rollouts (KV-cached), the policy update (trained), the old-policy forward when run: all
    kind rl, all counted; a reference-model forward is auxiliary, in no total."""
    total = sequences * (generate(a, T) + 3 * forward(a, T, T * T) + (forward(a, T, T * T) if old_policy else 0))
    return Row(path, flags, sequences * T, train_per_token(a, T), total, "upper")


def pythia_row(size: str, dedup: bool) -> Row:
    gpus = {"70m": 32, "160m": 32, "410m": 32, "1b": 64, "1.4b": 64, "2.8b": 64, "6.9b": 128}[size]
    name = f"neox/pythia/pythia-{size}{'-deduped' if dedup else ''}.yml"
    # train-iters 143,000 × train batch 1,024 (micro × accumulation × data parallel) × seq-length 2,048
    return single(name, {"gpus": str(gpus), "vocab_size": "50277"}, 143_000 * 1024 * 2048,
                  train_per_token(pythia(size), 2048))


ROWS = {
    # --- torchtitan TOML (v0.2.2) ---
    # steps 1,000 × local_batch_size 1 × shard -1 → 64 devices × seq_len 8,192
    "titan-llama3-8b": single("torchtitan/llama3_8b.toml", {"gpus": "64"}, 1000 * 1 * 64 * 8192,
                              train_per_token(LLAMA3_8B, 8192)),
    # 1,000 × local 8 × (64 / tensor 8) × 8,192
    "titan-llama3-70b": single("torchtitan/llama3_70b.toml", {"gpus": "64"}, 1000 * 8 * 8 * 8192,
                               train_per_token(LLAMA3_70B, 8192)),
    # 3,000 × local 2 × 8 × 4,096
    "titan-qwen3-32b": single("torchtitan/qwen3_32b.toml", {"gpus": "8"}, 3000 * 2 * 8 * 4096,
                              train_per_token(QWEN3["32B"], 4096)),
    # --- torchtitan Python registries: a flavour alone has no length (--tokens), T = 2,048 default ---
    "titan-reg-llama3-8b": single("torchtitan/registry-4a950ea/llama3/__init__.py::8B", {"tokens": "15e12"},
                                  15 * 10**12, train_per_token(LLAMA3_8B, 2048)),
    "titan-reg-llama3-70b": single("torchtitan/registry-4a950ea/llama3/__init__.py::70B", {"tokens": "15e12"},
                                   15 * 10**12, train_per_token(LLAMA3_70B, 2048)),
    "titan-reg-llama3-405b": single("torchtitan/registry-4a950ea/llama3/__init__.py::405B", {"tokens": "15.6e12"},
                                    156 * 10**11, train_per_token(LLAMA3_405B, 2048)),
    **{f"titan-reg-qwen3-{k}": single(f"torchtitan/registry-4a950ea/qwen3/__init__.py::{k}", {"tokens": "36e12"},
                                      36 * 10**12, train_per_token(a, 2048)) for k, a in QWEN3.items()},
    "titan-reg-dsv3-16b": single("torchtitan/registry-4a950ea/deepseek_v3/__init__.py::16B", {"tokens": "1e12"},
                                 10**12, train_per_token(DEEPSEEK_16B, 2048)),
    "titan-reg-dsv3-671b": single("torchtitan/registry-4a950ea/deepseek_v3/__init__.py::671B",
                                  {"tokens": "14.8e12"}, 148 * 10**11, train_per_token(DEEPSEEK_V3, 2048)),
    "titan-cfg-dsv3-671b-flavour": single("torchtitan/registry-9810191/deepseek_v3/__init__.py::671B",
                                          {"tokens": "14.8e12"}, 148 * 10**11, train_per_token(DEEPSEEK_V3, 2048)),
    # deepseek_v3_671b(): steps 10,000 × local_batch_size 4 × shard -1 → 512 × seq_len 4,096
    "titan-cfg-dsv3-671b": single("torchtitan/registry-9810191/deepseek_v3/config_registry.py::deepseek_v3_671b",
                                  {"gpus": "512"}, 10_000 * 4 * 512 * 4096, train_per_token(DEEPSEEK_V3, 4096)),
    # deepseek_v3_16b(): 1,000 × 4 × 8 × 4,096 (expert parallel 8 does not divide the data)
    "titan-cfg-dsv3-16b": single("torchtitan/registry-9810191/deepseek_v3/config_registry.py::deepseek_v3_16b",
                                 {"gpus": "8"}, 1000 * 4 * 8 * 4096, train_per_token(DEEPSEEK_16B, 4096)),
    # --- Megatron-LM launch scripts ---
    # --train-samples 1,953,125,000 × --seq-length 8,192; --exit-duration-in-mins 235: upper
    "megatron-llama3-8b": single("megatron/train_llama3_8b_h100_fp8.sh", {}, 1_953_125_000 * 8192,
                                 train_per_token(LLAMA3_8B, 8192), "upper"),
    # --train-iters 500,000 × --global-batch-size 256 × --seq-length 4,096
    "megatron-mixtral": single("megatron/train_mixtral_8x7b_distributed.sh", {"vocab_size": "32000"},
                               500_000 * 256 * 4096, train_per_token(MIXTRAL_32K, 4096)),
    # --train-samples 585,937,500 × 4,096; --exit-duration-in-mins 220: upper; MTP not counted
    "megatron-dsv3": single("megatron/sbatch_mfsdp_deepseek_v3.sh", {"vocab_size": "129280"}, 585_937_500 * 4096,
                            train_per_token(DEEPSEEK_V3, 4096), "upper"),
    # --- Megatron-LM functional-test YAML ---
    # --train-iters 50 × --global-batch-size 32 × --seq-length 1,024
    "megatron-ft-gpt3-345m": single(
        "megatron/functional/gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp1_pp2/model_config.yaml",
        {"vocab_size": "50257"}, 50 * 32 * 1024, train_per_token(GPT_345M_TEST, 1024)),
    # the same model with --tensor-model-parallel-size 4: 50,257 padded to a multiple of 128 × 4 = 50,688;
    # --train-iters 50 × --global-batch-size 32 × --seq-length 1,024
    "megatron-ft-gpt3-345m-tp4": single(
        "megatron/functional/gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp4_pp1/model_config.yaml",
        {"vocab_size": "50257"}, 50 * 32 * 1024, train_per_token(GPT_345M_TEST._replace(vocab=50688), 1024)),
    # --train-samples 24,414,063 × 4,096; --exit-duration-in-mins 230: upper
    "megatron-ft-mixtral": single("megatron/functional/mixtral_8x7b_alltoall_tp2pp4ep4_release/model_config.yaml",
                                  {"vocab_size": "256000"}, 24_414_063 * 4096,
                                  train_per_token(MIXTRAL_256K, 4096), "upper"),
    # --- MaxText run configs and launch scripts ---
    # steps 30 × int(8 devices × per_device_batch_size 12) × max_target_length 8,192
    "maxtext-llama3-8b": single("maxtext/configs/gpu/models/llama3_8b.yml", {"gpus": "8"}, 30 * 96 * 8192,
                                train_per_token(LLAMA3_8B, 8192)),
    # 30 × 96 × 4,096
    "maxtext-mixtral": single("maxtext/configs/gpu/models/mixtral_8x7b.yml", {"gpus": "8"}, 30 * 96 * 4096,
                              train_per_token(MIXTRAL_32K, 4096)),
    # steps=30 × (dcn_data 16 × ici_fsdp 8 = 128 devices × per_device_batch_size=4) × 4,096
    "maxtext-a3-16vm": single("maxtext/configs/a3/llama_2_7b/16vm.sh", {}, 30 * 128 * 4 * 4096,
                              train_per_token(LLAMA2_7B, 4096)),
    # steps=15 × 256 × 4 × base.yml max_target_length 2,048
    "maxtext-v5e-llama2-7b": single("maxtext/configs/v5e/llama2_7b.sh", {"gpus": "256"}, 15 * 256 * 4 * 2048,
                                    train_per_token(LLAMA2_7B, 2048)),
    # steps=30 × 256 × 1 × 8,192
    "maxtext-v5e-llama3-8b": single("maxtext/configs/v5e/llama3/llama3_8b.sh", {"gpus": "256"}, 30 * 256 * 8192,
                                    train_per_token(LLAMA3_8B, 8192)),
    # steps=30 × 256 × 4 × 4,096 ("4M token global batch")
    "maxtext-v5p-llama2-70b": single("maxtext/configs/v5p/llama2_70b.sh", {"gpus": "256"}, 30 * 256 * 4 * 4096,
                                     train_per_token(LLAMA2_70B, 4096)),
    # --- Megatron-Bridge override YAML ---
    # train_iters 100 × global_batch_size 8 × seq_length 4,096
    "bridge-llama32-1b": single("megatron-bridge/llama32_1b_pretrain.yaml", {"base_config": L1}, 100 * 8 * 4096,
                                train_per_token(LLAMA32_1B, 4096)),
    # train_iters 20 × global_batch_size 8 × --seq-len 8,192 (the file has none)
    "bridge-quantized-8b": single("megatron-bridge/quantized_llama3_8b_pretrain_override_example.yaml",
                                  {"base_config": L8, "seq_len": "8192"}, 20 * 8 * 8192,
                                  train_per_token(LLAMA3_8B, 8192)),
    # --- NeMo 1.x Hydra YAML ---
    # trainer.max_steps 100,000 × global_batch_size 8 × encoder_seq_length 512
    "nemo1-gpt": single("nemo/megatron_gpt_config.yaml", {"vocab_size": "50257"}, 100_000 * 8 * 512,
                        train_per_token(NEMO_GPT, 512)),
    # 100,000 × 8 × 4,096
    "nemo1-llama": single("nemo/megatron_llama_config.yaml", {"vocab_size": "32000"}, 100_000 * 8 * 4096,
                          train_per_token(LLAMA2_7B, 4096)),
    # NeMo's megatron_qwen2_config.yaml (4B column): 40 layers × 2,560, 20 heads = 20 query groups × 128,
    # ffn 6,912, fast-swiglu, untied; trainer.max_steps 100,000 × global_batch_size 8 × encoder_seq_length 32,768;
    # the Qwen tokenizer's 151,936 (a multiple of 128)
    "nemo1-qwen2": single("nemo1-examples/megatron_qwen2_config.yaml", {"vocab_size": "151936"},
                          100_000 * 8 * 32768, train_per_token(Arch(2560, 40, 20, 20, 128, 6912, 151936), 32768)),
    # --- NeMo-RL (sequence lengths are caps: upper) ---
    # sft.max_num_steps 10,000 × train_global_batch_size 512 × max_total_sequence_length 4,096
    "nemo-rl-sft-1n8g": single("nemo-rl/examples/configs/recipes/llm/sft-llama3.1-8b-1n8g-fsdp2tp1-long.yaml",
                               {"base_config": L8}, 10_000 * 512 * 4096, train_per_token(LLAMA3_8B, 4096), "upper"),
    # ⌊950,000 samples / 512⌋ = 1,855 steps (< 10,000) × 512 × 4,096
    "nemo-rl-sft-1n4g": single("nemo-rl/examples/configs/recipes/llm/sft-llama3.1-8b-1n4g-fsdp2tp1-long.yaml",
                               {"base_config": L8, "samples": "950000"}, 1855 * 512 * 4096,
                               train_per_token(LLAMA3_8B, 4096), "upper"),
    # sft.yaml: max_num_steps 60 × 32 × 1,024 (Llama-3.2-1B)
    "nemo-rl-sft-base": single("nemo-rl/examples/configs/sft.yaml", {"base_config": L1}, 60 * 32 * 1024,
                               train_per_token(LLAMA32_1B, 1024), "upper"),
    # dpo.yaml: 150 steps × 128 pairs × 2 sequences × 1,024; the reference forward is auxiliary
    "nemo-rl-dpo-base": single("nemo-rl/examples/configs/dpo.yaml", {"base_config": L1}, 150 * 128 * 2 * 1024,
                               train_per_token(LLAMA32_1B, 1024), "upper"),
    # dpo-…-tulu3: max_num_steps 2,110 × 128 × 2 × 2,048
    "nemo-rl-dpo-tulu3": single("nemo-rl/examples/configs/recipes/llm/dpo-llama3.1-8b-tulu3-1n8g-fsdp2tp1.yaml",
                                {"base_config": L8}, 2110 * 128 * 2 * 2048, train_per_token(LLAMA3_8B, 2048),
                                "upper"),
    # grpo-deepscaler: ⌊40,315 / 128 prompts⌋ = 314 steps × 128 × 8 generations, T 8,192
    "nemo-rl-grpo-deepscaler": grpo("nemo-rl/examples/configs/recipes/llm/grpo-deepscaler-1.5b-8K.yaml",
                                    {"base_config": R1, "samples": "40315"}, 314 * 128 * 8, QWEN25_15B, 8192,
                                    old_policy=True),
    # grpo_math_1B: ⌊1,000 / 32⌋ = 31 steps × 32 × 16, T 512 (Qwen2.5-1.5B)
    "nemo-rl-grpo-math-1b": grpo("nemo-rl/examples/configs/grpo_math_1B.yaml", {"base_config": Q15, "samples": "1000"},
                                 31 * 32 * 16, QWEN25_15B, 512, old_policy=True),
    # --- Axolotl (packing without --dataset-tokens: upper) ---
    # num_epochs 4 × 1,900 rows × sequence_len 4,096; LoRA r 32 on every linear layer
    "axolotl-lora-8b": single("axolotl/lora-8b.yml", {"base_config": L8, "samples": "1900"}, 4 * 1900 * 4096,
                              lora_per_token(LLAMA3_8B, 4096, 32), "upper"),
    # num_epochs 1 × 1,000 rows × sequence_len 8,192, full
    "axolotl-fft-8b": single("axolotl/fft-8b.yaml", {"base_config": L8, "samples": "1000"}, 1 * 1000 * 8192,
                             train_per_token(LLAMA3_8B, 8192), "upper"),
    # --- LLaMA-Factory (rows × cutoff_len without packing: upper) ---
    # num_train_epochs 3 × 1,000 × cutoff_len 2,048
    "llamafactory-full": single("llamafactory/qwen3_full_sft.yaml", {"base_config": Q4, "samples": "1000"},
                                3 * 1000 * 2048, train_per_token(QWEN3["4B"], 2048), "upper"),
    # same tokens, lora_rank 8 on every linear layer (lora_target all)
    "llamafactory-lora": single("llamafactory/qwen3_lora_sft.yaml", {"base_config": Q4, "samples": "1000"},
                                3 * 1000 * 2048, lora_per_token(QWEN3["4B"], 2048, 8), "upper"),
    # --- TRL CLI configs (open-r1, alignment-handbook, TRL's own example) ---
    # num_train_epochs 5 × 1,000 × max_length 32,768
    "trl-sft-openr1-distill": single("trl/open-r1/OpenR1-Distill-7B/sft/config_distill.yaml",
                                     {"base_config": Q7, "samples": "1000"}, 5 * 1000 * 32768,
                                     train_per_token(QWEN25_7B, 32768), "upper"),
    # 10 epochs × 500 × 32,768
    "trl-sft-olympiccoder": single("trl/open-r1/OlympicCoder-7B/sft/config_v00.00.yaml",
                                   {"base_config": Q7, "samples": "500"}, 10 * 500 * 32768,
                                   train_per_token(QWEN25_7B, 32768), "upper"),
    # 1 epoch × 1,000 prompts × num_generations 16, T = max_prompt_length 512 + max_completion_length 1,024;
    # use_vllm with TRL's importance-sampling correction: the old-policy forward runs
    "trl-grpo-qwen25": grpo("trl/open-r1/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml",
                            {"base_config": Q15, "samples": "1000"}, 1000 * 16, QWEN25_15B, 512 + 1024,
                            old_policy=True),
    # 1,000 × 16, T = 512 + 2,048
    "trl-grpo-r1-distill": grpo("trl/open-r1/DeepSeek-R1-Distill-Qwen-1.5B/grpo/config_demo.yaml",
                                {"base_config": R1, "samples": "1000"}, 1000 * 16, QWEN25_15B, 512 + 2048,
                                old_policy=True),
    # 1 epoch × 61,135 pairs × 2 sequences × max_length 1,024; reference forward auxiliary
    "trl-dpo-zephyr-full": single("trl/alignment-handbook/zephyr-7b-beta/dpo/config_full.yaml",
                                  {"base_config": M7, "samples": "61135"}, 2 * 61135 * 1024,
                                  train_per_token(MISTRAL_7B, 1024), "upper"),
    # the same pairs, QLoRA r 128 on q,k,v,o,gate,up,down
    "trl-dpo-zephyr-qlora": single("trl/alignment-handbook/zephyr-7b-beta/dpo/config_qlora.yaml",
                                   {"base_config": M7, "samples": "61135"}, 2 * 61135 * 1024,
                                   lora_per_token(MISTRAL_7B, 1024, 128), "upper"),
    # TrainingArguments only (Qwen/Qwen2.5-0.5B on imdb): num_train_epochs default 3 × 25,000 rows × --seq-len 512
    "trl-cli-example": single("trl/cli_configs/example_config.yaml",
                              {"base_config": Q05, "samples": "25000", "seq_len": "512"}, 3 * 25000 * 512,
                              train_per_token(QWEN25_05B, 512), "upper"),
    # --- Hugging Face Trainer run folder: tokens = total_flos / (6 × non-embedding N) ---
    # --- GPT-NeoX (Pythia) ---
    **{f"pythia-{s}{'-deduped' if dd else ''}": pythia_row(s, dd)
       for s in ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b") for dd in (False, True)},
    # NeoX's own configs/pythia/12B.yml: 143,000 × 1,024 × 2,048
    "neox-12b": single("neox/gpt-neox/12B.yml", {"gpus": "256", "vocab_size": "50277"}, 143_000 * 1024 * 2048,
                       train_per_token(pythia("12b"), 2048)),
    # --- OLMo 2 trainer YAML ---
    # stage 1 max_duration 1ep: --tokens = the step its stage 2 loads (928,646) × batch 1,024 × 4,096
    "olmo2-7b-stage1": single("olmo/OLMo2-7B-stage1.yaml", {"tokens": str(928_646 * 1024 * 4096)},
                              928_646 * 1024 * 4096, train_per_token(OLMO2_7B, 4096)),
    # stage 1 13B: step 596,057 × 2,048 × 4,096
    "olmo2-13b-stage1": single("olmo/OLMo2-13B-stage1.yaml", {"tokens": str(596_057 * 2048 * 4096)},
                               596_057 * 2048 * 4096, train_per_token(OLMO2_13B, 4096)),
    # stage 2: stop_at 11,931 × global_train_batch_size 1,024 × max_sequence_length 4,096
    **{f"olmo2-7b-stage2-{s}": single(f"olmo/OLMo2-7B-stage2-seed{s}.yaml", {}, 11_931 * 1024 * 4096,
                                      train_per_token(OLMO2_7B, 4096)) for s in ("42", "42069", "666")},
    # 13B stage 2: stop_at 11,931 × 2,048 × 4,096 (100B); 35,773 × 2,048 × 4,096 (300B)
    **{f"olmo2-13b-stage2-{s}": single(f"olmo/OLMo2-13B-stage2-seed{s}.yaml", {}, 11_931 * 2048 * 4096,
                                       train_per_token(OLMO2_13B, 4096))
       for s in ("1110-100B", "2662-100B", "6209-100B")},
    "olmo2-13b-stage2-2662-300B": single("olmo/OLMo2-13B-stage2-seed2662-300B.yaml", {}, 35_773 * 2048 * 4096,
                                         train_per_token(OLMO2_13B, 4096)),
}


def hf_run_tokens() -> int:
    """trainer_state.json's total_flos = 6 × non-embedding parameters × tokens (transformers'
    floating_point_ops). Qwen2.5-0.5B non-embedding parameters by hand: per layer q 896² + 896,
    k, v 896·128 + 128 each, o 896², MLP 3·896·4,864, two norms 2·896 → 14,912,384 × 24 layers
    + final norm 896 = 357,898,112 (the tied head is the embedding, excluded)."""
    per_layer = 896 * 896 + 896 + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896
    non_embedding = 24 * per_layer + 896
    total_flos = json.loads((RECIPES / "hf-run" / "qwen05-cls-full" / "trainer_state.json").read_text())["total_flos"]
    tokens = Fraction(total_flos) / (6 * non_embedding)
    assert tokens.denominator == 1
    return int(tokens)


ROWS["hf-run-qwen05"] = single("hf-run/qwen05-cls-full", {"seq_len": "512"}, hf_run_tokens(),
                               train_per_token(QWEN25_05B, 512))


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=ROOT, env=env)


def cli_flags(flags: dict) -> list[str]:
    return [a for k, v in flags.items() for a in ("--" + k.replace("_", "-"), v)]


def real_files() -> set[str]:
    return {row.path.split("::")[0] for row in ROWS.values()}


def test_at_least_50_real_recipes_and_every_format():
    """≥ 50 distinct real files (a registry's flavours count once), every format of issue 28."""
    files = real_files()
    assert len(files) >= 50, len(files)
    for prefix in ("torchtitan/llama3", "torchtitan/registry-4a950ea/", "torchtitan/registry-9810191/",
                   "megatron/train_", "megatron/functional/", "megatron-bridge/", "nemo/", "nemo-rl/",
                   "maxtext/configs/gpu/", "maxtext/configs/v5", "maxtext/configs/a3/", "nemo1-examples/", "axolotl/", "llamafactory/", "trl/",
                   "neox/", "olmo/", "hf-run/"):
        assert any(f.startswith(prefix) for f in files), prefix
    for f in files:
        assert (RECIPES / f).exists(), f


@pytest.mark.parametrize("name", list(ROWS))
def test_real_recipe(name):
    row = ROWS[name]
    path = Path(str(RECIPES / row.path))
    result = import_path(path, Flags(**row.flags))
    plan = plan_from_mapping(result.plan, str(path), (RECIPES / row.path.split("::")[0]).parent)
    est = estimate(plan)
    trained = next(i for i, p in enumerate(plan.phases) if p.work == "train")
    phase = plan.phases[trained]
    assert phase.tokens == row.tokens
    flop = est.phases[trained].estimates["full"].total
    assert Fraction(flop, phase.tokens) == row.per_token
    assert est.training.total == row.total
    assert {p.upper_bound for p in plan.phases} == {row.bound == "upper"}
    if row.bound == "upper":
        assert all(ev.status != "crossed" for ev in est.evaluations)


UPPER = [name for name, row in ROWS.items() if row.bound == "upper"]


@pytest.mark.parametrize("name", UPPER)
def test_upper_bound_rows_never_say_crossed(name):
    """The CLI text and --json: an upper-bound count reads 'at most' / 'below', never crossed."""
    row = ROWS[name]
    args = ["estimate", str(RECIPES / row.path), *cli_flags(row.flags)]
    text = cli(*args)
    assert text.returncode == 0, text.stderr
    assert "CROSSED" not in text.stdout.upper().replace("NOT CROSSED", "")
    out = cli(*args, "--json")
    data = json.loads(out.stdout)
    assert all(p["bound"] == "upper" for p in data["phases"])
    assert all(t["status"] != "crossed" for t in data["thresholds"])
    assert '"crossed"' not in out.stdout


# --- the reference checked against transformers on the meta device --------------------------

@pytest.mark.parametrize("config, arch", [(L8, LLAMA3_8B), (L1, LLAMA32_1B), (Q4, QWEN3["4B"]), (Q7, QWEN25_7B),
                                          (Q15, QWEN25_15B), (R1, QWEN25_15B), (M7, MISTRAL_7B),
                                          (Q05, QWEN25_05B), ("examples/configs/olmo-2-1124-13b.json", OLMO2_13B)])
def test_reference_weights_equal_transformers_linear_layers(config, arch):
    """The reference's matmul weights per token = every nn.Linear weight of transformers' own
    model built from the config.json on the meta device (lm_head counted even when tied)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data = json.loads((ROOT / config).read_text())
    model_type = data.pop("model_type")
    cfg = transformers.AutoConfig.for_model(model_type, **{k: v for k, v in data.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert linear == arch.weights()


@pytest.mark.parametrize("arch", [LLAMA3_70B, LLAMA3_405B, LLAMA2_7B, LLAMA2_70B])
def test_reference_weights_equal_transformers_llama(arch):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(hidden_size=arch.d, num_hidden_layers=arch.layers,
                                   num_attention_heads=arch.heads, num_key_value_heads=arch.kv,
                                   intermediate_size=arch.ffn, vocab_size=arch.vocab, tie_word_embeddings=False)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(cfg)
    assert sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear)) == arch.weights()


def test_reference_gpt_neox_equals_transformers():
    """Pythia 70M and 1.4B as transformers' GPTNeoXForCausalLM: every Linear weight."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    for size in ("70m", "1.4b"):
        a = pythia(size)
        cfg = transformers.GPTNeoXConfig(hidden_size=a.d, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                                         intermediate_size=a.ffn, vocab_size=a.vocab)
        with torch.device("meta"):
            model = transformers.GPTNeoXForCausalLM(cfg)
        assert sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear)) == a.weights()


def test_reference_deepseek_v3_by_hand():
    """DeepSeek V3 671B per token at T = 4,096, by hand: attention per layer q_a 7,168·1,536 +
    q_b 1,536·128·192 + kv_a 7,168·576 + kv_b 512·128·256 + o 128·128·7,168 = 187,105,280;
    × 61 = 11,413,422,080; dense MLP 3 × 3·7,168·18,432 = 1,189,085,184; MoE 58 × (9 × 3·7,168·2,048
    + 7,168·256) = 58 × 398,196,736 = 23,095,410,688; head 7,168·129,280 = 926,679,040 →
    W = 36,624,596,992 (= 37,552,282,624 active parameters less the embedding 926,679,040
    and the norms: 61 × (7,168·2 + 1,536 + 512) + 7,168 = 1,006,592). Attention 61 × 128 × 320
    = 2,498,560 dims; per token 6·W + 6·4,096·2,498,560 = 219,747,581,952 + 61,404,610,560
    = 281,152,192,512."""
    assert DEEPSEEK_V3.weights() == 36_624_596_992 == 37_552_282_624 - 926_679_040 - 1_006_592
    assert train_per_token(DEEPSEEK_V3, 4096) == 281_152_192_512


# --- bad input: one line, exit 2, the same from estimate, import and record -------------------

def one_line_everywhere(path: str, tmp_path: Path, *flags: str) -> str:
    lines = []
    for args in (("estimate", path), ("import", path), ("record", "--plan", path, "-o", str(tmp_path / "rec"))):
        out = cli(*args, *flags)
        err = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(err) == 1 and "Traceback" not in out.stderr, (args, out.stderr)
        lines.append(err[0])
    assert lines[0] == lines[1] == lines[2], lines
    assert not (tmp_path / "rec.json").exists()
    return lines[0]


@pytest.mark.parametrize("name", UPPER)
def test_upper_bound_totals_read_at_most(name):
    """Both totals of an upper-bound count are maxima: the text says "at most" on each line."""
    row = ROWS[name]
    out = cli("estimate", str(RECIPES / row.path), *cli_flags(row.flags))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("Cumulative compute  at most ") for line in lines)
    assert any(line.startswith("Training compute    at most ") for line in lines)
    out = cli("estimate", str(RECIPES / row.path), *cli_flags(row.flags), "--json")
    compute = json.loads(out.stdout)["compute"]
    assert compute["training"]["bound"] == compute["cumulative"]["bound"] == "upper"


#: Megatron-LM's hybrid Mamba-Transformer launch (examples/mamba/train.sh's form): pretrain_mamba.py
#: with --hybrid-override-pattern
MAMBA_SCRIPT = """#!/bin/bash
torchrun --nproc_per_node 8 pretrain_mamba.py \\
    --num-layers 56 --hidden-size 4096 --num-attention-heads 32 --group-query-attention --num-query-groups 8 \\
    --hybrid-override-pattern M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M- \\
    --seq-length 4096 --max-position-embeddings 4096 --train-iters 1000 --global-batch-size 256 \\
    --micro-batch-size 1 --vocab-size 256000 --tensor-model-parallel-size 1
"""


def bad_input(kind: str, tmp_path: Path) -> tuple[str, list[str], str]:
    """(path, flags, what the one line must say) for each bad input of issue 28's third bullet."""
    nemo = (RECIPES / "nemo" / "megatron_llama_config.yaml").read_text()
    if kind == "python":   # a training script, not a config registry: never imported or run
        path = tmp_path / "train.py"
        path.write_text("import os\nos.system('touch ran')\nconfig = dict(dim=4096, n_layers=32, steps=1000)\n")
        return str(path), [], "a Python file"
    if kind == "shell":    # a data-preparation script: no launch line
        path = tmp_path / "preprocess.sh"
        path.write_text("#!/bin/bash\nset -e\npython tools/preprocess_data.py --input /data/raw.jsonl "
                        "--output-prefix /data/tok --tokenizer-type GPT2BPETokenizer --workers 8\n")
        return str(path), [], "a shell script without a launch line"
    if kind == "hydra":    # NeMo 1.x: data.seq_length points at a key the file does not have
        path = tmp_path / "megatron_llama_config.yaml"
        path.write_text(nemo.replace("seq_length: ${model.encoder_seq_length}", "seq_length: ${model.seq_len}", 1))
        return str(path), ["--vocab-size", "32000"], "model.seq_len is not in the file"
    if kind == "qwen3-moe":  # torchtitan's real Qwen3 MoE registry, its 30B-A3B flavour given a shared expert
        real = (RECIPES / "torchtitan/registry-4a950ea/qwen3/__init__.py").read_text()
        assert real.count("num_shared_experts=0,") >= 1
        path = tmp_path / "qwen3" / "__init__.py"
        path.parent.mkdir()
        path.write_text(real.replace("num_shared_experts=0,", "num_shared_experts=1,"))
        return f"{path}::30B-A3B", ["--tokens", "1e12"], "a shared expert in a Qwen3 MoE flavour"
    if kind == "mamba":
        path = tmp_path / "train_mamba.sh"
        path.write_text(MAMBA_SCRIPT)
        return str(path), [], "hybrid_override_pattern: this architecture is not mapped"
    if kind == "nemo-moe":  # NeMo 1.x Llama config turned MoE (num_moe_experts)
        old = "  num_layers: 32 # 7b: 32 | 13b: 40 | 70b: 80\n"
        assert old in nemo
        path = tmp_path / "megatron_mixtral_config.yaml"
        path.write_text(nemo.replace(old, old + "  num_moe_experts: 8\n  moe_router_topk: 2\n"))
        return str(path), ["--vocab-size", "32000"], "model.num_moe_experts: is not mapped"
    functional = RECIPES / "megatron" / "functional"
    if kind == "megatron-squared-relu":  # Megatron-LM's own 15B release test: --squared-relu
        return str(functional / "gpt3_15b_8t_release" / "model_config.yaml"), ["--vocab-size", "256000"], \
            "squared_relu: this architecture is not mapped"
    if kind == "megatron-gelu-experts":  # --num-experts 2 with Megatron's default GELU MLP
        return str(functional / "gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp2_pp2_te_2experts" / "model_config.yaml"), \
            ["--vocab-size", "50257"], "is not mapped yet"
    if kind == "nemo-starcoder":  # NeMo's StarCoder config: GELU MLP with rotary positions
        return str(RECIPES / "nemo1-examples" / "megatron_starcoder_config.yaml"), ["--vocab-size", "49152"], \
            "is not mapped yet"
    if kind == "nemo-mamba":  # NeMo's own Mamba-2 hybrid config
        return str(RECIPES / "nemo1-examples" / "megatron_mamba_config.yaml"), ["--vocab-size", "256000"], \
            "not mapped"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["python", "shell", "hydra", "qwen3-moe", "mamba", "nemo-moe", "megatron-squared-relu",
                                  "megatron-gelu-experts", "nemo-starcoder", "nemo-mamba"])
def test_bad_input_is_one_line_exit_2_from_every_command(kind, tmp_path):
    path, flags, needle = bad_input(kind, tmp_path)
    line = one_line_everywhere(path, tmp_path, *flags)
    assert needle in line and line.startswith("flopcount: error: "), line
    assert not (tmp_path / "ran").exists() and not (ROOT / "ran").exists()


def test_nemo_mamba_config_is_refused_as_mamba(tmp_path):
    """NeMo's megatron_mamba_config.yaml (name: megatron_mamba, mamba_ssm_ngroups, hybrid_override_pattern) is a
    Mamba-2 hybrid: the one line should say so, not blame the MLP."""
    path, flags, _ = bad_input("nemo-mamba", tmp_path)
    line = one_line_everywhere(path, tmp_path, *flags)
    assert "mamba" in line.lower().replace(path.lower(), "")


def test_axolotl_recipe_without_base_model_is_refused_as_axolotl(tmp_path):
    """Axolotl's own lora-8b.yml with its base_model line removed keeps `model_type:
    LlamaForCausalLM` (Axolotl's key): it is still an Axolotl recipe, refused for the missing
    base_model by every command alike, not read as a model config by one and refused by another."""
    real = (RECIPES / "axolotl" / "lora-8b.yml").read_text()
    path = tmp_path / "lora-8b.yml"
    path.write_text("\n".join(line for line in real.splitlines() if not line.startswith("base_model:")) + "\n")
    assert "model_type: LlamaForCausalLM" in path.read_text() and "base_model:" not in path.read_text()
    assert one_line_everywhere(str(path), tmp_path).endswith("base_model: required field is missing")


def test_axolotl_validation_split_is_named_in_a_note():
    """fft-8b.yaml holds val_set_size 0.05 out of the rows: the note says --samples is the
    training split's, and the count is epochs × the samples given × sequence_len as before."""
    from flopcount.importers.recipe import Flags
    imported = import_path(RECIPES / "axolotl" / "fft-8b.yaml", Flags(samples="1000", base_config=str(L8)))
    assert any(n.startswith("val_set_size 0.05: held out") for n in imported.notes), imported.notes
    assert imported.plan["phases"][0]["tokens"] == 1 * 1000 * 8192
