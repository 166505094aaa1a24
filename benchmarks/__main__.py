"""Run every benchmark and write benchmarks/results/*.json plus SUMMARY.md.

    python -m benchmarks            # full: several minutes on 2 cores
    python -m benchmarks --quick    # smoke mode for CI: tiny sizes, no timing claims
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("accuracy", "overhead", "scale", "backends", "suite")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, "
            f"{dt.date.today().isoformat()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=BENCHMARKS, action="append")
    args = parser.parse_args()
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else ""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    names = args.only or BENCHMARKS
    bar = None
    if sys.stderr.isatty():  # a bar over the benchmarks on a terminal; logs stay plain
        from tqdm import tqdm
        bar = tqdm(total=len(names), unit="benchmark", file=sys.stderr, leave=False)
    for name in names:
        if bar is not None:
            bar.set_description(name)
        cmd = [sys.executable, "-m", f"benchmarks.{name}", *(["--quick"] if args.quick else [])]
        print(f"== {' '.join(cmd[1:])}", flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        print(proc.stdout, end="")
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            sys.exit(f"benchmark {name} failed")
        (results / f"{name}{suffix}.txt").write_text(f"Machine: {machine()}\n\n{proc.stdout}")
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    sections = [f"# Benchmark results{' (quick smoke run)' if args.quick else ''}", ""]
    for name in BENCHMARKS:  # every benchmark's latest output, re-run or not
        text = results / f"{name}{suffix}.txt"
        if text.exists():
            machine_line, _, body = text.read_text().partition("\n\n")
            sections += [f"## {name}", "", machine_line, "", "```", body.rstrip(), "```", ""]
    summary = results / f"SUMMARY{suffix}.md"
    summary.write_text("\n".join(sections) + "\n")
    print(f"wrote {summary}")


if __name__ == "__main__":
    main()
