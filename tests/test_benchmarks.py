"""Every benchmark runs in its quick (smoke) mode and writes its results file."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from conftest import ROOT  # noqa: E402


def test_benchmarks_quick_mode():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = ROOT / "benchmarks" / "results"
    for name in ("accuracy", "overhead", "scale", "backends"):
        data = json.loads((results / f"{name}-quick.json").read_text())
        assert data
    accuracy = json.loads((results / "accuracy-quick.json").read_text())["rows"][0]
    assert accuracy["values"]["flopcount analytic"] == accuracy["reference"]
    assert "Per-step training FLOP" in proc.stdout and "SUMMARY-quick.md" in proc.stdout


def test_gpu_benchmark_says_so_without_a_gpu_and_runs_on_cpu(tmp_path):
    """benchmarks/gpu.py: without CUDA it says so and exits 0; --cpu-smoke runs every section
    on tiny sizes and its counts agree with the analytic count exactly (the GPU figures are
    in benchmarks/results/gpu.txt, from a real H200)."""
    import os
    import torch
    env = {**os.environ, "FLOPCOUNT_RESULTS": str(tmp_path), "CUDA_VISIBLE_DEVICES": ""}
    if not torch.cuda.is_available():
        proc = subprocess.run([sys.executable, "-m", "benchmarks.gpu"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env=env)
        assert proc.returncode == 0 and "no CUDA GPU here" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--cpu-smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "gpu-smoke.json").read_text())
    counts = data["counts"]["smoke"]
    assert counts["measured"] == counts["analytic"] and not counts["failed"]
    assert data["fsdp2"]["diff"] == data["hf"]["diff"] == data["lightning"]["diff"] == 0
    assert data["overhead"][2]["graphs"]["new in measured step"] == 0
    assert data["kernels"]["sdpa math"]["exact"] and data["kernels"]["sdpa flash_attention"]["exact"]
