"""The Model Documentation Form's compute items, as plain data with their source.

Source: General-Purpose AI Code of Practice (published 10 July 2025), Transparency
chapter, Model Documentation Form, items "Training time", "Amount of computation used for
training", "Energy consumption" and "Benchmarked amount of computation used for
inference"; read in the field-by-field transcription of the form (dataset
AdrianGonzalezSanchez/GPAI on Hugging Face, "ComputationalResources" and
"EnergyConsumption") and in ../shared/domain.md. The ranges below are the form's choices
for national competent authorities; wall-clock and hardware days go to the AI Office.
"""
from __future__ import annotations

FORM = "GPAI Code of Practice (10 July 2025), Transparency chapter, Model Documentation Form"

#: Training time as the form's range for national authorities: (label, upper bound in
#: months, inclusive; None = open). "<1 month" is strictly under one month.
TRAINING_TIME_RANGES: tuple[tuple[str, float | None], ...] = (
    ("<1 month", 1),
    ("1–3 months", 3),
    ("3–6 months", 6),
    (">6 months", None),
)

#: Days per month when a duration in days is put in the form's ranges: the Gregorian mean
#: (365.25 / 12), since the form gives ranges in months, not days.
DAYS_PER_MONTH = 365.25 / 12

#: Significant figures the form asks for compute, energy and parameters ("at least two").
SIGNIFICANT_FIGURES = 2

#: What the form accepts when energy cannot be known (e.g. the compute provider does not
#: disclose it): the item is answered as not available, with the reason.
ENERGY_NOT_AVAILABLE = "not available"
