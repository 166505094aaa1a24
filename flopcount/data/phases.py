"""How each kind of work counts, per the Commission Guidelines C(2025) 5045, Annex A.1.

training:   directly contributes to parameter updates (GPAI criterion, modification rule)
cumulative: contributed or will contribute to the model's capabilities (systemic risk)
Work that is neither is recorded but counted in no total.
"""
from __future__ import annotations

from dataclasses import dataclass

GUIDELINES_A1 = "Commission Guidelines C(2025) 5045, Annex A.1"


@dataclass(frozen=True)
class PhaseKind:
    id: str
    training: bool
    cumulative: bool
    generates: bool  # forward-only work (generation), costed as inference
    source: str
    note: str


PHASE_KINDS: tuple[PhaseKind, ...] = (
    PhaseKind("pre-training", True, True, False, GUIDELINES_A1, "Updates parameters."),
    PhaseKind("continued-pre-training", True, True, False, GUIDELINES_A1, "Updates parameters."),
    PhaseKind("fine-tuning", True, True, False, GUIDELINES_A1, "Full, frozen or LoRA; updates parameters."),
    PhaseKind("rl", True, True, False, GUIDELINES_A1, "Reinforcement learning updates parameters."),
    PhaseKind("synthetic-data", False, True, True, GUIDELINES_A1,
              "Forward passes generating non-public synthetic data count toward cumulative compute, "
              "including samples later discarded."),
    PhaseKind("synthetic-data-public", False, False, True, GUIDELINES_A1,
              "Generating publicly accessible synthetic data need not be included."),
    PhaseKind("merged-weights", False, True, False, GUIDELINES_A1,
              "Training compute behind merged or averaged weights counts toward cumulative compute."),
    PhaseKind("initialising-weights", False, True, False, GUIDELINES_A1,
              "Training compute behind weights used for initialisation counts toward cumulative compute."),
    PhaseKind("evaluation", False, False, True, GUIDELINES_A1, "Evaluations and red-teaming need not be included."),
    PhaseKind("distillation-teacher", False, False, False, GUIDELINES_A1,
              "Training a teacher model for distillation need not be included."),
    PhaseKind("auxiliary-model", False, False, False, GUIDELINES_A1,
              "Reward, value and other auxiliary models need not be included."),
    PhaseKind("exploratory-research", False, False, False, GUIDELINES_A1,
              "Exploratory research and discarded experiments need not be included."),
    PhaseKind("activation-recomputation", False, False, False, GUIDELINES_A1,
              "Recomputing activations to save memory (checkpointing) need not be included."),
)

BY_ID = {k.id: k for k in PHASE_KINDS}
