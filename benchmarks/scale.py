"""Scale: time and peak memory to measure per-token training FLOP of real-size configs on
the meta device (1B → 405B), each in a fresh process; and the throughput of vectorised
planning grids.

    python -m benchmarks.scale [--quick]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ["pythia-1.4b", "llama-3.1-8b", "mixtral-8x7b", "falcon-40b", "gpt3-175b", "llama-3.1-405b"]
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from flopcount.measure import measure_config
t1 = time.perf_counter()
m = measure_config(sys.argv[1], int(sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({"per_token": float(m.per_token()), "import_s": t1 - t0, "measure_s": t2 - t1,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(name: str, seq: int) -> dict:
    path = ROOT / "examples" / "configs" / f"{name}.json"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(seq)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return {"config": name, **result}


def grid_throughput(n: int) -> dict:
    import numpy as np

    from flopcount.planning import crossed_grid
    params, tokens = np.logspace(8, 13, n), np.logspace(9, 14, n)
    crossed_grid(params, tokens)  # warm-up
    start = time.perf_counter()
    grids = crossed_grid(params, tokens)
    elapsed = time.perf_counter() - start
    return {"grid": f"{n}×{n}", "thresholds": len(grids), "seconds": elapsed,
            "points_per_second": n * n * len(grids) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seq = 128 if args.quick else 2048
    rows = [measure(name, seq) for name in (CONFIGS[:1] if args.quick else CONFIGS)]
    print(f"Meta-device measurement of one training step, T={seq}, fresh process each")
    print(f"{'config':<18}{'FLOP/token':>22}{'measure (s)':>13}{'+ import (s)':>14}{'peak RSS (MiB)':>16}")
    for r in rows:
        print(f"{r['config']:<18}{r['per_token']:>22,.0f}{r['measure_s']:>13.2f}{r['import_s']:>14.2f}"
              f"{r['peak_rss_mib']:>16.0f}")
    grid = grid_throughput(200 if args.quick else 1000)
    print(f"\nPlanning grid {grid['grid']} × {grid['thresholds']} thresholds: {grid['seconds'] * 1e3:.1f} ms "
          f"({grid['points_per_second']:.3g} point-thresholds/s)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / ("scale-quick.json" if args.quick else "scale.json")).write_text(
        json.dumps({"seq": seq, "meta": rows, "grid": grid, "self_rss": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss}, indent=2))


if __name__ == "__main__":
    main()
