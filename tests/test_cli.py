"""The command line: published figures, the JSON contract, and clean errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from flopcount.cli import main

from conftest import ROOT

PLANS = ROOT / "examples" / "plans"
CONFIGS = ROOT / "examples" / "configs"


def run_json(capsys, *argv) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_gpt3_reproduces_brown_et_al(capsys):
    """Brown et al. 2020, Table D.1: GPT-3 175B, 300B tokens: 3.14e23 FLOP (6ND, attention
    ignored). Full count adds attention at T=2048 and logits: +2.8%."""
    out = run_json(capsys, "estimate", str(PLANS / "gpt3-175b.yaml"))
    six = int(out["flops"]["6ND"]["total"])
    assert abs(six / 3.14e23 - 1) < 0.005
    full = int(out["flops"]["full"]["total"])
    assert 1.02 < full / six < 1.04
    gpai = next(t for t in out["thresholds"] if t["id"] == "eu-gpai")
    assert gpai["status"] == "crossed" and gpai["value"] == str(10**23)


def test_llama_405b_three_methods(capsys):
    """Llama 3 paper: 3.8e25 FLOP for 405B on 15.6T tokens; 30.84M H100 hours at 38-43% MFU."""
    out = run_json(capsys, "estimate", str(PLANS / "llama-3.1-405b.yaml"))
    assert abs(int(out["flops"]["6ND"]["total"]) / 3.8e25 - 1) < 0.01
    hw = out["flops"]["hardware"]
    assert int(hw["low"]) == pytest.approx(30.84e6 * 3600 * 989.4e12 * 0.38)
    assert int(hw["high"]) == pytest.approx(30.84e6 * 3600 * 989.4e12 * 0.43)
    # every method within the Guidelines' 30% of the published figure
    for method in ("full", "6ND", "hardware"):
        assert abs(int(out["flops"][method]["total"]) / 3.8e25 - 1) < 0.30
    status = {t["id"]: t["status"] for t in out["thresholds"]}
    assert status == {"eu-gpai": "crossed", "eu-systemic-risk": "crossed", "us-eo-14110": "below",
                      "ca-sb53": "below", "ny-raise": "below"}
    systemic = next(t for t in out["thresholds"] if t["id"] == "eu-systemic-risk")
    # placed on the market 2024-07-23, before Chapter V applied: the duty runs from
    # 2025-08-02, two weeks → 2025-08-16; other obligations by 2027-08-02 (Art. 111(3))
    assert systemic["notify_by"] == "2025-08-16" and "Art. 111(3)" in systemic["duty"]


def test_json_contract_keys(capsys):
    out = run_json(capsys, "estimate", str(CONFIGS / "llama-2-7b.json"), "--tokens", "2T", "--seq-len", "4096",
                   "--accelerator", "a100", "--gpu-hours", "184320")
    assert set(out["parameters"]) == {"total", "active", "embedding"}
    assert set(out["flops"]) == {"6ND", "full", "hardware"}
    for method in out["flops"].values():
        assert {"per_token_training", "total", "low", "high"} <= set(method)
    exact = out["flops"]["full"]
    assert exact["low"] == exact["total"] == exact["high"] and exact["total"].isdigit()  # FLOP: decimal strings
    hw = out["flops"]["hardware"]
    assert int(hw["low"]) < int(hw["total"]) < int(hw["high"])
    assert {t["id"] for t in out["thresholds"]} == {"eu-gpai", "eu-systemic-risk", "us-eo-14110", "ca-sb53",
                                                    "ny-raise"}
    for t in out["thresholds"]:
        assert {"id", "value", "line_exact", "status", "margin", "basis", "notify_by", "duty"} <= set(t)
        assert t["status"] in ("below", "crossed", "straddles")
    # Llama 2 7B: 6 · 6.74e9 · 2e12 = 8.1e22, below the GPAI line.
    assert out["flops"]["6ND"]["total"] == str(6 * 6_738_415_616 * 2 * 10**12)


def test_hardware_interval_straddles(capsys):
    """1M H100 hours at 30-50%: 1e6·3600·989.4e12·[0.3, 0.5] = [1.07e24, 1.78e24]; a line
    of 1e24 isn't one of ours, so use 7B on 1.2M hours against 10^24? No: the interval
    [1.28e24, 2.14e24] vs eu-gpai 1e23 is crossed; pick hours so it straddles 1e25."""
    hours = 1e25 / (3600 * 989.4e12 * 0.4)  # central value exactly on the line
    out = run_json(capsys, "estimate", "--params", "70B", "--accelerator", "h100", "--gpu-hours", str(hours),
                   "--method", "hardware")
    sr = next(t for t in out["thresholds"] if t["id"] == "eu-systemic-risk")
    assert sr["status"] == "straddles"
    assert sr["margin"] == pytest.approx(1.0)


def test_params_tokens_gives_6nd(capsys):
    out = run_json(capsys, "estimate", "--params", "7B", "--tokens", "2T")
    assert out["flops"] == {"6ND": {"per_token_training": str(42 * 10**9), "total": str(84 * 10**21),
                                    "low": str(84 * 10**21), "high": str(84 * 10**21), "phases": ["pre-training"]}}


def test_modification_rule_unknown_base(capsys):
    """Unknown base compute, base without systemic risk: line = 1e23 / 3 = 3.33e22.
    6 · 8e9 · 1e12 = 4.8e22 > 3.33e22: the modifier becomes a provider."""
    out = run_json(capsys, "estimate", "--params", "8B", "--tokens", "1T", "--base-compute", "unknown")
    mod = next(t for t in out["thresholds"] if t["id"] == "eu-modification")
    assert mod["value"] == "33333333333333333333333" and mod["status"] == "crossed"
    out = run_json(capsys, "estimate", "--params", "8B", "--tokens", "1T", "--base-compute", "unknown",
                   "--base-systemic-risk")
    mod = next(t for t in out["thresholds"] if t["id"] == "eu-modification")
    assert mod["value"] == "3333333333333333333333333" and mod["status"] == "below"


def test_images_per_sample(tmp_path, capsys):
    """A VLM's vision tower runs once per image: the full count per sample is
    training_flops(spec, T, images=n), the JSON says n, and a VLM given no images is
    counted text only with a note. Plans take the same field per phase."""
    from flopcount.model.configs import load_spec
    from flopcount.model.formulas import training_flops
    path = CONFIGS / "gemma-3-4b.json"
    spec = load_spec(path)
    args = ["estimate", str(path), "--tokens", "2048000", "--seq-len", "2048"]
    two = run_json(capsys, *args, "--images-per-sample", "2")
    assert two["phases"][0]["images_per_sample"] == 2
    assert int(two["flops"]["full"]["total"]) == 1000 * training_flops(spec, 2048, images=2).total
    none = run_json(capsys, *args)
    assert int(none["flops"]["full"]["total"]) == 1000 * training_flops(spec, 2048).total < int(two["flops"]["full"]["total"])
    assert any("counted as text only" in n for n in none["notes"])
    plan = tmp_path / "vlm.yaml"
    plan.write_text(f"flopcount_plan: 1\nmodel: {{config: {path}}}\nseq_len: 2048\n"
                    "phases:\n  - {kind: pre-training, tokens: 2048000, images_per_sample: 2}\n")
    assert run_json(capsys, "estimate", str(plan))["flops"]["full"]["total"] == two["flops"]["full"]["total"]
    for argv, needle in [([str(CONFIGS / "llama-3.1-8b.json"), "--tokens", "1T", "--images-per-sample", "1"],
                          "--images-per-sample: the model has no vision tower"),
                         ([*args[1:], "--images-per-sample", "9"], "do not fit in seq_len 2048"),
                         ([*args[1:], "--images-per-sample", "1.5"], "--images-per-sample")]:
        assert main(["estimate", *argv]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1


def test_human_output_states_two_significant_figures(capsys):
    assert main(["estimate", str(PLANS / "llama-3.1-405b.yaml")]) == 0
    text = capsys.readouterr().out
    assert "1 multiply-add = 2 FLOP" in text
    assert "3.8×10^25" in text and "CROSSED" in text and "notify the Commission without delay and by 2025-08-16" in text


def test_accelerators_listing(capsys):
    assert main(["accelerators", "--json"]) == 0
    ids = {a["id"] for a in json.loads(capsys.readouterr().out)}
    assert {"a100", "h100-sxm", "h100-pcie", "h200", "b200", "gb200", "mi300x", "mi325x", "tpu-v4", "tpu-v5e",
            "tpu-v5p", "tpu-v6e", "l4", "l40s", "v100"} <= ids


@pytest.mark.parametrize("argv,needle", [
    (["estimate", "--params", "7B", "--tokens", "2X"], "--tokens: unknown suffix"),
    (["estimate", "--params=-7B", "--tokens", "2T"], "--params: must be positive"),
    (["estimate", "--params", "nan", "--tokens", "2T"], "--params"),
    (["estimate", "--params", "7B", "--tokens", "2T", "--accelerator", "h900", "--gpu-hours", "5"],
     "--accelerator: unknown accelerator 'h900'"),
    (["estimate", "--params", "7B", "--accelerator", "v100", "--gpu-hours", "5", "--precision", "bf16"],
     "--precision: NVIDIA V100 SXM2 has no bf16 peak"),
    (["estimate", "--params", "7B", "--accelerator", "a100", "--gpu-hours", "5", "--utilization", "0.6:0.2"],
     "--utilization"),
    (["estimate", "--params", "7B"], "--tokens"),
    (["estimate"], "--params"),
    (["estimate", "no/such/file.json"], "no/such/file.json: no such file"),
    (["estimate", "--params", "7B", "--tokens", "2T", "--modalities", "text,smell"],
     "--modalities: unknown modality 'smell'"),
    (["estimate", "--params", "7B", "--tokens", "2T", "--modalities", ""], "--modalities: unknown modality ''"),
    (["estimate", "--params", "7B", "--tokens", "2T", "--placed-on-market", "2025-02-30"],
     "--placed-on-market: must be a date YYYY-MM-DD"),
    (["record", "--plan", str(PLANS / "gpt3-175b.yaml"), "--released", "June 2020", "-o", "/tmp/x"],
     "--released: must be a date YYYY-MM-DD"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_files_name_file_and_field(tmp_path, capsys):
    cases = {
        "bad.json": ("{not json", "bad.json: malformed JSON at line 1"),
        "unknown.json": ('{"model_type": "no_such_arch", "hidden_size": 8}',
                         "unknown.json: model_type: transformers"),  # fallback: transformers knows no such model
        "rejected.json": ('{"model_type": "bamba", "hidden_size": 8}',  # transformers rejects the config itself
                          "rejected.json: model_type: transformers"),
        "mamba2.json": ('{"model_type": "mamba2", "hidden_size": 8}',  # the reader checks what Mamba2Config checks
                        "mamba2.json: num_heads: expand · hidden_size (16) must equal num_heads · head_dim"),
        "missing.json": ('{"model_type": "llama", "hidden_size": 64}', "missing.json: num_attention_heads: required"),
        "negative.json": ('{"model_type": "gpt2", "n_embd": -64, "n_layer": 2, "n_head": 4, "vocab_size": 10}',
                          "negative.json: n_embd: must be positive"),
        "nan.json": ('{"model_type": "gpt2", "n_embd": NaN, "n_layer": 2, "n_head": 4, "vocab_size": 10}',
                     "nan.json: malformed JSON"),
        "plan.yaml": ("flopcount_plan: 1\nmodel: {params: 7B}\nphases:\n  - kind: pre-training\n    token: 2T\n",
                      "plan.yaml: phases[0].token: unknown field"),
        "kind.yaml": ("flopcount_plan: 1\nmodel: {params: 7B}\nphases:\n  - {kind: pretraining, tokens: 2T}\n",
                      "kind.yaml: phases[0].kind: must be one of"),
        "yaml.yaml": ("flopcount_plan: 1\nphases: [\n", "yaml.yaml: malformed YAML"),
        "version.yaml": ("flopcount_plan: 1\nmodel: {params: 7B}\nbase_model: {name: B, version: 3.1, "
                         "training_compute: 1e24}\nphases:\n  - {kind: fine-tuning, tokens: 1B}\n",
                         "version.yaml: base_model.version: must be a non-empty string, got 3.1"),
        "released.yaml": ("flopcount_plan: 1\nmodel: {params: 7B}\nreleased: soon\nphases:\n"
                          "  - {kind: pre-training, tokens: 1B}\n", "released.yaml: released: must be a date"),
    }
    for name, (text, needle) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["estimate", str(path), *([] if "plan" in text else ["--tokens", "1B"])]) == 2, name
        err = capsys.readouterr().err
        assert needle in err, (name, err)



def test_unknown_architecture_without_torch(tmp_path, capsys, monkeypatch):
    """No reader and no torch: one line saying what to install, exit 2."""
    import builtins
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name in ("torch", "transformers"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_torch)
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "bamba", "hidden_size": 8}')
    assert main(["estimate", str(path), "--tokens", "1B"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "install flopcount[measure]" in err and "Traceback" not in err


def main_err(path, capsys) -> str:
    main(["estimate", str(path), "--tokens", "1B"])
    return capsys.readouterr().err


def test_console_script_exit_status(tmp_path):
    """Through a real process: exit status 2 and no traceback."""
    bad = tmp_path / "config.json"
    bad.write_text('{"model_type": "llama"')
    proc = subprocess.run([sys.executable, "-m", "flopcount", "estimate", str(bad), "--tokens", "1T"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "malformed JSON" in proc.stderr


@pytest.mark.parametrize("text, needle", [
    ("phases:\n  - {kind: pre-training, tokens: 0100}\n", "tokens: cannot read '0100': a leading zero"),
    ("phases:\n  - kind: pre-training\n    hardware: {accelerator: h100, gpu_hours: 1:30}\n",
     "gpu_hours: cannot read '1:30'"),
    ("phases:\n  - {kind: pre-training, tokens: 1T}\nphases: []\n", "key 'phases' is given twice at line 5"),
    ("phases:\n  - {kind: pre-training, tokens: 1T, tokens: 2T}\n", "key 'tokens' is given twice"),
    ("phases:\n  - {kind: pre-training, tokens: '1,5T'}\n", "a comma is read only as a thousands separator"),
    ("phases:\n  - {kind: pre-training, tokens: 1e10000000}\n", "out of range (10^40 or more)"),
    ("phases:\n  - {kind: pre-training, tokens: 1e309}\n", "out of range (10^40 or more)"),
])
def test_numbers_and_keys_are_never_guessed(tmp_path, capsys, text, needle):
    """YAML 1.1 would read 0100 as 64 and 1:30 as 90, keep the last of two keys, and read
    1,5T as 15T here; each is refused with one line naming file and field, exit 2."""
    path = tmp_path / "plan.yaml"
    path.write_text("flopcount_plan: 1\nmodel: {params: 7B}\n" + text)
    assert main(["estimate", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "plan.yaml" in err and err.count("\n") == 1


def test_json_plan_duplicates_and_exact_big_floats(tmp_path, capsys):
    """JSON: a duplicate key is refused; a float literal beyond 2^53 is read from its
    digits (1.0000000000000001e20 tokens is 10^20 + 10^4, which no double holds: they are 16,384 apart there)."""
    path = tmp_path / "plan.json"
    path.write_text('{"flopcount_plan": 1, "model": {"params": "7B"}, "model": {"params": "8B"}, "phases": []}')
    assert main(["estimate", str(path)]) == 2
    assert "key 'model' is given twice" in capsys.readouterr().err
    path.write_text('{"flopcount_plan": 1, "model": {"params": 7}, '
                    '"phases": [{"kind": "pre-training", "tokens": 1.0000000000000001e20}]}')
    assert main(["estimate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["phases"][0]["tokens"] == 100_000_000_000_000_010_000
    assert out["flops"]["6ND"]["total"] == str(6 * 7 * 100_000_000_000_000_010_000)


@pytest.mark.parametrize("argv, needle", [
    (["record", "--plan", str(PLANS / "gpt3-175b.yaml"), "-o", "/proc/no-such-dir/rec"], "--output: cannot write"),
    (["plot", "hardware", "-o", "/proc/no-such-dir/p.png"], "--output: cannot write"),
    (["plot", "hardware", "--precision", "fp3", "-o", "unused.png"], "--precision: no accelerator has a 'fp3' peak"),
    (["measure", "os:getpid"], "returned int; it must return an nn.Module"),
    (["measure", "sys:exit"], "raised SystemExit (exit code None)"),
])
def test_unwritable_outputs_and_bad_factories_exit_2(capsys, argv, needle):
    """Each was a traceback or a silent exit 0 (or an empty chart) before."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_numbers_never_guessed(capsys):
    for value, needle in [("1,5T", "a comma is read only as a thousands separator"),
                          ("1e10000000", "out of range")]:
        assert main(["estimate", "--params", "7B", "--tokens", value]) == 2
        assert needle in capsys.readouterr().err
    assert main(["estimate", "--params", "7B", "--tokens", "1,500,000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["phases"][0]["tokens"] == 1_500_000


def test_bare_command_prints_usage(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: flopcount") and "estimate" in out and "verify" in out


def test_method_choices_listed_once(capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    help_text = capsys.readouterr().out
    assert "{6ND,full,hardware}" in help_text
    assert main(["estimate", "--params", "7B", "--tokens", "1T", "--method", "6nd", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["flops"]) == ["6ND"]


def test_estimate_from_hardware_alone(capsys):
    """No parameters, no tokens: the hardware method alone, as in the Commission's worked
    examples. By hand: 200,000 H100-hours × 3,600 s × 989.4 TFLOP/s (dense bf16, SXM
    datasheet) × 0.5 = 3.56184×10^23 FLOP. --gpus 25,000 --days 90 is 54,000,000 hours:
    × 3,600 × 989.4×10^12 × [0.3, 0.5] (the default interval) = [5.77×10^25, 9.62×10^25]."""
    assert main(["estimate", "--accelerator", "h100", "--gpu-hours", "200000", "--utilization", "0.5",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"] is None and list(out["flops"]) == ["hardware"]
    assert int(out["compute"]["training"]["total"]) == pytest.approx(200_000 * 3600 * 989.4e12 * 0.5, rel=1e-12)
    assert main(["estimate", "--accelerator", "h100", "--gpus", "25000", "--days", "90", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    low, high = int(out["compute"]["training"]["low"]), int(out["compute"]["training"]["high"])
    assert low == pytest.approx(54_000_000 * 3600 * 989.4e12 * 0.3, rel=1e-12)
    assert high == pytest.approx(54_000_000 * 3600 * 989.4e12 * 0.5, rel=1e-12)
    assert main(["estimate", "--accelerator", "h100", "--gpus", "8", "--json"]) == 2
    assert "--days: required with --accelerator" in capsys.readouterr().err
    assert main(["estimate", "--accelerator", "h100", "--gpus", "8", "--days", "1", "--gpu-hours", "5"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["estimate", "--gpus", "8", "--days", "1"]) == 2
    assert "--gpus: needs --accelerator" in capsys.readouterr().err


def test_record_in_the_light_install(tmp_path, monkeypatch, capsys):
    """Without matplotlib `record` writes all three files, the HTML saying which extra
    draws its charts; before, it wrote two and stopped with a traceback."""
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    monkeypatch.delitem(sys.modules, "flopcount.records.plot", raising=False)
    assert main(["record", "--plan", str(PLANS / "gpt3-175b.yaml"), "-o", str(tmp_path / "rec")]) == 0
    assert "Traceback" not in capsys.readouterr().err
    html = (tmp_path / "rec.html").read_text()
    assert "pip install &#x27;flopcount[plot]&#x27;" in html or "flopcount[plot]" in html
    assert (tmp_path / "rec.json").exists() and (tmp_path / "rec.md").exists()


EIGHTY = [["estimate", str(PLANS / "llama-3.1-405b.yaml")], ["estimate", str(PLANS / "gpt3-175b.yaml")],
          ["estimate", str(PLANS / "finetune-llama-3.1-8b.yaml")],
          ["estimate", str(ROOT / "examples" / "configs" / "llama-3.1-8b.json"), "--tokens", "15T"],
          ["estimate", "--accelerator", "h100", "--gpus", "25000", "--days", "90"],
          ["thresholds"], ["accelerators"], [], *([c, "--help"] for c in (
              "estimate", "accelerators", "measure", "status", "verify", "checkpoint", "keygen", "plot", "record",
              "thresholds"))]


@pytest.mark.parametrize("argv", EIGHTY, ids=[f"{i}-{'-'.join(a[:1] + a[-1:]) or 'bare'}" for i, a in enumerate(EIGHTY)])
def test_output_fits_80_columns(argv, capsys, monkeypatch):
    """At COLUMNS=80 every line fits, except a line whose overflow is one unbreakable
    token (a source URL, kept whole so it can be copied)."""
    monkeypatch.setenv("COLUMNS", "80")
    try:
        main(argv)
    except SystemExit:  # --help
        pass
    out = capsys.readouterr().out
    assert out.strip()
    for line in out.splitlines():
        assert len(line) <= 80 or any(len(word) > 40 for word in line.split()), line


def test_readme_shows_the_real_output(capsys, monkeypatch):
    """The README's "What it prints" block is the command's output at 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    main(["estimate", "examples/plans/llama-3.1-405b.yaml"])
    out = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ flopcount estimate examples/plans/llama-3.1-405b.yaml\n", 1)[1].split("```", 1)[0]
    assert block == out[out.index("Parameters"):]


@pytest.mark.parametrize("name", ["estimate", "accelerators", "thresholds"])
def test_help_examples_run(name, capsys, monkeypatch):
    """The examples under --help that need no file of the reader's own run as written."""
    from flopcount.cli import EXAMPLES
    monkeypatch.chdir(ROOT)
    for line in EXAMPLES[name]:
        assert main(line.split()[1:]) == 0, line
    capsys.readouterr()
