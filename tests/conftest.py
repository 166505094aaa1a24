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
    """The transformers model flopcount's counts refer to, built on meta with eager attention."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data = json.loads(path.read_text())
    model_type = data.pop("model_type")
    config = transformers.AutoConfig.for_model(model_type, **data)
    auto = transformers.AutoModelForMaskedLM if model_type == "bert" else transformers.AutoModelForCausalLM
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        return auto.from_config(config, attn_implementation="eager")


def is_moe(path: Path) -> bool:
    data = json.loads(path.read_text())
    return data["model_type"] in ("mixtral", "qwen2_moe")
