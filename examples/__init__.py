"""The bundled example configs and run plans, installed with flopcount as package data
(`flopcount.examples`), so notebooks and scripts find them from any folder:

    from flopcount.examples import path
    load_spec(path("configs/llama-3.1-8b.json"))
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def path(name: str) -> Path:
    """The installed file `name` (e.g. "plans/gpt3-175b.yaml"); an error names what exists."""
    found = resources.files(__name__).joinpath(name)
    if not found.is_file():
        kinds = ", ".join(sorted(p.name for p in resources.files(__name__).iterdir() if p.is_dir()))
        raise FileNotFoundError(f"no bundled example {name!r} (folders: {kinds})")
    return Path(str(found))
