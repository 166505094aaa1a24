"""Published training runs, for planning charts: parameters N, tokens D, reported FLOP."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedRun:
    name: str
    params: float
    tokens: float
    flop: float | None  # as reported, where the authors report it
    source: str


PUBLISHED_RUNS: tuple[PublishedRun, ...] = (
    PublishedRun("GPT-3 175B", 175e9, 300e9, 3.14e23, "Brown et al. 2020, Table D.1"),
    PublishedRun("Chinchilla 70B", 70e9, 1.4e12, 5.76e23, "Hoffmann et al. 2022, Table 3"),
    PublishedRun("Llama 2 7B", 6.74e9, 2e12, None, "Touvron et al. 2023, Table 1"),
    PublishedRun("Llama 2 70B", 70e9, 2e12, None, "Touvron et al. 2023, Table 1"),
    PublishedRun("Llama 3.1 8B", 8.03e9, 15e12, None, "Llama 3 model card (Meta 2024)"),
    PublishedRun("Llama 3.1 405B", 405e9, 15.6e12, 3.8e25, "The Llama 3 Herd of Models (Meta 2024)"),
)
