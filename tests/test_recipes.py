"""Framework recipes imported into run plans: real published recipes (tests/recipes/SOURCES.md),
tokens, per-token FLOP and totals checked by hand, and the frameworks' own FLOP formulas
(transcribed from their source, cited) compared with flopcount's count."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flopcount.model.configs import load_spec
from flopcount import estimate
from flopcount.importers import find, import_path
from flopcount.importers.recipe import Flags
from flopcount.inputs.plan import plan_from_mapping
from flopcount.model.spec import count_parameters

HERE = Path(__file__).parent
RECIPES = HERE / "recipes"
ROOT = HERE.parent
LLAMA31_8B = ROOT / "examples" / "configs" / "llama-3.1-8b.json"
QWEN3_4B = RECIPES / "llamafactory" / "qwen3-4b-config.json"


def imported(path: Path, **flags: str):
    result = import_path(path, Flags(**flags))
    plan = plan_from_mapping(result.plan, str(path), path.parent)
    return result, plan, estimate(plan)


def per_token(plan, est) -> float:
    return est.training.total / plan.phases[0].tokens


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=cwd)


# --- torchtitan ------------------------------------------------------------------------

def torchtitan_flops_per_token(params: int, embedding: int, layers: int, heads: int, head_dim: int, seq: int) -> int:
    """torchtitan's MFU figure, transcribed from torchtitan/models/utils.py
    `get_dense_model_nparams_and_flops` (commit 4a950ea): 6·(N − embedding) + 6·L·H·(2·head_dim)·T,
    with N counted from the module's parameters (norm weights included) and attention over
    the full T×T square (no causal saving)."""
    return 6 * (params - embedding) + 6 * layers * heads * (2 * head_dim) * seq


def test_torchtitan_llama3_8b():
    """llama3_8b.toml on the 64 GPUs its header names: local batch 1 × data-parallel 64
    (shard degree -1 → all 64) = 64 sequences × 8192 tokens × 1000 steps = 524,288,000 tokens.
    The 8B flavour has exactly the parameters of the published Llama 3.1 8B config.
    flopcount per token = torchtitan's figure − 6 × the 266,240 norm weights (32 layers × 2 ×
    4096 + the final 4096), which torchtitan counts as 6N but are elementwise scalings, not
    matmuls: 57,914,449,920 − 1,597,440 = 57,912,852,480."""
    result, plan, est = imported(RECIPES / "torchtitan" / "llama3_8b.toml", gpus="64")
    assert plan.phases[0].tokens == 1000 * 64 * 8192 == 524_288_000
    params = count_parameters(plan.model.spec)
    assert params.total == count_parameters(load_spec(LLAMA31_8B)).total == 8_030_261_248
    theirs = torchtitan_flops_per_token(params.total, params.embedding, 32, 32, 128, 8192)
    assert theirs == 57_914_449_920
    assert per_token(plan, est) == theirs - 6 * (32 * 2 * 4096 + 4096) == 57_912_852_480
    assert est.training.total == 57_912_852_480 * 524_288_000
    assert any("activation checkpointing (selective)" in n for n in result.notes)
    assert result.trace["phases[0].steps"] == "training.steps"


def test_torchtitan_llama3_70b_tensor_parallel():
    """70B: tensor parallel 8 on 64 GPUs leaves data-parallel 8; local batch 8 → 64 sequences
    × 8192 × 1000 = 524,288,000 tokens; 70,553,706,496 parameters (Llama 3 70B: 70.6B)."""
    _, plan, est = imported(RECIPES / "torchtitan" / "llama3_70b.toml", gpus="64")
    assert (plan.phases[0].tokens, count_parameters(plan.model.spec).total) == (524_288_000, 70_553_706_496)
    params = count_parameters(plan.model.spec)
    norms = 80 * 2 * 8192 + 8192
    assert per_token(plan, est) == torchtitan_flops_per_token(params.total, params.embedding, 80, 64, 128, 8192) \
        - 6 * norms


def test_torchtitan_qwen3_32b():
    """qwen3_32b.toml on 8 GPUs: 2 × 8 = 16 sequences × 4096 × 3000 = 196,608,000 tokens;
    32,762,123,264 parameters (Qwen3-32B: 32.8B). Qwen3's q/k norms (128 each per layer) are
    norm weights too: 64 × (2·5120 + 2·128) + 5120 = 676,864."""
    _, plan, est = imported(RECIPES / "torchtitan" / "qwen3_32b.toml", gpus="8")
    params = count_parameters(plan.model.spec)
    assert (plan.phases[0].tokens, params.total) == (196_608_000, 32_762_123_264)
    assert per_token(plan, est) == torchtitan_flops_per_token(params.total, params.embedding, 64, 64, 128, 4096) \
        - 6 * (64 * (2 * 5120 + 2 * 128) + 5120)


def test_torchtitan_needs_the_device_count_and_checks_it():
    with pytest.raises(Exception, match="--gpus"):
        import_path(RECIPES / "torchtitan" / "llama3_70b.toml")
    with pytest.raises(Exception, match="not a multiple of replicate × tensor"):
        import_path(RECIPES / "torchtitan" / "llama3_70b.toml", Flags(gpus="12"))


# --- Megatron-LM -----------------------------------------------------------------------

def megatron_flops(batch: int, seq: int, layers: int, hidden: int, ffn: int, heads: int, groups: int,
                   kv_channels: int, vocab: int, swiglu: bool = True) -> int:
    """Megatron's `num_floating_point_operations` for a dense GQA model, transcribed from
    megatron/training/training.py (commit d98e8a6), BSHD path:
      total = B·s·[3·2·h·ffn·(3 if swiglu else 2)·L            (MLP)
                   + 3·2·(h·(q + k + v) + q·h)·L                (attention projections)
                   + 3·2·h·V]                                   (logits)
              + B·s²·3·2·q/2·2·L                                (core attention, causal half)
    with q = kv_channels·heads, k = v = kv_channels·groups."""
    q, kv = kv_channels * heads, kv_channels * groups
    linear = 6 * hidden * ffn * (3 if swiglu else 2) * layers + 6 * (hidden * (q + 2 * kv) + q * hidden) * layers \
        + 6 * hidden * vocab
    return batch * seq * linear + batch * seq * seq * (3 * 2 * q // 2 * 2) * layers


def test_megatron_llama3_8b_against_num_floating_point_operations():
    """train_llama3_8b_h100_fp8.sh: --train-samples 1,953,125,000 × --seq-length 8192 =
    16,000,000,000,000 tokens (16T); --vocab-size 128256 (both tokenizer branches), already a
    multiple of 128. Megatron per token: 51,470,401,536. flopcount counts attention over the
    full square (the convention FlopCounterMode measures), Megatron the causal half: the
    difference is exactly Megatron's core-attention term, 6·s·q·L = 6,442,450,944 per token,
    so flopcount = 57,912,852,480 per token (the same as torchtitan's 8B minus its norms)."""
    result, plan, est = imported(RECIPES / "megatron" / "train_llama3_8b_h100_fp8.sh")
    assert plan.phases[0].tokens == 1_953_125_000 * 8192 == 16 * 10**12
    assert count_parameters(plan.model.spec).total == 8_030_261_248
    theirs = megatron_flops(1, 8192, 32, 4096, 14336, 32, 8, 128, 128256) // 8192  # one sequence, per token
    assert theirs == 51_470_401_536
    core = 6 * 8192 * 4096 * 32
    assert per_token(plan, est) == theirs + core == 57_912_852_480
    assert any("8 devices" in n for n in result.notes)


def test_megatron_mixtral_8x7b():
    """train_mixtral_8x7b_distributed.sh: 500,000 iterations × global batch 256 × 4096 =
    524,288,000,000 tokens; Llama 2's tokenizer (32,000, a multiple of 128). 46,702,792,704
    parameters and 12,879,925,248 active: Mixtral 8x7B's published 46.7B / 12.9B."""
    _, plan, est = imported(RECIPES / "megatron" / "train_mixtral_8x7b_distributed.sh", vocab_size="32000")
    params = count_parameters(plan.model.spec)
    assert plan.phases[0].tokens == 500_000 * 256 * 4096
    assert (params.total, params.active) == (46_702_792_704, 12_879_925_248)
    assert est.training.total > 6 * params.active * plan.phases[0].tokens


def test_megatron_deepseek_v3_multi_latent_attention():
    """sbatch_mfsdp_deepseek_v3.sh: --multi-latent-attention with q/kv LoRA ranks 1536/512,
    --moe-layer-freq "[0]*3+[1]*58" (parsed, not evaluated: 3 dense layers first), 256
    experts top-8 with one shared expert of 2048, MTP 1; the global batch is the script's
    default GBS=${GBS:-2048} (said in a note). --train-samples 585,937,500 × 4096 = 2.4T
    tokens. The model is DeepSeek V3's own config.json to the parameter and the FLOP:
    671,026,404,352 total, 37,552,282,624 active (published 671B / 37B); its MTP module is
    stated as not counted. The script's heredoc quoting is split line by line."""
    result, plan, est = imported(RECIPES / "megatron" / "sbatch_mfsdp_deepseek_v3.sh", vocab_size="129280")
    reference = load_spec(ROOT / "examples" / "configs" / "deepseek-v3.json")
    params = count_parameters(plan.model.spec)
    assert params == count_parameters(reference) and (params.total, params.active) == (671_026_404_352,
                                                                                         37_552_282_624)
    assert plan.phases[0].tokens == 585_937_500 * 4096 == 2_400_000_000_000
    from flopcount.model.formulas import training_flops
    assert est.training.total == 585_937_500 * training_flops(reference, 4096, "full").total
    assert any("GBS=2048" in n for n in result.notes)
    assert any("multi-token-prediction" in n for n in plan.model.spec.notes)


def test_megatron_moe_layer_freq_is_parsed_never_evaluated(tmp_path):
    text = (RECIPES / "megatron" / "sbatch_mfsdp_deepseek_v3.sh").read_text()
    for freq, needle in (("__import__('os')", "is not N or a list"), ("[0]*3+[1]*57", "gives 60 layers"),
                         ("[0,1]*30+[1]", "dense layers between MoE layers")):
        path = tmp_path / "ds.sh"
        path.write_text(text.replace("[0]*3+[1]*58", freq))
        out = cli("import", str(path), "--vocab-size", "129280")
        assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_megatron_pads_the_vocabulary_as_megatron_does():
    """Vocabulary 50,257 (GPT-2) with tensor parallel 1 → next multiple of 128 = 50,304."""
    text = "--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 128 --max-position-embeddings 128 " \
           "--train-iters 10 --global-batch-size 8 --vocab-size 50257 --tensor-model-parallel-size 1"
    path = Path(__import__("tempfile").mkdtemp()) / "args.txt"
    path.write_text(text)
    result, plan, _ = imported(path)
    assert result.plan["model"]["spec"]["vocab_size"] == 50304
    assert result.plan["model"]["spec"]["model_type"] == "gpt2"


def test_megatron_logged_arguments_block(tmp_path):
    """The `arguments` block Megatron prints at start-up (megatron/training/arguments.py
    `_print_args`: 48-column dot leaders), read as the values after defaults."""
    lines = {"num_layers": 32, "hidden_size": 4096, "ffn_hidden_size": 14336, "num_attention_heads": 32,
             "group_query_attention": True, "num_query_groups": 8, "kv_channels": 128, "swiglu": True,
             "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "padded_vocab_size": 128256,
             "seq_length": 8192, "train_iters": 100, "global_batch_size": 128, "micro_batch_size": 1,
             "tensor_model_parallel_size": 1, "num_experts": None, "world_size": 8}
    body = "\n".join(f"  {k} {'.' * (48 - len(k))} {v}" for k, v in sorted(lines.items()))
    path = tmp_path / "train.log"
    path.write_text("noise\n------------------------ arguments ------------------------\n" + body
                    + "\n-------------------- end of arguments ---------------------\nmore noise\n")
    _, plan, est = imported(path)
    assert plan.phases[0].tokens == 100 * 128 * 8192
    assert count_parameters(plan.model.spec).total == 8_030_261_248
    assert per_token(plan, est) == 57_912_852_480


# --- Megatron-Bridge ------------------------------------------------------------------

BRIDGE = RECIPES / "megatron-bridge"


def test_megatron_bridge_override_files():
    """llama32_1b_pretrain.yaml overrides llama32_1b_pretrain_config (built from
    meta-llama/Llama-3.2-1B: 1,235,814,400 parameters, the published 1.24B): 100 iterations ×
    global batch 8 × 4096 = 3,276,800 tokens; per token 6·(16·(2·2048² + 2·2048·512 +
    3·2048·8192) + 2048·128,256) + 12·4096·2048·16 (the tied head counted as the output
    layer). The quantized Llama 3 8B example sets finetune with a pretrained checkpoint and no
    sequence length: 20 × 8 × --seq-len 8192, fine-tuning."""
    _, plan, est = imported(BRIDGE / "llama32_1b_pretrain.yaml", base_config=str(BRIDGE / "llama-3.2-1b-config.json"))
    assert plan.phases[0].tokens == 100 * 8 * 4096 == 3_276_800 and plan.phases[0].kind.id == "pre-training"
    assert count_parameters(plan.model.spec).total == 1_235_814_400
    hand = 6 * (16 * (2 * 2048**2 + 2 * 2048 * 512 + 3 * 2048 * 8192) + 2048 * 128256) + 12 * 4096 * 2048 * 16
    assert per_token(plan, est) == hand
    _, plan, est = imported(BRIDGE / "quantized_llama3_8b_pretrain_override_example.yaml",
                            base_config=str(LLAMA31_8B), seq_len="8192")
    assert plan.phases[0].tokens == 20 * 8 * 8192 and plan.phases[0].kind.id == "fine-tuning"
    assert per_token(plan, est) == 57_912_852_480


@pytest.mark.parametrize("name, args, needle", [
    ("llama32_1b_pretrain.yaml", [], "--base-config"),
    ("quantized_llama3_8b_pretrain_override_example.yaml", ["--base-config", "examples/configs/llama-3.1-8b.json"],
     "--seq-len"),
])
def test_megatron_bridge_refusals_are_one_line(name, args, needle):
    # llama32_1b_finetune.yaml's fused linear_qkv/linear_fc1 LoRA is counted now (issue 28;
    # tests/test_lora_targets.py checks its 4,849,664 adapter weights by hand).
    out = cli("import", str(BRIDGE / name), *args)
    assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


# --- MaxText ---------------------------------------------------------------------------

def test_maxtext_llama3_8b():
    """gpu/models/llama3_8b.yml names model_name llama3-8b (models/llama3-8b.yml): 30 steps
    × int(8 devices × per_device_batch_size 12) = 96 sequences × 8192 = 23,592,960 tokens."""
    result, plan, est = imported(RECIPES / "maxtext" / "configs" / "gpu" / "models" / "llama3_8b.yml", gpus="8")
    assert plan.phases[0].tokens == 30 * 96 * 8192 == 23_592_960
    assert count_parameters(plan.model.spec).total == 8_030_261_248
    assert per_token(plan, est) == 57_912_852_480
    assert "llama3-8b.yml" in result.trace["model.spec"]


def maxtext_tflops_training_per_device(B: int, T: int, emb: int, mlp: int, activations: int, layers: int, q: int,
                                       kv: int, head_dim: int, vocab: int, experts: int = 1, top_k: int = 1) -> int:
    """MaxText's own step figure (the TFLOP/s/device it logs), transcribed from
    src/maxtext/utils/maxtext_utils.py `calculate_tflops_training_per_device` (commit e591f30),
    default and mixtral decoder path, in FLOP rather than TFLOP: 3 × (FFN + QKV + output
    projection per layer + unembedding) + 3 × causal attention (the 4·B·T²·q·hd square halved);
    MoE adds the router gate 2·B·T·emb·E and runs top_k experts."""
    ffn = 2 * B * T * mlp * emb * activations + 2 * B * T * mlp * emb
    if experts > 1:
        ffn = 2 * B * T * emb * experts + ffn * top_k
    qkv = 2 * B * T * emb * (q + 2 * kv) * head_dim
    projection = 2 * B * T * emb * q * head_dim
    causal_attention = 4 * B * T ** 2 * q * head_dim // 2
    return 3 * (ffn * layers + (qkv + projection) * layers + 2 * B * T * emb * vocab) + 3 * causal_attention * layers


def test_maxtext_figure_against_flopcount():
    """MaxText's per-device step FLOP (per_device_batch_size 12) for both recipes, per token:
    Llama 3 8B at 8192: 5,059,746,352,594,944 / (12 × 8192) = 51,470,401,536 (Megatron's figure
    too); Mixtral 8x7B at 4096: 79,712,747,520. flopcount is exactly 6·T·q·L more in both
    (6,442,450,944 and 3,221,225,472): MaxText halves the attention square for the causal
    mask, flopcount's default counts it whole; every weight matmul, the router and the head
    agree to the FLOP."""
    _, plan, est = imported(RECIPES / "maxtext" / "configs" / "gpu" / "models" / "llama3_8b.yml", gpus="8")
    theirs = maxtext_tflops_training_per_device(12, 8192, 4096, 14336, 2, 32, 32, 8, 128, 128256)
    assert theirs == 5_059_746_352_594_944 and theirs // (12 * 8192) == 51_470_401_536
    assert per_token(plan, est) == theirs // (12 * 8192) + 6 * 8192 * 4096 * 32
    _, plan, est = imported(RECIPES / "maxtext" / "configs" / "gpu" / "models" / "mixtral_8x7b.yml", gpus="8")
    theirs = maxtext_tflops_training_per_device(12, 4096, 4096, 14336, 2, 32, 32, 8, 128, 32000, 8, 2)
    assert theirs // (12 * 4096) == 79_712_747_520
    assert per_token(plan, est) == theirs // (12 * 4096) + 6 * 4096 * 4096 * 32 == 82_933_972_992


def test_maxtext_mixtral_8x7b():
    """mixtral_8x7b.yml: 30 × 96 × 4096 = 11,796,480 tokens; 46.7B / 12.9B parameters."""
    _, plan, _ = imported(RECIPES / "maxtext" / "configs" / "gpu" / "models" / "mixtral_8x7b.yml", gpus="8")
    params = count_parameters(plan.model.spec)
    assert plan.phases[0].tokens == 11_796_480
    assert (params.total, params.active) == (46_702_792_704, 12_879_925_248)


# --- Axolotl and LLaMA-Factory ---------------------------------------------------------

def test_axolotl_lora_8b_matches_the_peft_adapter_route(tmp_path):
    """lora-8b.yml: rank 32 on every linear layer (lora_target_linear) of Llama 3 8B:
    per layer 32·[(4096+4096) q + (4096+1024) k + (4096+1024) v + (4096+4096) o + 3·(4096+14336)]
    = 2,621,440 × 32 layers = 83,886,080 adapter weights (PEFT prints the same for this model).
    4 epochs × 1,900 samples (mhenrichsen/alpaca_2k_test less val_set_size 5%) × 4096 =
    31,129,600 tokens. The total equals the same run estimated from an adapter_config.json."""
    result, plan, est = imported(RECIPES / "axolotl" / "lora-8b.yml", base_config=str(LLAMA31_8B), samples="1900")
    phase = plan.phases[0]
    assert (phase.tokens, phase.trainable.lora_rank, phase.trainable.adapter_weights) == (31_129_600, 32, 83_886_080)
    adapter = tmp_path / "adapter_config.json"
    adapter.write_text('{"peft_type": "LORA", "r": 32, "target_modules": "all-linear"}')
    out = cli("estimate", str(adapter), "--base-config", str(LLAMA31_8B), "--tokens", "31129600", "--seq-len", "4096",
              "--json", "--kind", "fine-tuning")
    assert out.returncode == 0, out.stderr
    import json
    assert int(json.loads(out.stdout)["compute"]["training"]["total"]) == est.training.total
    assert any("lora_modules_to_save" in n and "1.1×10^9" in n for n in result.notes)


def test_axolotl_full_finetune_and_max_steps(tmp_path):
    """fft-8b.yaml: full fine-tune, 1 epoch × 1,000 packed sequences × 8192 = 8,192,000
    tokens at 57,912,852,480 per token. With max_steps 50 on 8 GPUs instead: 50 × (1 × 8
    accumulation × 8) = 3,200 sequences × 8192."""
    _, plan, est = imported(RECIPES / "axolotl" / "fft-8b.yaml", base_config=str(LLAMA31_8B), samples="1000")
    assert plan.phases[0].tokens == 8_192_000 and plan.phases[0].trainable.is_full
    assert per_token(plan, est) == 57_912_852_480
    steps = tmp_path / "fft.yaml"
    steps.write_text((RECIPES / "axolotl" / "fft-8b.yaml").read_text() + "max_steps: 50\n")
    _, plan, _ = imported(steps, base_config=str(LLAMA31_8B), gpus="8")
    assert plan.phases[0].tokens == 50 * 64 * 8192


def test_llamafactory_full_sft_against_the_trainers_total_flos():
    """qwen3_full_sft.yaml: 3 epochs × 1,000 samples × cutoff_len 2048 = 6,144,000 tokens
    (an upper bound: no packing, stated). The Trainer LLaMA-Factory runs logs total_flos =
    6 × non-embedding parameters × tokens (transformers `floating_point_ops`). flopcount per
    token = 6·(N − embedding) − 6·norms + 6·V·d (the tied output layer, which
    exclude_embeddings drops) + 12·L·T·H·head_dim (attention) = 27,757,510,656 for Qwen3-4B
    (N 4,022,468,096, embedding 388,956,160, 36 layers, d 2560, V 151,936, T 2048)."""
    result, plan, est = imported(RECIPES / "llamafactory" / "qwen3_full_sft.yaml", base_config=str(QWEN3_4B),
                                 samples="1000")
    tokens = plan.phases[0].tokens
    assert tokens == 3 * 1000 * 2048 == 6_144_000
    n, emb = 4_022_468_096, 388_956_160
    assert count_parameters(plan.model.spec).total == n
    norms = 36 * (2 * 2560 + 2 * 128) + 2560
    ours = 6 * (n - emb) - 6 * norms + 6 * 151936 * 2560 + 12 * 36 * 2048 * 32 * 128
    assert per_token(plan, est) == ours == 27_757_510_656
    total_flos = 6 * (n - emb) * tokens
    assert est.training.total / total_flos == pytest.approx(1.2732, abs=1e-4)
    assert any("upper bound" in n for n in result.notes)


def test_llamafactory_lora_sft():
    """qwen3_lora_sft.yaml: lora_target all, rank 8 on Qwen3-4B: per layer 8·[(2560+4096) q
    + (2560+1024) k + (2560+1024) v + (4096+2560) o + 3·(2560+9728)] = 458,752 × 36 =
    16,515,072 adapter weights; 6,144,000 tokens."""
    _, plan, _ = imported(RECIPES / "llamafactory" / "qwen3_lora_sft.yaml", base_config=str(QWEN3_4B),
                          samples="1000")
    assert (plan.phases[0].tokens, plan.phases[0].trainable.adapter_weights) == (6_144_000, 16_515_072)


# --- sniffing, commands and bad input --------------------------------------------------

@pytest.mark.parametrize("path, name", [
    ("torchtitan/llama3_8b.toml", "torchtitan"), ("megatron/train_mixtral_8x7b_distributed.sh", "megatron"),
    ("maxtext/configs/gpu/models/llama3_8b.yml", "maxtext"), ("axolotl/lora-8b.yml", "axolotl"),
    ("llamafactory/qwen3_lora_sft.yaml", "llama-factory"),
    ("megatron-bridge/llama32_1b_pretrain.yaml", "megatron-bridge")])
def test_each_recipe_is_sniffed_by_its_framework(path, name):
    assert find(RECIPES / path).name == name


@pytest.mark.parametrize("path", ["examples/configs/llama-3.1-8b.json", "examples/plans/gpt3-175b.yaml",
                                  "examples/configs/tiny-moe.yaml", "maxtext/configs/models/llama3-8b.yml"])
def test_configs_and_plans_are_not_taken_for_recipes(path):
    full = ROOT / path if path.startswith("examples") else RECIPES / path
    importer = find(full)
    assert importer is None or (path.startswith("maxtext") and importer.name == "maxtext")


def test_estimate_record_and_plot_read_a_recipe(tmp_path):
    recipe = str(RECIPES / "torchtitan" / "llama3_8b.toml")
    out = cli("estimate", recipe, "--gpus", "64")
    assert out.returncode == 0 and "524M tokens" in out.stdout, out.stderr
    out = cli("record", "--plan", recipe, "--gpus", "64", "-o", str(tmp_path / "rec"))
    assert out.returncode == 0, out.stderr
    import json
    data = json.loads((tmp_path / "rec.json").read_text())
    assert int(data["totals"]["training"]["total"]) == 57_912_852_480 * 524_288_000
    out = cli("plot", "methods", recipe, "--gpus", "64", "-o", str(tmp_path / "m.png"))
    assert out.returncode == 0 and (tmp_path / "m.png").stat().st_size > 0, out.stderr


@pytest.mark.parametrize("args, needle", [
    (["megatron/train_gpt3_175b_distributed.sh", "--vocab-size", "50257"], "Cannot specify both"),
    (["megatron/train_mixtral_8x7b_distributed.sh"], "--vocab-size"),
    (["torchtitan/llama3_8b.toml"], "--gpus"),
    (["maxtext/configs/gpu/models/llama3_8b.yml"], "--gpus"),
    (["axolotl/lora-8b.yml", "--base-config", "examples/configs/llama-3.1-8b.json"], "--samples"),
    (["llamafactory/qwen3_lora_sft.yaml", "--samples", "10"], "not in the local Hugging Face cache"),
])
def test_missing_or_contradictory_settings_are_one_line(args, needle):
    first = str(RECIPES / args[0])
    out = cli("import", first, *args[1:])
    assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr


def test_bad_recipes_are_one_line(tmp_path):
    cases = {}
    toml = (RECIPES / "torchtitan" / "llama3_8b.toml").read_text()
    cases["truncated.toml"] = toml[: toml.index("[training]") + 30]
    cases["duplicate.toml"] = toml.replace("steps = 1000", "steps = 1000\nsteps = 2000")
    cases["pyproject.toml"] = "[project]\nname = 'x'\n"
    cases["global.toml"] = toml.replace("local_batch_size = 1", "local_batch_size = 1\nglobal_batch_size = 100")
    yaml_text = (RECIPES / "axolotl" / "lora-8b.yml").read_text()
    cases["truncated.yml"] = yaml_text[:200] + "\n  - [unclosed"
    cases["dpo.yaml"] = (RECIPES / "llamafactory" / "qwen3_lora_sft.yaml").read_text().replace("stage: sft",
                                                                                                "stage: grpo")
    cases["training_args.bin"] = "\x80\x04pickle"
    expected = {"truncated.toml": "malformed TOML", "duplicate.toml": "malformed TOML",
                "pyproject.toml": "not a torchtitan job config", "global.toml": "not a multiple",
                "truncated.yml": "malformed YAML", "dpo.yaml": "'grpo' is not a LLaMA-Factory stage",
                "training_args.bin": "pickle"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        out = cli("import", str(path), "--gpus", "64", "--samples", "10", "--base-config", str(QWEN3_4B))
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and expected[name] in lines[0], (name, out.stderr)


def test_readme_recipe_examples_and_help_example_run(tmp_path, monkeypatch):
    """Every command of the README's "From your training config" block, and the recipe
    example under `import --help`, runs as written from the repository root."""
    from flopcount.cli import EXAMPLES, main
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## From your training config", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [c for c in block.replace("\\\n", " ").splitlines() if c.startswith("flopcount ")]
    assert len(commands) == 4
    monkeypatch.chdir(ROOT)
    for line in commands + [EXAMPLES["import"][1]]:
        args = line.split("#")[0].split(">")[0].split()[1:]
        args = [str(tmp_path / "rec") if a == "out/qwen3-sft" else a for a in args]
        assert main(args) == 0, line


def test_keys_left_out_take_the_frameworks_defaults(tmp_path):
    """A LLaMA-Factory recipe naming only the model, stage and max_steps runs with
    TrainingArguments' per-device batch 8 and LLaMA-Factory's cutoff_len 2048: 10 steps ×
    8 × 1 × 2 GPUs × 2048 = 327,680 tokens; Axolotl's own defaults are micro batch 1 and
    sequence_len 512: 10 × 1 × 1 × 2 × 512. Each default is named in the trace."""
    lf = tmp_path / "lf.yaml"
    lf.write_text("model_name_or_path: Qwen/Qwen3-4B\nstage: sft\nfinetuning_type: full\nmax_steps: 10\n")
    result, plan, _ = imported(lf, base_config=str(QWEN3_4B), gpus="2")
    assert plan.phases[0].tokens == 10 * 8 * 2 * 2048
    assert "per_device_train_batch_size (LLaMA-Factory default 8)" in result.trace["phases[0].batch_size"]
    ax = tmp_path / "ax.yml"
    ax.write_text("base_model: meta-llama/Llama-3.1-8B\nmax_steps: 10\nmicro_batch_size: 1\n")
    result, plan, _ = imported(ax, base_config=str(LLAMA31_8B), gpus="2")
    assert plan.phases[0].tokens == 10 * 2 * 512 and "sequence_len (Axolotl default 512)" == result.trace["seq_len"]
