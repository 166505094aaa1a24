"""Suite: the Pythia suite (16 models × 154 checkpoints = 2,464 rows) in one `flopcount suite`
call against a loop calling `flopcount estimate` once per checkpoint, side by side; and a
synthetic 100,000-row sweep.

The loop is what a suite cost before: one process per checkpoint. It is timed on a sample of
checkpoints (one per model, steps spread over the run) and extrapolated to all 2,464 by the
mean time per call: the full loop would take tens of minutes on 2 cores. Every sampled call's
FLOP is checked against the suite's row for that checkpoint. Peak memory is the suite
process's maximum resident set (resource.getrusage, pandas and numpy included) and, in
process, tracemalloc's peak of the table build.

    python -m benchmarks.suite [--quick]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "recipes" / "neox" / "pythia-suite.yaml"
RESULTS = ROOT / "benchmarks" / "results"
CHILD = """
import json, resource, sys, time, tracemalloc
t0 = time.perf_counter()
from flopcount.records.suite import load_suite, table
t1 = time.perf_counter()
suite = load_suite(sys.argv[1])
frame = table(suite)
t2 = time.perf_counter()
tracemalloc.start()
table(load_suite(sys.argv[1]))
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"rows": len(frame), "import_s": t1 - t0, "suite_s": t2 - t1,
                  "tracemalloc_peak_mib": peak / 2**20,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_suite(path: Path) -> dict:
    """The suite in a fresh process: in-process time, and the CLI's wall time end to end."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    stats = json.loads(out.stdout)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flopcount", "suite", str(path)], capture_output=True, cwd=ROOT, check=True)
    stats["cli_wall_s"] = time.perf_counter() - t0
    return stats


def loop_sample(per_model: int, models: int | None) -> dict:
    """`flopcount estimate <recipe> --tokens <step × 2,097,152>` once per sampled checkpoint."""
    from flopcount.records.suite import load_suite, table
    suite = load_suite(SUITE)
    frame = table(suite)
    from flopcount.importers.recipe import Flags  # noqa: F401  (the same flags the suite file gives)
    import yaml
    entries = {e["name"]: e for e in yaml.safe_load(SUITE.read_text())["models"]}
    calls, seconds, checked = 0, 0.0, 0
    for k, model in enumerate(suite.models[:models]):
        steps = model.steps[model.steps > 0]
        picks = [int(steps[(len(steps) - 1) * (j + 1) // per_model]) for j in range(per_model)]
        picks = [int(steps[(k * 37) % len(steps)])] if per_model == 1 else picks
        entry = entries[model.name]
        for step in picks:
            tokens = step * model.tokens_per_step
            cmd = [sys.executable, "-m", "flopcount", "estimate", str(SUITE.parent / entry["recipe"]), "--gpus",
                   str(entry["gpus"]), "--vocab-size", "50277", "--tokens", str(tokens), "--json"]
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
            seconds += time.perf_counter() - t0
            calls += 1
            full = json.loads(out.stdout)["phases"][0]["estimates"]["full"]["total"]
            row = frame[(frame.model == model.name) & (frame.step == step)].iloc[0]
            if int(full) != row.flop_full:
                raise SystemExit(f"{model.name} step {step}: estimate {full} != suite {row.flop_full}")
            checked += 1
    return {"calls": calls, "seconds": seconds, "per_call_s": seconds / calls, "checked_equal": checked,
            "rows": len(frame)}


def synthetic(models: int, checkpoints: int) -> dict:
    """`models` configs × `checkpoints` checkpoints each, in process."""
    from flopcount.records.suite import load_suite, table
    configs = ["pythia-1.4b", "llama-3.1-8b", "mistral-7b", "qwen3-8b", "gemma-7b", "llama-3.1-70b",
               "mixtral-8x7b", "falcon-40b", "llama-3.1-405b", "deepseek-v3"]
    every = 10
    data = {"flopcount_suite": 1, "name": "sweep", "checkpoints": {"every": every},
            "models": [{"name": f"{configs[i % len(configs)]}-{i}",
                        "config": str(ROOT / "examples" / "configs" / f"{configs[i % len(configs)]}.json"),
                        "tokens_per_step": 4_194_304, "steps": every * checkpoints, "seq_len": 4096}
                       for i in range(models)]}
    t0 = time.perf_counter()
    frame = table(load_suite(data))
    return {"rows": len(frame), "seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smoke mode: small sample, no timing claims")
    args = parser.parse_args()
    suite = run_suite(SUITE)
    loop = loop_sample(1, 2 if args.quick else None)
    extrapolated = loop["per_call_s"] * suite["rows"]
    sweep = synthetic(10, 1_000 if args.quick else 10_000)
    result = {
        "suite": suite, "loop_sample": loop,
        "loop_extrapolated_s": extrapolated,
        "speedup_vs_loop": extrapolated / suite["cli_wall_s"],
        "synthetic": sweep,
        "criteria": {"suite under 2 s (CLI, end to end)": suite["cli_wall_s"] < 2,
                     "at least 100x faster than the loop": extrapolated / suite["cli_wall_s"] >= 100,
                     "under 300 MB peak (RSS)": suite["peak_rss_mib"] < 300,
                     "100,000-row sweep under 10 s": (sweep["rows"] >= 100_000 and sweep["seconds"] < 10) if not args.quick
                     else None},
        "quick": args.quick,
    }
    lines = [
        f"Pythia suite: {suite['rows']:,} rows (16 models × 154 checkpoints)",
        f"  flopcount suite (CLI, fresh process, end to end): {suite['cli_wall_s']:.2f} s",
        f"    of which load + table in process: {suite['suite_s']:.2f} s (imports {suite['import_s']:.2f} s)",
        f"    peak RSS {suite['peak_rss_mib']:.0f} MiB; tracemalloc peak of the table build "
        f"{suite['tracemalloc_peak_mib']:.1f} MiB",
        f"  loop of `flopcount estimate`, one process per checkpoint: sampled {loop['calls']} calls",
        f"    ({loop['per_call_s']:.2f} s each; every sampled FLOP equal to the suite's row),",
        f"    extrapolated to {suite['rows']:,} calls: {extrapolated:,.0f} s "
        "(not run in full: sampled and multiplied)",
        f"  speed-up: {result['speedup_vs_loop']:,.0f}×",
        f"Synthetic sweep: {sweep['rows']:,} rows in {sweep['seconds']:.2f} s (in process)",
        *(f"  [{'ok' if ok else 'n/a' if ok is None else 'MISSED'}] {name}" for name, ok in result["criteria"].items()),
    ]
    if args.quick:
        lines.append("  (--quick: smaller sample and sweep; the criteria are for the full run)")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else ""
    (RESULTS / f"suite{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"suite{suffix}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
