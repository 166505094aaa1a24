"""Benchmarks: side-by-side measurements printed as ratios in one run (see README)."""
