"""Compute records as a pipeline of pure section builders.

- `phases`: a record's phases as counted (from a plan, a ledger, or a record's own rows),
  and the one merge of a ledger's phases into a plan's;
- `sections`: one pure function per derived section (phase rows, hardware rows, totals,
  energy, thresholds, modification rule, training time, methods, parameters, ...);
- `pipeline`: `Inputs` (everything a record states but does not derive) and `assemble`,
  which calls the section builders in order;
- `checking`: `check` reads the `Inputs` back from a record (and its ledger), assembles
  them with the same builders and names the first field that differs.

The public API stays in `flopcount.records.record` (`build`, `check`, `validate`, ...).
"""
