"""Counting a run's compute: the analytic and hardware methods and what they share.

- `estimate`: a model and tokens -> FLOP by each method, with uncertainty;
- `hardware`: accelerators × time × peak × utilisation, from the accelerator table;
- `energy`: accelerator energy from TDP and time;
- `grid`: the same lines over whole grids of (parameters, tokens), for planning charts;
- `fallback`: an architecture no reader knows, measured on the meta device.

The measured method is `flopcount.measure`; the formulas are `flopcount.model.formulas`.
Convention everywhere: 1 multiply-add = 2 FLOP.
"""
