"""Issue 28, "Files that real teams have": one sniffing step for every command, and the
formats added beside it (MaxText launch scripts, Megatron-LM functional-test YAML, NeMo 1.x
Hydra YAML). Every recipe is a framework's own file (tests/recipes/SOURCES.md); tokens,
per-token FLOP and totals are worked by hand in the docstrings."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flopcount import estimate
from flopcount.importers import import_path
from flopcount.importers.identify import identify
from flopcount.importers.recipe import Flags
from flopcount.inputs.plan import plan_from_mapping

HERE = Path(__file__).parent
RECIPES = HERE / "recipes"
ROOT = HERE.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "flopcount", *args], capture_output=True, text=True, cwd=ROOT, env=env)


def imported(path: Path, **flags: str):
    result = import_path(path, Flags(**flags))
    plan = plan_from_mapping(result.plan, str(path), path.parent)
    return result, plan, estimate(plan)


def one_line_everywhere(path: Path, tmp_path: Path, *flags: str) -> str:
    """The same one line, exit 2, from estimate, import and record."""
    lines = []
    for args in (("estimate", str(path)), ("import", str(path)),
                 ("record", "--plan", str(path), "-o", str(tmp_path / "rec"))):
        out = cli(*args, *flags)
        err = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(err) == 1 and "Traceback" not in out.stderr, (args, out.stderr)
        lines.append(err[0])
    assert lines[0] == lines[1] == lines[2], lines
    assert not (tmp_path / "rec.json").exists()
    return lines[0]


# --- one sniffing step ------------------------------------------------------------------------

def test_a_python_file_is_refused_by_name_everywhere(tmp_path):
    """A Python training script (not a config registry) is never imported or run: the one line
    says what it is and lists the formats flopcount reads."""
    script = tmp_path / "train.py"
    script.write_text("import os\nos.system('echo ran')\nconfig = dict(lr=3e-4, steps=1000)\n")
    line = one_line_everywhere(script, tmp_path)
    assert str(script) in line and "a Python file" in line and "never imports or runs Python" in line
    assert "run plan" in line and "maxtext" in line and "megatron-functional-test" in line and "nemo1" in line


def test_a_shell_script_without_a_launch_line(tmp_path):
    """A shell script that launches nothing flopcount reads (here a data-preparation script)."""
    script = tmp_path / "prepare.sh"
    script.write_text("#!/bin/bash\nset -e\nexport DATA=/data\npython tools/preprocess_data.py --input $DATA/raw.json\n")
    line = one_line_everywhere(script, tmp_path)
    assert "a shell script without a launch line" in line and "MaxText.train" in line


def test_a_yaml_of_no_known_format(tmp_path):
    """A YAML mapping that is no recipe, plan or model config: named with its keys, not
    'model_type missing' from estimate and 'not a recipe' from import."""
    other = tmp_path / "wandb-sweep.yaml"
    other.write_text("program: train.py\nmethod: bayes\nmetric: {name: loss, goal: minimize}\n")
    line = one_line_everywhere(other, tmp_path)
    assert "a YAML mapping whose keys (program, method, metric)" in line and "model_type" not in line.split("(")[0]


def test_a_malformed_yaml_is_named_the_same_everywhere(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [1, 2\n")
    assert "malformed YAML" in one_line_everywhere(bad, tmp_path)


@pytest.mark.parametrize("path, name", [
    ("maxtext/configs/v5e/llama2_7b.sh", "maxtext-script"),
    ("maxtext/configs/gpu/models/llama3_8b.yml", "maxtext"),
    ("megatron/functional/gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp1_pp2/model_config.yaml", "megatron-functional-test"),
    ("megatron/train_llama3_8b_h100_fp8.sh", "megatron"),
    ("nemo/megatron_gpt_config.yaml", "nemo1"),
    ("nemo/megatron_llama_config.yaml", "nemo1"),
    ("llamafactory/qwen3-4b-config.json", "model config (config.json with model_type, or a flopcount_spec file)"),
])
def test_identify_names_the_format(path, name):
    assert identify(RECIPES / path).name == name


def test_import_of_a_model_config_says_estimate_reads_it(tmp_path):
    out = cli("import", str(RECIPES / "llamafactory" / "qwen3-4b-config.json"))
    assert out.returncode == 2 and "a model config" in out.stderr and "nothing to import" in out.stderr


# --- MaxText launch scripts -------------------------------------------------------------------

MAXTEXT = RECIPES / "maxtext" / "configs"
#: Llama 2 7B (models/llama2-7b.yml: d 4096, 32 layers, 32 heads = 32 kv heads × 128, MLP 11008,
#: vocab 32000, untied): matmul weights per layer 4·4096² + 3·4096·11008 = 67,108,864 + 135,266,304
#: = 202,375,168; × 32 = 6,476,005,376; + head 4096·32000 = 131,072,000 → 6,607,077,376; × 6 =
#: 39,642,464,256 per token, + attention 12·L·T·(heads·128) = 12·32·T·4096.
LLAMA2_7B_6N = 39_642_464_256


def test_maxtext_script_16_gpu_vms_reads_its_mesh():
    """MaxText's a3/llama_2_7b/16vm.sh: `python MaxText/train.py MaxText/configs/base.yml …
    steps=30 dcn_data_parallelism=16 ici_fsdp_parallelism=8 per_device_batch_size=4
    max_target_length=4096 model_name=llama2-7b`. Every mesh axis is fixed (the two base.yml
    auto-shards, dcn_data and ici_fsdp, are set; the rest are 1), so devices = 16 × 8 = 128,
    no --gpus needed. Batch int(128 × 4) = 512 sequences × 4,096 × 30 steps = 62,914,560 tokens.
    Per token 39,642,464,256 + 12·32·4096·4096 (6,442,450,944) = 46,084,915,200; total
    62,914,560 × 46,084,915,200 = 2,899,412,162,445,312,000 (2.9×10^18)."""
    result, plan, est = imported(MAXTEXT / "a3" / "llama_2_7b" / "16vm.sh")
    phase, raw = plan.phases[0], result.plan["phases"][0]
    assert (raw["steps"], raw["batch_size"], plan.seq_len) == (30, 512, 4096)
    assert phase.tokens == 512 * 4096 * 30 == 62_914_560
    assert est.training.total == 62_914_560 * (LLAMA2_7B_6N + 6_442_450_944) == 2_899_412_162_445_312_000
    assert "dcn_data_parallelism 16 × ici_fsdp_parallelism 8" in result.trace["phases[0].batch_size"]
    assert "llama2-7b.yml" in result.trace["model.spec"]
    assert any("remat_policy minimal_flash" in n for n in result.notes)


def test_maxtext_script_v5e_llama2_7b_takes_base_yml_defaults():
    """v5e/llama2_7b.sh leaves max_target_length to base.yml (2048) and the mesh to
    auto-sharding, so the device count is asked for; on one v5e-256 slice (256 chips):
    batch 256 × 4 = 1,024 × 2,048 × 15 steps = 31,457,280 tokens. Per token 39,642,464,256 +
    12·32·2048·4096 (3,221,225,472) = 42,863,689,728; total 1,348,375,089,606,819,840."""
    out = cli("estimate", str(MAXTEXT / "v5e" / "llama2_7b.sh"))
    assert out.returncode == 2 and "pass --gpus N" in out.stderr and out.stderr.count("\n") == 1
    result, plan, est = imported(MAXTEXT / "v5e" / "llama2_7b.sh", gpus="256")
    assert plan.seq_len == 2048 and "base.yml max_target_length" in result.trace["seq_len"]
    assert plan.phases[0].tokens == 1024 * 2048 * 15 == 31_457_280
    assert est.training.total == 31_457_280 * 42_863_689_728 == 1_348_375_089_606_819_840
    assert any("EXECUTABLE=train.py" in n for n in result.notes)   # `python MaxText/$EXECUTABLE`


def test_maxtext_script_v5p_llama2_70b_four_million_token_batch():
    """v5p/llama2_70b.sh ("4M token global batch size on 1 x v5p-512": 256 chips, JAX devices):
    `python3 -m MaxText.$EXECUTABLE` with EXECUTABLE="train". Batch 256 × 4 = 1,024 × 4,096 =
    4,194,304 tokens (the script's 4M) × 30 steps = 125,829,120. Llama 2 70B (d 8192, 80 layers,
    64 heads, 8 kv heads × 128, MLP 28672, vocab 32000): per layer 2·8192² + 2·8192·1024 +
    3·8192·28672 = 134,217,728 + 16,777,216 + 704,643,072 = 855,638,016; × 80 = 68,451,041,280;
    + head 262,144,000 = 68,713,185,280; × 6 = 412,279,111,680; + 12·80·4096·8192
    (32,212,254,720) = 444,491,366,400 per token; total 55,929,957,481,709,568,000 (5.6×10^19)."""
    result, plan, est = imported(MAXTEXT / "v5p" / "llama2_70b.sh", gpus="256")
    assert result.plan["phases"][0]["batch_size"] * plan.seq_len == 4_194_304
    assert plan.phases[0].tokens == 125_829_120
    assert est.training.total == 125_829_120 * 444_491_366_400 == 55_929_957_481_709_568_000


def test_maxtext_script_v5e_llama3_8b():
    """v5e/llama3/llama3_8b.sh: ici_fsdp_transpose_parallelism=16 leaves ici_fsdp and dcn_data
    to auto-sharding, so --gpus; 256 × 1 = 256 × 8,192 × 30 = 62,914,560 tokens; per token
    57,912,852,480 (Llama 3 8B at 8,192: test_recipes_honest) → 3,643,561,632,124,108,800."""
    _, plan, est = imported(MAXTEXT / "v5e" / "llama3" / "llama3_8b.sh", gpus="256")
    assert plan.phases[0].tokens == 62_914_560
    assert est.training.total == 62_914_560 * 57_912_852_480 == 3_643_561_632_124_108_800


def test_maxtext_script_with_an_unresolved_variable_is_one_line(tmp_path):
    text = (MAXTEXT / "v5e" / "llama2_7b.sh").read_text().replace("steps=15", "steps=$STEPS")
    (tmp_path / "configs" / "v5e").mkdir(parents=True)
    (tmp_path / "configs" / "models").mkdir()
    (tmp_path / "configs" / "models" / "llama2-7b.yml").write_bytes((MAXTEXT / "models" / "llama2-7b.yml").read_bytes())
    script = tmp_path / "configs" / "v5e" / "llama2_7b.sh"
    script.write_text(text)
    line = one_line_everywhere(script, tmp_path, "--gpus", "256")
    assert "steps" in line and "$STEPS" in line and "shell expansion" in line


# --- Megatron-LM functional-test YAML ---------------------------------------------------------

FUNCTIONAL = RECIPES / "megatron" / "functional"


def test_megatron_functional_gpt3_345m():
    """gpt3_345m…_tp1_pp2/model_config.yaml: MODEL_ARGS --num-layers 12, --hidden-size 512,
    --num-attention-heads 8 (GELU MLP 4·512 = 2048, learned positions, tied: Megatron's
    defaults), --seq-length 1024, --global-batch-size 32, --train-iters 50; the GPT-2 BPE vocab
    (--vocab-file) is 50,257, padded to a multiple of 128 × tp 1 = 50,304. Per layer 4·512² +
    2·512·2048 = 3,145,728; × 12 = 37,748,736; + head 512·50,304 = 25,755,648 → 63,504,384;
    × 6 = 381,026,304; + 12·12·1024·512 (75,497,472) = 456,523,776 per token. Tokens 50 × 32 ×
    1,024 = 1,638,400; total 747,968,554,598,400."""
    result, plan, est = imported(FUNCTIONAL / "gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp1_pp2" / "model_config.yaml",
                                 vocab_size="50257")
    assert plan.phases[0].tokens == 1_638_400 and result.plan["model"]["spec"]["vocab_size"] == 50_304
    assert est.training.total == 1_638_400 * 456_523_776 == 747_968_554_598_400
    assert result.plan["name"] == "gpt3_345m_nightly_dgx_a100_1N8G_mcore_tp1_pp2"
    assert any("keys ignored" in n and "tensorboard_dir" in n for n in result.notes)


def test_megatron_functional_mixtral_release_is_an_upper_bound():
    """mixtral_8x7b_alltoall_tp2pp4ep4_release: --train-samples 24,414,063 × --seq-length 4,096 =
    100,000,002,048 tokens, but --exit-duration-in-mins 230: an upper bound. Mixtral 8x7B with
    the Nemotron 256k tokenizer (256,000, already a multiple of 128 × tp 2), untied: per layer
    attention 2·4096² + 2·4096·1024 = 41,943,040, two active experts 2·3·4096·14336 =
    352,321,536, router 4096·8 = 32,768 → 394,297,344; × 32 = 12,617,515,008; + head
    4096·256,000 = 1,048,576,000 → 13,666,091,008; × 6 = 81,996,546,048; + 12·32·4096·4096
    (6,442,450,944) = 88,438,996,992 per token; at most 8,843,899,880,323,065,839,616 (8.8×10^21),
    never "crossed"."""
    path = FUNCTIONAL / "mixtral_8x7b_alltoall_tp2pp4ep4_release" / "model_config.yaml"
    result, plan, est = imported(path, vocab_size="256000")
    phase = plan.phases[0]
    assert phase.tokens == 24_414_063 * 4096 == 100_000_002_048 and phase.upper_bound
    assert est.training.total == 100_000_002_048 * 88_438_996_992 == 8_843_899_880_323_065_839_616
    assert all(ev.status != "crossed" for ev in est.evaluations)
    out = cli("estimate", str(path), "--vocab-size", "256000")
    assert out.returncode == 0 and "CROSSED" not in out.stdout and "at most" in out.stdout


# --- NeMo 1.x Hydra YAML ----------------------------------------------------------------------

NEMO = RECIPES / "nemo"


def test_nemo1_gpt_config_with_nemo_defaults():
    """megatron_gpt_config.yaml: 12 layers × 768, 12 heads, ffn 3072, encoder_seq_length 512
    (max_position_embeddings `${.encoder_seq_length}` = 512), no activation/bias/tying keys, so
    NeMo's defaults: GELU, biases, tied head, learned positions (a GPT-2 layout). GPT2BPE vocab
    50,257 → 50,304. Per layer 4·768² + 2·768·3072 = 7,077,888; × 12 = 84,934,656; + head
    768·50,304 = 38,633,472 → 123,568,128; × 6 = 741,408,768; + 12·12·512·768 (56,623,104) =
    798,031,872 per token. Tokens trainer.max_steps 100,000 × global_batch_size 8 × 512 =
    409,600,000; total 326,873,854,771,200,000."""
    result, plan, est = imported(NEMO / "megatron_gpt_config.yaml", vocab_size="50257")
    spec = result.plan["model"]["spec"]
    assert spec["model_type"] == "gpt2" and spec["n_positions"] == 512 and spec["tie_word_embeddings"]
    assert plan.phases[0].tokens == 409_600_000
    assert est.training.total == 409_600_000 * 798_031_872 == 326_873_854_771_200_000
    assert result.trace["phases[0].steps"] == "trainer.max_steps"
    assert any("model.activation 'gelu'" in n for n in result.notes)
    # exp_manager's ${multiply:...} is never read, so never needed
    assert any("exp_manager.*" in n for n in result.notes)


def test_nemo1_llama_config_equals_maxtext_llama2_7b():
    """megatron_llama_config.yaml: 32 × 4096, 32 heads (num_query_groups 32: no GQA), ffn
    11008, fast-swiglu, bias False, untied, rope, seq 4096: Llama 2 7B, so with the 32,000 vocab
    the same 46,084,915,200 per token as MaxText's llama2-7b at 4,096 (above). Tokens
    100,000 × 8 × 4,096 = 3,276,800,000; total 151,011,050,127,360,000,000 (1.5×10^20)."""
    result, plan, est = imported(NEMO / "megatron_llama_config.yaml", vocab_size="32000")
    assert plan.phases[0].tokens == 3_276_800_000
    assert est.training.total == 3_276_800_000 * (LLAMA2_7B_6N + 6_442_450_944) == 151_011_050_127_360_000_000


def test_nemo1_max_time_is_an_upper_bound(tmp_path):
    """trainer.max_time "00:23:30:00" (as NeMo's launcher configs set it) stops the run after
    1,410 minutes: the 100,000 steps read become an upper bound and no verdict says crossed."""
    text = (NEMO / "megatron_llama_config.yaml").read_text().replace(
        "  max_steps: 100000", "  max_time: \"00:23:30:00\"\n  max_steps: 100000")
    path = tmp_path / "llama.yaml"
    path.write_text(text)
    result, plan, est = imported(path, vocab_size="32000")
    assert plan.phases[0].upper_bound and result.trace["phases[0].upper_bound"] == "trainer.max_time"
    assert any("1,410 minutes" in n for n in result.notes)
    assert all(ev.status != "crossed" for ev in est.evaluations)


@pytest.mark.parametrize("old, new, needle", [
    ("seq_length: ${model.encoder_seq_length}", "seq_length: ${model.seq_len}",
     "model.data.seq_length: ${model.seq_len}: model.seq_len is not in the file"),
    ("max_position_embeddings: ${.encoder_seq_length}", "max_position_embeddings: ${multiply:2, 2048}",
     "model.max_position_embeddings: ${multiply:2, 2048} calls a resolver (multiply)"),
    ("encoder_seq_length: 4096", "encoder_seq_length: ???", "model.encoder_seq_length: is ??? (mandatory"),
    ("encoder_seq_length: 4096", "encoder_seq_length: ${model.data.seq_length}", "interpolation cycle"),
])
def test_nemo1_unresolvable_interpolation_is_one_line(tmp_path, old, new, needle):
    text = (NEMO / "megatron_llama_config.yaml").read_text()
    assert old in text
    path = tmp_path / "llama.yaml"
    path.write_text(text.replace(old, new, 1))
    line = one_line_everywhere(path, tmp_path, "--vocab-size", "32000")
    assert needle in line and str(path) in line


# --- torchtitan Python registries (read with ast, never imported) -----------------------------

TITAN = RECIPES / "torchtitan"


def test_torchtitan_flavour_registry_8b_equals_transformers_llama():
    """torchtitan v0.2.2 `llama3_args["8B"] = TransformerModelArgs(dim=4096, n_layers=32,
    n_heads=32, n_kv_heads=8, ffn_dim_multiplier=1.3, multiple_of=1024, rope_theta=500000)`,
    read as literals. FFN width as torchtitan's FeedForward: int(2·16384/3) = 10,922;
    int(1.3 × 10,922) = 14,198; rounded up to 1,024 → 14,336; vocab the class default 128,256.
    Parameters equal transformers' LlamaForCausalLM of the same sizes built on the meta
    device: 8,030,261,248 (Llama 3 8B)."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import torch
    from flopcount.model.spec import count_parameters
    result, plan, est = imported(TITAN / "registry-4a950ea" / "llama3" / "__init__.py::8B", tokens="1e9")
    spec = result.plan["model"]["spec"]
    assert spec["intermediate_size"] == 14_336 and spec["vocab_size"] == 128_256
    config = transformers.LlamaConfig(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                                      num_key_value_heads=8, intermediate_size=14336, vocab_size=128256,
                                      tie_word_embeddings=False)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    measured = sum(p.numel() for p in model.parameters())
    assert count_parameters(plan.model.spec).total == measured == 8_030_261_248
    assert "ffn_dim_multiplier" in result.trace["model.spec"] and result.trace["phases[0].tokens"] == "--tokens"


def test_torchtitan_deepseek_v3_flavours_both_registry_forms():
    """DeepSeek-V3 671B as torchtitan writes it, v0.2.2 (`DeepSeekV3ModelArgs` + `MoEArgs`) and
    after #2386 (`DeepSeekV3Model.Config` with nested layer/moe/attention configs): both give
    DeepSeek V3's own config.json architecture, 671,026,404,352 parameters, 37,552,282,624
    active (torchtitan builds no MTP module)."""
    from flopcount.model.spec import count_parameters
    from flopcount.model.configs import load_spec
    reference = count_parameters(load_spec(ROOT / "examples" / "configs" / "deepseek-v3.json"))
    for path in (TITAN / "registry-4a950ea" / "deepseek_v3" / "__init__.py::671B",
                 TITAN / "registry-9810191" / "deepseek_v3" / "__init__.py::671B"):
        _, plan, _ = imported(path, tokens="1e9")
        params = count_parameters(plan.model.spec)
        assert params == reference and (params.total, params.active) == (671_026_404_352, 37_552_282_624)


def test_torchtitan_recipe_function_deepseek_v3_671b():
    """config_registry.py (9810191) `deepseek_v3_671b()`: `Trainer.Config(model_spec=
    model_registry("671B"), training=TrainingConfig(local_batch_size=4, seq_len=4096,
    steps=10000), parallelism=ParallelismConfig(...))`; the flavour from the `__init__.py`
    beside it. Shard degree defaults to -1, so --gpus 512: batch 4 × 512 = 2,048 sequences;
    tokens 2,048 × 4,096 × 10,000 = 83,886,080,000; total = 20,480,000 sequences × V3's
    training FLOP per 4,096-token sequence (1,151,599,380,529,152) = 2.358×10^22."""
    from flopcount.model.configs import load_spec
    from flopcount.model.formulas import training_flops
    path = TITAN / "registry-9810191" / "deepseek_v3" / "config_registry.py::deepseek_v3_671b"
    assert identify(path).name == "torchtitan-registry"
    result, plan, est = imported(path, gpus="512")
    assert (result.plan["phases"][0]["batch_size"], plan.seq_len, result.plan["phases"][0]["steps"]) == \
        (2048, 4096, 10_000)
    assert plan.phases[0].tokens == 83_886_080_000
    reference = load_spec(ROOT / "examples" / "configs" / "deepseek-v3.json")
    assert est.training.total == 2048 * 10_000 * training_flops(reference, 4096, "full").total \
        == 23_584_755_313_237_032_960_000
    assert 'model_registry(\'671B\')' in result.trace["model.spec"] and "DeepSeekV3Model.Config" in \
        result.trace["model.spec"]
    assert any("keys ignored" in n and "optimizer" in n for n in result.notes)


def test_torchtitan_computed_value_is_refused_naming_the_field(tmp_path):
    """9810191's llama3 8B flavour computes its FFN width, `hidden_dim=compute_ffn_hidden_dim(
    4096, multiple_of=1024, ffn_dim_multiplier=1.3)`: never evaluated, refused by field, the
    same line from estimate, import and record (through the recipe that names it, too)."""
    path = TITAN / "registry-9810191" / "llama3" / "__init__.py::8B"
    line = one_line_everywhere(path, tmp_path, "--tokens", "1e9")
    assert 'llama3_configs["8B"].layer.feed_forward.hidden_dim' in line and "compute_ffn_hidden_dim(4096" in line
    with pytest.raises(Exception, match=r"layer\.feed_forward\.hidden_dim: computed"):
        import_path(TITAN / "registry-9810191" / "llama3" / "config_registry.py::llama3_8b", Flags(gpus="8"))
    # a recipe function that builds on another is statements, not a literal: refused by name
    with pytest.raises(Exception, match="llama3_debugmodel_flex_attn.*not one `return Trainer.Config"):
        import_path(TITAN / "registry-9810191" / "llama3" / "config_registry.py::llama3_debugmodel_flex_attn")
    # a literal arithmetic in a hand-edited flavour is refused the same way
    edited = tmp_path / "__init__.py"
    text = (TITAN / "registry-4a950ea" / "llama3" / "__init__.py").read_text()
    edited.write_text(text.replace("dim=4096,\n        n_layers=32,", "dim=4096,\n        n_layers=16 * 2,", 1))
    with pytest.raises(Exception, match=r'llama3_args\["8B"\]\.n_layers: computed `16 \* 2`'):
        import_path(Path(f"{edited}::8B"), Flags(tokens="1e9"))


def test_torchtitan_registry_needs_a_choice_and_a_length(tmp_path):
    path = TITAN / "registry-4a950ea" / "llama3" / "__init__.py"
    with pytest.raises(Exception, match=r"8 entries: name one as __init__.py::NAME \(debugmodel, .*8B"):
        import_path(path)
    with pytest.raises(Exception, match="no training length: pass --tokens"):
        import_path(Path(f"{path}::8B"))


def test_a_random_python_file_with_a_selector_is_refused_as_python(tmp_path):
    """A Python file that is no torchtitan registry gets the one Python line, with or without
    `::NAME`, and nothing in it runs."""
    script = tmp_path / "train.py"
    script.write_text("import os\nos.system('touch ran')\nconfigs = {'8B': dict(dim=4096)}\n")
    line = one_line_everywhere(Path(f"{script}::8B"), tmp_path)
    assert "a Python file" in line and "never imports or runs Python" in line and "torchtitan-registry" in line
    assert not (ROOT / "ran").exists()
