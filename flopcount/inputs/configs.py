"""A model config as a user gives it -> `ModelSpec`, with the measured fallback.

`flopcount.model.configs` reads every format through the per-architecture readers and knows
nothing of measuring; here an architecture no reader knows is handed to transformers on the
meta device (`flopcount.measure.fallback`, needs the `measure` extra) unless `fallback` is
false. This is the one place the two meet, so the model layer never imports the measured one.
"""
from __future__ import annotations

from pathlib import Path

from ..model.configs import (FOLDER_FILES, MLP_KINDS, NATIVE_KEY, READERS, config_file, load_spec as _load_spec,
                             spec_from_mapping as _spec_from_mapping)
from ..model.spec import ModelSpec


def _measured(data: dict, source: str | None, label: str) -> ModelSpec:
    """The measured fallback, imported when first needed: it pulls in torch, which importing
    flopcount must not."""
    from ..measure.fallback import spec_from_transformers
    return spec_from_transformers(data, source, label)


def spec_from_mapping(data: dict, source: str | None = None, name: str | None = None, *,
                      fallback: bool = True) -> ModelSpec:
    """A `ModelSpec` from a parsed config mapping (HF config.json or flopcount spec); an HF
    `model_type` without a reader is built by transformers on meta when `fallback` is true."""
    return _spec_from_mapping(data, source, name, fallback=_measured if fallback else None)


def load_spec(path: str | Path, name: str | None = None, *, fallback: bool = True) -> ModelSpec:
    """Read a model config: an HF config.json, a snapshot folder holding one, or a flopcount
    spec file (JSON or YAML); an unknown architecture as `spec_from_mapping` says."""
    return _load_spec(path, name, fallback=_measured if fallback else None)


__all__ = ["FOLDER_FILES", "MLP_KINDS", "NATIVE_KEY", "READERS", "config_file", "load_spec", "spec_from_mapping"]
