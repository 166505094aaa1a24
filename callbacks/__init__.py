"""Training-framework adapters, imported as `flopcount.callbacks` (never `callbacks`).

Each adapter is a thin module mapping one framework's hooks onto the framework-free core
in `flopcount`; each imports its framework lazily so the core never needs it.
"""
