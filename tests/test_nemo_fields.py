"""NeMo 1.x configs are read through Megatron's arguments (`importers.megatron.read_args`), but a
refusal names the field as the user's file names it: `model.activation`, not Megatron's
`swiglu`; and NeMo's own Mamba hybrid config is refused as a Mamba hybrid, by the keys the real
file has (`mamba_ssm_ngroups`, `hybrid_override_pattern`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from flopcount.boundary.errors import InputError
from flopcount.importers import import_path
from flopcount.importers.recipe import Flags

RECIPES = Path(__file__).resolve().parent / "recipes"
LLAMA = RECIPES / "nemo" / "megatron_llama_config.yaml"
EXAMPLES = RECIPES / "nemo1-examples"


def refusal(path: Path, **flags: str) -> InputError:
    with pytest.raises(InputError) as info:
        import_path(path, Flags(**flags))
    return info.value


def test_starcoder_gelu_with_rope_names_model_activation():
    """NeMo's megatron_starcoder_config.yaml: `activation: 'gelu'` with `position_embedding_type:
    'rope'` is refused (not mapped yet) on the key the file has, model.activation."""
    error = refusal(EXAMPLES / "megatron_starcoder_config.yaml", vocab_size="49152")
    assert error.field == "model.activation" and "is not mapped yet" in error.message
    assert "swiglu" not in str(error)


def test_llama_turned_gelu_names_model_activation(tmp_path):
    """megatron_llama_config.yaml with `activation: 'fast-swiglu'` turned 'gelu' keeps rope: the
    same refusal, on model.activation."""
    text = LLAMA.read_text()
    assert "  activation: 'fast-swiglu'" in text
    path = tmp_path / "megatron_llama_config.yaml"
    path.write_text(text.replace("  activation: 'fast-swiglu'", "  activation: 'gelu'", 1))
    error = refusal(path, vocab_size="32000")
    assert error.field == "model.activation" and "swiglu" not in str(error)


def test_a_bad_number_names_the_nemo_key(tmp_path):
    """A value read as a Megatron argument (global_batch_size) is named by its NeMo key."""
    text = LLAMA.read_text()
    old = "  global_batch_size: 8 #"
    assert old in text
    path = tmp_path / "megatron_llama_config.yaml"
    path.write_text(text.replace(old, "  global_batch_size: eight #", 1))
    assert refusal(path, vocab_size="32000").field == "model.global_batch_size"


def test_megatron_arguments_still_name_swiglu(tmp_path):
    """The same GELU-with-rope refusal from a Megatron-LM launch script names its own argument."""
    path = tmp_path / "train.sh"
    path.write_text("torchrun pretrain_gpt.py --num-layers 2 --hidden-size 64 --num-attention-heads 4 "
                    "--seq-length 128 --max-position-embeddings 128 --position-embedding-type rope "
                    "--train-iters 10 --global-batch-size 8 --vocab-size 1000\n")
    assert refusal(path).field == "swiglu"


def test_nemo_mamba_config_is_refused_as_mamba():
    """NeMo's megatron_mamba_config.yaml has no `mamba` key: it is a Mamba hybrid by
    `mamba_ssm_ngroups: 8` (and `hybrid_override_pattern: null`), and is refused as one."""
    error = refusal(EXAMPLES / "megatron_mamba_config.yaml", vocab_size="256000")
    assert error.field == "model.mamba_ssm_ngroups" and "Mamba hybrid" in error.message
    assert "GELU" not in error.message


def test_max_time_as_a_mapping_is_a_wall_clock_too(tmp_path):
    """Lightning's `max_time: {days: 0, hours: 2}` (the mapping form, flattened by the reader)
    bounds the run as "00:02:00:00" does: the phase is an upper bound, never "crossed"."""
    real = LLAMA.read_text()
    assert "\ntrainer:\n  devices: 1\n" in real and "max_time" not in real
    for form in ("{days: 0, hours: 2}", '"00:02:00:00"'):
        path = tmp_path / "megatron_llama_config.yaml"
        path.write_text(real.replace("\ntrainer:\n", f"\ntrainer:\n  max_time: {form}\n", 1))
        imported = import_path(path, Flags(vocab_size="32000"))
        assert imported.plan["phases"][0]["upper_bound"] is True, form
        assert any("trainer.max_time: the run stops after 120 minutes" in n for n in imported.notes), form
