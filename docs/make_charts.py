"""Regenerate the README's charts: python docs/make_charts.py

The planning chart shows the OurLab-7B plan (Llama 2 7B's architecture on 2T tokens) next
to Llama 2 7B and the other published runs. The run chart uses a *simulated* ledger: a
405B-scale model recorded through the monitor API in two runs (the second resumed from
step 0 after the first stopped), per-step counts drawn around 4e22 FLOP (no training
happens); the monitoring notebook charts a ledger from a real tiny CPU run instead.
"""
from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "charts"
EXAMPLES = ROOT / "examples"


def simulated_ledger(path: Path) -> None:
    from flopcount.run import ComputeMonitor, ThresholdWarning
    rng = random.Random(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        for run, steps in (("first", 150), ("second", 250)):
            monitor = ComputeMonitor("simulated-405B", run=run, ledger=path, planned_steps=1000, flush_every=25,
                                     flush_seconds=None, handle_signals=False)
            for _ in range(steps):
                monitor.step(int(rng.gauss(4e22, 3e21)), tokens=16 * 2**20)
            monitor.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "flopcount", "plot"]
    plan = str(EXAMPLES / "plans" / "finetune-llama-3.1-8b.yaml")
    subprocess.run([*cli, "planning", str(EXAMPLES / "plans" / "ourlab-7b.yaml"), "-o", str(OUT / "planning.png")],
                   check=True)
    subprocess.run([*cli, "methods", plan, "-o", str(OUT / "methods.png")], check=True)
    subprocess.run([*cli, "finetune", str(EXAMPLES / "configs" / "llama-3.1-8b.json"), "--base-compute", "7.2e23",
                    "-o", str(OUT / "finetune.png")], check=True)
    subprocess.run([*cli, "hardware", "-o", str(OUT / "hardware.png")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "simulated.db"
        simulated_ledger(ledger)
        subprocess.run([*cli, "run", str(ledger), "--planned-steps", "1000", "-o", str(OUT / "run.png")], check=True)


if __name__ == "__main__":
    main()
