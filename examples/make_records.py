"""Regenerate the example compute records: python examples/make_records.py

One record per bundled run plan, written as examples/records/NAME.{json,md,html}.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for plan in sorted((HERE / "plans").glob("*.yaml")):
    subprocess.run([sys.executable, "-m", "flopcount", "record", "--plan", str(plan), "--provider", "Example provider",
                    "-o", str(HERE / "records" / plan.stem)], check=True)
