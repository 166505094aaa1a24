"""OLMo trainer YAML (allenai/OLMo configs/official-1124, copied verbatim into tests/recipes/olmo/,
SOURCES.md): the OLMo 2 7B and 13B stage-1 and stage-2 runs, chained in a suite, and the souped
release models.

Released sizes: OLMo-2-1124-13B's config.json (examples/configs/olmo-2-1124-13b.json) counts
13,716,198,400 parameters; OLMo-2-1124-7B is the published 7.30B. The stage-2 checkpoint lists
(OLMo-2-1124-{7B,13B}-stage2.csv, same commit) end at steps 11,931 and 35,773: the trainer's
`stop_at`.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flopcount.boundary.errors import InputError
from flopcount import estimate
from flopcount.importers import find, import_path, olmo
from flopcount.inputs.plan import plan_from_mapping
from flopcount.records.suite import load_suite, table

HERE = Path(__file__).parent
ROOT = HERE.parent
OLMO = HERE / "recipes" / "olmo"
SUITE = OLMO / "olmo-2-1124-suite.yaml"


def _estimate(name: str, **kw):
    path = OLMO / f"{name}.yaml"
    imp = olmo.import_(path, **kw)
    return imp, estimate(plan_from_mapping(imp.plan, str(path), OLMO))


def test_13b_architecture_is_the_released_models():
    """d_model 5,120, 40 layers, 40 heads, mlp_hidden_size 27,648 (SwiGLU: 13,824), embedding_size
    100,352, untied, query/key norm: the released config.json's architecture, 13,716,198,400
    parameters, the same count as examples/configs/olmo-2-1124-13b.json."""
    imp, result = _estimate("OLMo2-13B-stage2-seed1110-100B")
    spec = imp.plan["model"]["spec"]
    assert (spec["model_type"], spec["hidden_size"], spec["num_hidden_layers"], spec["intermediate_size"],
            spec["vocab_size"], spec["tie_word_embeddings"]) == ("olmo2", 5120, 40, 13824, 100352, False)
    assert result.parameters.total == 13_716_198_400
    released = json.loads((ROOT / "examples" / "configs" / "olmo-2-1124-13b.json").read_text())
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "intermediate_size", "vocab_size", "tie_word_embeddings", "model_type", "attention_bias"):
        assert spec[key] == released[key], key


def test_7b_parameters_and_per_token():
    """7B: 32 × (4·4,096² attention + 3·4,096·11,008 MLP + 4,096 + 4,096 q/k norms + 2·4,096
    norms) + 2·100,352·4,096 + 4,096 = 32 × (67,108,864 + 135,266,304 + 16,384) + 822,083,584 +
    4,096 = 7,298,617,344 (the published 7.30B); 6ND per token = 6 × 7,298,617,344 =
    43,791,704,064."""
    _, result = _estimate("OLMo2-7B-stage2-seed42")
    assert result.parameters.total == 32 * (67_108_864 + 135_266_304 + 16_384) + 822_083_584 + 4_096 \
        == 7_298_617_344
    assert result.phases[0].estimates["6ND"].per_token == 43_791_704_064


def test_run_length_from_max_duration_and_stop_at():
    """Stage 2, 7B: max_duration 50e9T / (1,024 × 4,096) = 11,920.9 → 11,921 steps (max_steps),
    stop_at 11,931 ends the loop: 11,931 × 4,194,304 = 50,042,241,024 tokens; the 13B 300B
    ingredient stops at 35,773. Both as the published checkpoint lists end."""
    imp, result = _estimate("OLMo2-7B-stage2-seed42")
    assert imp.plan["phases"][0] == {"name": "OLMo2-7B-stage2-seed42", "kind": "continued-pre-training",
                                     "steps": 11_931, "batch_size": 1024}
    assert result.phases[0].phase.tokens == 50_042_241_024
    imp, _ = _estimate("OLMo2-13B-stage2-seed2662-300B")
    assert imp.plan["phases"][0]["steps"] == 35_773
    for csv, last in (("OLMo-2-1124-7B-stage2.csv", 11_931), ("OLMo-2-1124-13B-stage2.csv", 35_773)):
        assert int((OLMO / csv).read_text().split()[-1].split(",")[1]) == last


def test_stage1_epochs_are_asked_for():
    """max_duration 1ep: epochs of data.paths, whose size the YAML does not hold."""
    with pytest.raises(InputError, match="max_duration.*1ep.*--tokens"):
        import_path(OLMO / "OLMo2-7B-stage1.yaml")
    imp, result = _estimate("OLMo2-7B-stage1", steps=928_646)
    assert result.phases[0].phase.tokens == 928_646 * 1024 * 4096 == 3_895_023_632_384


def test_load_path_and_save_steps():
    """Stage 2 loads …/peteish7/step928646-unsharded; it saves every 1,000 steps and at its last
    (no step 0: a load_path and no_pre_train_checkpoint), as OLMo-2-1124-7B-stage2.csv lists."""
    path = OLMO / "OLMo2-7B-stage2-seed42.yaml"
    assert find(path).name == "olmo"
    assert olmo.load_step(path) == 928_646 and olmo.load_step(OLMO / "OLMo2-7B-stage1.yaml") is None
    listed = [int(line.split(",")[1]) for line in (OLMO / "OLMo-2-1124-7B-stage2.csv").read_text().split()[1:]
              if line.startswith("1,")]
    assert olmo.save_steps(path, 11_931) == listed
    stage1 = olmo.save_steps(OLMO / "OLMo2-7B-stage1.yaml", 928_646)
    assert stage1[:3] == [0, 1000, 2000] and stage1[-1] == 928_646 and len(stage1) == 930


@pytest.fixture(scope="module")
def olmo_suite():
    suite = load_suite(SUITE)
    return suite, table(suite)


def test_suite_chains_stage2_on_stage1_and_soups(olmo_suite):
    """7B stage 1: 928,646 × 4,194,304 = 3,895,023,632,384 tokens × 47,764,733,952 FLOP per token.
    Each stage-2 ingredient's checkpoint adds its own steps to that; its last row is stage 1 +
    11,931 steps = 3,945,065,873,408 tokens. The soup: stage 1 + 3 × 50,042,241,024 =
    4,045,150,355,456 tokens; 13B: 596,057 × 8,388,608 + 3 × 100,084,482,048 + 300,082,937,856
    = 5,600,427,638,784 tokens."""
    suite, frame = olmo_suite
    per = 47_764_733_952
    last = frame.groupby("model", observed=True, sort=False).last()
    s1 = 3_895_023_632_384
    assert last.loc["OLMo-2-1124-7B-stage1"].tokens == s1
    assert last.loc["OLMo-2-1124-7B-stage1"].flop_full == s1 * per
    ing = frame[frame.model == "OLMo-2-1124-7B-stage2-ingredient1"]
    assert ing.step.tolist() == [*range(1000, 11_001, 1000), 11_931]
    assert ing.iloc[0].flop_full == (s1 + 1000 * 4_194_304) * per
    assert last.loc["OLMo-2-1124-7B-stage2-ingredient1"].tokens == 3_945_065_873_408
    soup = frame[frame.model == "OLMo-2-1124-7B"]
    assert len(soup) == 1 and soup.iloc[0].tokens == s1 + 3 * 50_042_241_024 == 4_045_150_355_456
    assert soup.iloc[0].flop_full == 4_045_150_355_456 * per
    assert last.loc["OLMo-2-1124-13B"].tokens == 596_057 * 8_388_608 + 3 * 100_084_482_048 + 300_085_673_984 \
        == 5_600_427_638_784
    assert last.loc["OLMo-2-1124-13B"].params_total == 13_716_198_400
    notes = {m.name: " ".join(m.notes) for m in suite.models}
    assert "cumulative reading: starts from OLMo-2-1124-7B-stage1 at step 928,646" in \
        notes["OLMo-2-1124-7B-stage2-ingredient1"]
    assert "merged-weights" in notes["OLMo-2-1124-7B"]


def test_olmo_statuses_from_the_engine(olmo_suite):
    """7B stage 1 passes 10^23 (the GPAI criterion) after 10^23 / 47,764,733,952 = 2.09×10^12
    tokens, i.e. 499,151.9 steps of 4,194,304: the first checkpoint over is 500,000. None of the
    suite reaches 10^25 (the 13B soup: 5.0×10^23)."""
    _, frame = olmo_suite
    s1 = frame[frame.model == "OLMo-2-1124-7B-stage1"]
    assert s1[s1["over_eu-gpai"]].step.iloc[0] == 500_000
    assert not frame["over_eu-systemic-risk"].any()
    assert (frame[frame.model.str.contains("stage2|B$")]["status_eu-gpai"] == "crossed").all()


@pytest.mark.parametrize("edit, needle", [
    (lambda t: t.replace("from: OLMo-2-1124-7B-stage1}", "from: OLMo-2-1124-7B-stage0}", 1),
     "no earlier model named 'OLMo-2-1124-7B-stage0'"),
    (lambda t: t.replace("steps: 928646", "steps: 900000"), "past its last step 900,000"),
    (lambda t: t.replace("recipe: OLMo2-7B-stage1.yaml, steps: 928646", "recipe: OLMo2-7B-stage1.yaml"),
     "max_duration '1ep'"),
])
def test_bad_suite_one_line_exit_2(tmp_path, edit, needle):
    path = OLMO / f".test-suite-{tmp_path.name}.yaml"
    path.write_text(edit(SUITE.read_text()))
    try:
        proc = subprocess.run([sys.executable, "-m", "flopcount", "suite", str(path), "-o", str(tmp_path / "out")],
                              capture_output=True, text=True, cwd=ROOT)
    finally:
        path.unlink()
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert needle in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
