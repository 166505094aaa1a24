"""The input boundary: what every file and flag passes through before it is believed.

- `errors`: `InputError`, the one clear line (file, field, what was expected) a user sees;
- `strict`: parsing that refuses what JSON/YAML would silently accept (duplicate keys, NaN);
- `fields`: typed, named reads of a parsed mapping (`Fields.count`, `.date`, ...);
- `numbers`: exact FLOP and token quantities (`10^25`, `15T`) and their one display form.

Imports nothing of flopcount but `flopcount.data`.
"""
