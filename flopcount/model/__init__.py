"""What a model is, as arithmetic: a `ModelSpec` of towers of layer groups of blocks.

- `blocks`: the block registry (attention variants, MLPs, experts, SSM mixers, ...),
  each block carrying its own parameter and FLOP-per-token formulas;
- `spec`: `ModelSpec` and parameter counts;
- `configs`: a config file (HF `config.json` or flopcount's spec file) -> `ModelSpec`,
  through the per-architecture `readers`.

No counting of runs, no law: those sit above (`flopcount.count`, `flopcount.law`).
"""
