"""Scale: time and peak memory to measure per-token training FLOP of real-size configs on
the meta device (1B → 671B), each in a fresh process; the transformers fallback (the path
for a model_type no reader knows) on DeepSeek-V3's 671B config; `flopcount estimate` wall
time on every bundled config, with torch never imported; and the throughput of vectorised
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
CONFIGS = ["pythia-1.4b", "llama-3.1-8b", "mixtral-8x7b", "falcon-40b", "gpt3-175b", "llama-3.1-405b", "deepseek-v3"]
FALLBACK = "deepseek-v3"  # 671B: the largest bundled config, built by transformers on meta
CHILD_FALLBACK = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from flopcount.model.configs import load_spec
from flopcount.measure.fallback import spec_from_transformers
from flopcount.model.formulas import training_flops
path, seq = Path(sys.argv[1]), int(sys.argv[2])
spec = spec_from_transformers(json.loads(path.read_text()), str(path), path.stem)
per_token = training_flops(spec, seq).total / seq
t1 = time.perf_counter()
reader = training_flops(load_spec(path), seq).total / seq
print(json.dumps({"per_token": per_token, "reader_per_token": reader, "seconds": t1 - t0,
                  "params": spec.towers[-1].head[0].total,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
CHILD_ESTIMATE = """
import contextlib, io, sys, time
t0 = time.perf_counter()
from flopcount.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["estimate", sys.argv[1], "--tokens", "1e12"])
print(code, "torch" in sys.modules, time.perf_counter() - t0)
"""
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


def fallback(name: str, seq: int) -> dict:
    path = ROOT / "examples" / "configs" / f"{name}.json"
    out = subprocess.run([sys.executable, "-c", CHILD_FALLBACK, str(path), str(seq)], capture_output=True, text=True,
                         check=True)
    return {"config": name, **json.loads(out.stdout.strip().splitlines()[-1])}


def estimate_times() -> list[dict]:
    """Wall time of a fresh `python -m flopcount estimate CONFIG` (interpreter start
    included) and, in-process, whether torch got imported."""
    rows = []
    for path in sorted((ROOT / "examples" / "configs").glob("*.json")):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flopcount", "estimate", str(path), "--tokens", "1e12"],
                       capture_output=True, check=True)
        wall = time.perf_counter() - start
        code, torch_loaded, _ = subprocess.run([sys.executable, "-c", CHILD_ESTIMATE, str(path)], capture_output=True,
                                               text=True, check=True).stdout.split()
        rows.append({"config": path.stem, "wall_s": wall, "exit": int(code), "torch_imported": torch_loaded == "True"})
    return rows


def grid_throughput(n: int) -> dict:
    import numpy as np

    from flopcount.count.grid import crossed_grid
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
    fb = fallback(CONFIGS[0] if args.quick else FALLBACK, seq)
    print(f"\nFallback (no reader: transformers builds the model on meta) on {fb['config']}, T={seq}: "
          f"{fb['params']:,} parameters, {fb['seconds']:.1f} s, peak RSS {fb['peak_rss_mib']:.0f} MiB; "
          f"FLOP/token {fb['per_token']:,.0f} = {fb['per_token'] / fb['reader_per_token']:.4f} × the reader's")
    times = [] if args.quick else estimate_times()
    if times:
        slow = max(times, key=lambda r: r["wall_s"])
        print(f"`flopcount estimate` on all {len(times)} bundled configs, fresh process each: median "
              f"{sorted(r['wall_s'] for r in times)[len(times) // 2]:.2f} s, slowest {slow['wall_s']:.2f} s "
              f"({slow['config']}); torch imported in {sum(r['torch_imported'] for r in times)}")
    grid = grid_throughput(200 if args.quick else 1000)
    print(f"\nPlanning grid {grid['grid']} × {grid['thresholds']} thresholds: {grid['seconds'] * 1e3:.1f} ms "
          f"({grid['points_per_second']:.3g} point-thresholds/s)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / ("scale-quick.json" if args.quick else "scale.json")).write_text(
        json.dumps({"seq": seq, "meta": rows, "fallback": fb, "estimate": times, "grid": grid, "self_rss": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss}, indent=2))


if __name__ == "__main__":
    main()
