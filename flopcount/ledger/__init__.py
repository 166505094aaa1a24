"""The compute ledger: append-only rows in a hash chain, signed with the provider's key,
with heads that can be witnessed outside it. SQLite (one machine) or PostgreSQL (shared).

What each mechanism detects, and what none can, is tabled in the README ("Tamper
evidence") and tested attack by attack in tests/test_attacks.py.
"""
from .base import Ledger, Verification, is_postgres
from . import postgres, sqlite  # noqa: F401  (the backends register themselves with Ledger)
from .checkpoint import Checkpoint
from .keys import Key, load_key
from .rows import GENESIS, ROW_KINDS, Row, chain_hash, counted_rows, process_tag

__all__ = ["Checkpoint", "GENESIS", "Key", "Ledger", "ROW_KINDS", "Row", "Verification", "chain_hash",
           "counted_rows", "is_postgres", "load_key", "process_tag"]
