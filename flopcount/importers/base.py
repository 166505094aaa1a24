"""What every importer returns (`Imported`) and how one is registered (`Importer`): the
importers import these from here, not from the package, so the package can import them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass
class Imported:
    plan: dict[str, Any]
    trace: dict[str, str] = field(default_factory=dict)   # plan field -> the key it came from
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Importer:
    name: str
    sniff: Callable[[Path], bool]
    read: Callable[..., Imported]
