"""Legal compute thresholds, one row each, with article, source, and dates.

`quantity` says which compute the line is measured against:
- "training": compute directly contributing to parameter updates (Commission Guidelines
  C(2025) 5045, Annex A.1), used for the GPAI criterion and the modification rule;
- "cumulative": all compute that contributed to the model's capabilities (ibid.), used for
  the systemic-risk presumption; California SB 53 also counts every later modification;
- "modification": the modifier's own training compute, against a fraction of the base's;
- "training_lineage": the original training run plus later fine-tuning, RL and other
  modifications (California SB 53: not synthetic-data generation or merged weights as such).
All lines are strict ("greater than"), as the texts say. A delegated act changing a line
(AI Act Art. 51(3)) or the fallback bases is a change to one row here.

Guidelines paragraph numbers (¶30, ¶62–64, ¶70) are those of C(2025) 5045 final of
18 July 2025, the Commission's approval of the content of the Guidelines. Checked on
2026-11-23 in the sources reachable here (the text as republished by project-babel.com,
digitalpolicyalert.org's entry, press coverage): no later version with renumbered points
was found; a reader with a later Official Journal version should re-check the citations.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Threshold:
    id: str
    jurisdiction: str           # "EU" rows bind only the provider (flopcount.law.lines.binds)
    title: str
    flop: int | None            # the line in FLOP; None when relative (modification rule)
    quantity: str               # "training" | "cumulative" | "modification"
    instrument: str
    provision: str
    cite: str                   # short citation for tables
    source: str                 # where the number is written
    adopted: str                # ISO date of the instrument
    applies_from: str | None    # ISO date the obligation applies from
    status: str                 # "in force" | "revoked" | "guidance"
    notify_days: int | None = None  # deadline to notify once met or known to be met
    verified: bool = True
    note: str = ""
    indicative: bool = False    # a presumption the texts call indicative, not a bright line


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        id="eu-gpai", jurisdiction="EU", title="EU AI Act: general-purpose AI model (indicative criterion)",
        flop=10**23, quantity="training",
        instrument="Commission Guidelines on the scope of GPAI obligations, C(2025) 5045",
        cite="Guidelines §2.1", provision="Section 2.1 (indicative criterion: > 10^23 FLOP and generates text, audio, images or video)",
        source="https://digital-strategy.ec.europa.eu/en/library/guidelines-scope-obligations-providers-general-purpose-ai-models-under-ai-act",
        adopted="2025-07-18", applies_from="2025-08-02", status="guidance",
        note="Applies only to models that can generate language (text/audio), images or video.", indicative=True),
    Threshold(
        id="eu-systemic-risk", jurisdiction="EU", title="EU AI Act: GPAI model with systemic risk (presumption)",
        flop=10**25, quantity="cumulative",
        instrument="Regulation (EU) 2024/1689 (AI Act)", cite="AI Act Art. 51(2), 52(1)", provision="Art. 51(2); notification Art. 52(1)",
        source="https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
        adopted="2024-06-13", applies_from="2025-08-02", status="in force", notify_days=14,
        note="Notify the Commission within two weeks of the threshold being met or of it becoming "
             "known that it will be met (Art. 52(1)). The Commission may amend it (Art. 51(3))."),
    Threshold(
        id="eu-modification", jurisdiction="EU", title="EU AI Act: modifier becomes provider (one-third rule)",
        flop=None, quantity="modification",
        instrument="Commission Guidelines on the scope of GPAI obligations, C(2025) 5045",
        cite="Guidelines §3.2", provision="Section 3.2 (modification > 1/3 of the original model's training compute)",
        source="https://digital-strategy.ec.europa.eu/en/library/guidelines-scope-obligations-providers-general-purpose-ai-models-under-ai-act",
        adopted="2025-07-18", applies_from="2025-08-02", status="guidance",
        note="Obligations then cover only the modification (Recital 109)."),
    Threshold(
        id="us-eo-14110", jurisdiction="US", title="US Executive Order 14110: dual-use foundation model reporting",
        flop=10**26, quantity="cumulative",
        instrument="Executive Order 14110", cite="EO 14110 §4.2(b)", provision="Sec. 4.2(b)(i)",
        source="https://www.federalregister.gov/d/2023-24283",
        adopted="2023-10-30", applies_from=None, status="revoked",
        note="Revoked on 2025-01-20; kept for history."),
    Threshold(
        id="ca-sb53", jurisdiction="US-CA", title="California SB 53: frontier model",
        flop=10**26, quantity="training_lineage",
        instrument="California SB 53, Transparency in Frontier Artificial Intelligence Act",
        cite="SB 53, B&P §22757.11", provision="Bus. & Prof. Code §22757.11 (original run plus fine-tuning, RL and other modifications)",
        source="https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=202520260SB53",
        adopted="2025-09-29", applies_from="2026-01-01", status="in force",
        note="Stats. 2025, ch. 138, operative 1 Jan 2026. Counts the original training run plus subsequent "
             "fine-tuning, reinforcement learning or other material modifications (§22757.11); from 2027 the "
             "Department of Technology reviews the definition every year (§22757.14)."),
    Threshold(
        id="ny-raise", jurisdiction="US-NY", title="New York RAISE Act: frontier model",
        flop=10**26, quantity="training_lineage",
        instrument="New York Responsible AI Safety and Education (RAISE) Act, Gen. Bus. Law art. 44-B §§1420-1429 "
                   "as replaced by the chapter amendment S.8828/A.9449 (ch. 96 of 2026)",
        cite="NY RAISE Act",
        provision="Gen. Bus. Law §1420 ff. (frontier model: > 10^26 operations)",
        source="https://www.nysenate.gov/legislation/laws/GBS/1421",
        adopted="2026-03-27", applies_from="2027-01-01", status="enacted", verified=False,
        note="The bill signed 19 Dec 2025 (S6953-B/A6453-B) was replaced before it took effect by the chapter "
             "amendment signed 27 Mar 2026, effective 1 Jan 2027, which moves toward SB 53's definitions; the "
             "amended text is cited here, not the bill's. A $100M compute-cost test reported secondhand was not "
             "found in the enacted text read (data.obligations NY_VERIFIED) and is not applied."),
)

#: Chapter V (GPAI obligations) applies from this date (AI Act Art. 113(b)); a notification
#: duty cannot fall due before it.
CHAPTER_V_APPLIES = "2025-08-02"
#: Models placed on the market before CHAPTER_V_APPLIES comply by this date (Art. 111(3)).
LEGACY_COMPLIANCE = "2027-08-02"
#: Output modalities of the indicative GPAI criterion: language (text or audio),
#: text-to-image, text-to-video (Guidelines C(2025) 5045 §2.1).
GPAI_MODALITIES = frozenset({"text", "audio", "image", "video"})
#: Modalities a plan or the CLI may state ("other": e.g. classification or embeddings).
MODALITIES = ("text", "audio", "image", "video", "other")

#: The one-third modification rule (Guidelines §3.2): fraction of the base model's
#: training compute, and the fallbacks when that compute is unknown.
MODIFICATION_FRACTION = Fraction(1, 3)
MODIFICATION_FALLBACK_BASE = {"systemic-risk": 10**25, "gpai": 10**23}
#: Kinds of work (data.phases) that start from an already trained model. Estimated alone
#: (one phase from the command line), such work is a modification of that base model
#: (Guidelines §3.2: fine-tuning and other modifications), judged by the one-third rule,
#: with the fallback line while the base's compute is not given.
MODIFICATION_KINDS = frozenset({"fine-tuning", "continued-pre-training", "rl"})

BY_ID = {t.id: t for t in THRESHOLDS}
