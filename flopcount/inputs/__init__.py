"""What a user hands flopcount, turned into one `Plan`.

- `plan`: run plans (phases, hardware, base model) and their reader;
- the importers (`flopcount.importers`) read each framework's recipes and finished runs
  into the same `Plan`.
"""
