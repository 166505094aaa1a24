"""Shared helpers: build transformers models from the repo's configs on the meta device.

Nothing is downloaded: every model comes from a config file shipped in the repo, built on
`torch.device("meta")` (shapes only, no memory), so real-size configs are cheap.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIGS = sorted((ROOT / "examples" / "configs").glob("*.json"))
TEST_CONFIGS = sorted((ROOT / "tests" / "configs").glob("*.json"))
ALL_CONFIGS = EXAMPLE_CONFIGS + TEST_CONFIGS


def hf_model(path: Path):
    """The transformers model flopcount's counts refer to — the class the config's
    `architectures` names (else the causal / masked LM class) — built on meta."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from flopcount.measure.hf import build_from_mapping
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_from_mapping(json.loads(path.read_text()), str(path), attn_implementation="eager")




def is_moe(path: Path) -> bool:
    from flopcount.model.configs import load_spec
    return load_spec(path).is_moe


@pytest.fixture(scope="session")
def postgres_server():
    from _postgres import Server
    server = Server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_location(request, tmp_path):
    """Where a test's ledger lives: an SQLite file, or a fresh database on the suite's own
    PostgreSQL server (skipped, with the reason, where none can be started)."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    server = request.getfixturevalue("postgres_server")
    if server.skip_reason:
        pytest.skip(server.skip_reason)
    return server.database()
