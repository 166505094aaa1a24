"""The law engine: what a model's provider owes under each regime, decided once.

`assess(summary, facts, as_of)` is pure; `summarise(result)` (flopcount.law.summary)
turns an estimate into the summary. Not legal advice: the project's readings of the
texts, each with its provision, and both readings where the texts admit two.
"""
from .assess import assess
from .compute import ComputeSummary
from ..inputs.facts import Facts, Provider, Release
from .result import Duty, Obligations

__all__ = ["assess", "ComputeSummary", "Facts", "Provider", "Release", "Duty", "Obligations"]
