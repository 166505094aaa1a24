"""Regenerate the example compute records: python examples/make_records.py

One record per bundled run plan, written as examples/records/NAME.{json,md,html}, and one
for the obligations example (examples/obligations/open-70b.yaml: provider, release and
deploys facts, so its obligations block and open-source exemption are judged on them).
The obligations are judged at a fixed date, so that the records do not change with the day
they are regenerated.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2026-12-02"

for plan in [*sorted((HERE / "plans").glob("*.yaml")), HERE / "obligations" / "open-70b.yaml"]:
    subprocess.run([sys.executable, "-m", "flopcount", "record", "--plan", str(plan), "--provider", "Example provider",
                    "--as-of", AS_OF, "-o", str(HERE / "records" / plan.stem)], check=True)
