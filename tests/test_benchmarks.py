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
