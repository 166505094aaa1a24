"""What each regime asks of a model's provider: dates, lines, provisions, and the facts
the open-source exemption turns on. One row per constant, with its source beside it.

Lines and the dates already in `data.thresholds` are imported from there, never copied.
Primary texts (each constant below names its provision):
- AI Act, Regulation (EU) 2024/1689: https://eur-lex.europa.eu/eli/reg/2024/1689/oj
- Commission Guidelines on the scope of GPAI obligations, C(2025) 5045 (18 Jul 2025):
  GUIDELINES below. Sections are cited, not paragraph numbers (their numbering differs
  between the July text and the adopted C(2025) 7719 version).
- California SB 53, Bus. & Prof. Code §22757.10 ff. (Stats. 2025, ch. 138): CA_SOURCE.
- New York RAISE Act, Gen. Bus. Law art. 44-B §§1420–1429 as replaced by the chapter
  amendment S.8828/A.9449 (ch. 96 of 2026, signed 27 Mar 2026): NY_SOURCE.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .thresholds import BY_ID as THRESHOLD, CHAPTER_V_APPLIES, LEGACY_COMPLIANCE

EUR_LEX = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
GUIDELINES = ("https://digital-strategy.ec.europa.eu/en/library/"
              "guidelines-scope-obligations-providers-general-purpose-ai-models-under-ai-act")
CA_SOURCE = "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=202520260SB53"
NY_SOURCE = "https://www.nysenate.gov/legislation/laws/GBS/1421"

# --- EU dates --------------------------------------------------------------------------
#: Chapter V applies (Art. 113(b)); imported from data.thresholds.
CHAPTER_V_DATE = dt.date.fromisoformat(CHAPTER_V_APPLIES)
#: Models placed on the market before CHAPTER_V_DATE comply by this date (Art. 111(3)).
LEGACY_DATE = dt.date.fromisoformat(LEGACY_COMPLIANCE)
#: The Commission's fines on GPAI providers (Art. 101) apply from 2 Aug 2026: Art. 113(b)
#: brings Chapter V forward to 2 Aug 2025 "with the exception of Article 101".
ENFORCEMENT_DATE = dt.date(2026, 8, 2)
#: Art. 52(1): notify "without delay and in any event within two weeks".
NOTIFY_DAYS = THRESHOLD["eu-systemic-risk"].notify_days
#: The lines, from data.thresholds: indicative GPAI criterion, systemic-risk presumption.
GPAI_LINE = THRESHOLD["eu-gpai"].flop
SYSTEMIC_LINE = THRESHOLD["eu-systemic-risk"].flop


@dataclass(frozen=True)
class DutyRow:
    key: str          # JSON key
    title: str        # what is owed, in a few words
    provision: str
    source: str


EU_DUTIES = (
    DutyRow("art53_1a", "technical documentation (Annex XI)", "Art. 53(1)(a), Annex XI", EUR_LEX),
    DutyRow("art53_1b", "information for downstream providers (Annex XII)", "Art. 53(1)(b), Annex XII", EUR_LEX),
    DutyRow("art53_1c", "policy to comply with Union copyright law", "Art. 53(1)(c)", EUR_LEX),
    DutyRow("art53_1d", "public summary of the training content", "Art. 53(1)(d)", EUR_LEX),
    DutyRow("art54", "authorised representative in the Union", "Art. 54(1), 54(6)", EUR_LEX),
    DutyRow("art55", "evaluation, risk mitigation, incidents, cybersecurity", "Art. 55(1)(a)-(d)", EUR_LEX),
)
#: Duties the free and open-source exemption lifts (Art. 53(2): points (a) and (b) of
#: Art. 53(1); Art. 54(6): the authorised representative), never for systemic risk.
OPEN_SOURCE_LIFTS = frozenset({"art53_1a", "art53_1b", "art54"})

# --- The open-source exemption (Art. 53(2), 54(6); Recitals 102-104; Guidelines §4) ---
#: Ways of monetising that take a model outside the exemption (Guidelines §4; Recital 103:
#: a price, paid licences for commercial use or dual licensing, paid support required for
#: use, ads, personal data as a condition of access). "none" states that there are none.
MONETISATION = ("none", "paid-licence", "dual-licence", "paid-support-required", "ads", "personal-data")


@dataclass(frozen=True)
class Restriction:
    id: str
    disqualifies: bool
    why: str


#: Licence terms: the exemption needs a licence that "allows for the access, usage,
#: modification, and distribution of the model" (Art. 53(2)); Guidelines §4 read it as
#: admitting attribution and same-terms conditions only.
RESTRICTIONS = {r.id: r for r in (
    Restriction("attribution", False, "attribution only: allowed (Guidelines §4)"),
    Restriction("share-alike", False, "same terms for derivatives: allowed (Guidelines §4)"),
    Restriction("non-commercial", True, "limits usage to non-commercial use (Art. 53(2); Guidelines §4)"),
    Restriction("research-only", True, "limits usage to research (Art. 53(2); Guidelines §4)"),
    Restriction("field-of-use", True, "limits the fields it may be used in (Art. 53(2); Guidelines §4)"),
    Restriction("user-threshold", True, "needs a separate licence above a number of users (Art. 53(2); "
                                        "Guidelines §4)"),
    Restriction("no-derivatives", True, "forbids modification (Art. 53(2): must allow modification)"),
)}


@dataclass(frozen=True)
class Licence:
    spdx: str
    free: bool                          # OSI-approved or FSF free, per the SPDX licence list
    restrictions: tuple[str, ...] = ()  # terms of RESTRICTIONS it carries
    source: str = "https://spdx.org/licenses/"


#: Licences recognised by SPDX id (case-insensitive). A licence not here is not judged:
#: the exemption is then `not_stated` (give its SPDX id), never granted.
LICENCES = {lic.spdx.lower(): lic for lic in (
    Licence("Apache-2.0", True), Licence("MIT", True), Licence("BSD-2-Clause", True),
    Licence("BSD-3-Clause", True), Licence("ISC", True), Licence("Unlicense", True), Licence("0BSD", True),
    Licence("MPL-2.0", True, ("share-alike",)), Licence("GPL-2.0-only", True, ("share-alike",)),
    Licence("GPL-3.0-only", True, ("share-alike",)), Licence("GPL-3.0-or-later", True, ("share-alike",)),
    Licence("LGPL-3.0-only", True, ("share-alike",)), Licence("AGPL-3.0-only", True, ("share-alike",)),
    Licence("CC0-1.0", True), Licence("CC-BY-4.0", True, ("attribution",)),
    Licence("CC-BY-SA-4.0", True, ("attribution", "share-alike")),
    Licence("OpenMDW-1.0", True, ("attribution",), "https://openmdw.ai/license/"),
    Licence("CC-BY-NC-4.0", False, ("attribution", "non-commercial")),
    Licence("CC-BY-NC-SA-4.0", False, ("attribution", "non-commercial", "share-alike")),
    Licence("CC-BY-ND-4.0", False, ("attribution", "no-derivatives")),
    Licence("CC-BY-NC-ND-4.0", False, ("attribution", "non-commercial", "no-derivatives")),
    Licence("OpenRAIL-M", False, ("field-of-use",), "https://www.licenses.ai/blog/2022/8/26/bigscience-open-rail-m-license"),
    Licence("llama3.1", False, ("user-threshold", "field-of-use"),
            "https://www.llama.com/llama3_1/license/ (§2: 700 million monthly active users; acceptable use policy)"),
)}

# --- California SB 53 (Bus. & Prof. Code §22757.10 ff.) -------------------------------
#: Frontier model: > 10^26 operations incl. later fine-tuning, RL, material modifications
#: (§22757.11); imported from data.thresholds.
FRONTIER_LINE = THRESHOLD["ca-sb53"].flop
#: Operative date (Stats. 2025, ch. 138).
CA_EFFECTIVE = dt.date.fromisoformat(THRESHOLD["ca-sb53"].applies_from)
#: Large frontier developer: with affiliates, annual gross revenues above $500,000,000 in
#: the preceding calendar year (§22757.11).
LARGE_REVENUE_USD = 500_000_000
#: Critical safety incidents: to the Office of Emergency Services within 15 days of
#: discovery (§22757.13(c)(1)); within 24 hours to an appropriate authority when there
#: is an imminent risk of death or serious physical injury (§22757.13(c)(2)).
CA_INCIDENT_DAYS = 15
IMMINENT_HOURS = 24

# --- New York RAISE Act (GBL art. 44-B §§1420-1429, ch. 96 of 2026) --------------------
NY_FRONTIER_LINE = THRESHOLD["ny-raise"].flop
NY_EFFECTIVE = dt.date(2027, 1, 1)   # ch. 96 of 2026: takes effect 1 Jan 2027
#: Critical safety incidents to the DFS office within 72 hours (§1422); 24 hours to law
#: enforcement for an imminent risk of death or serious injury (§1422).
NY_INCIDENT_HOURS = 72
#: Large frontier developer: > $500M revenue in the preceding calendar year, as SB 53
#: (§1420). Secondary sources also report a $100M compute-cost test; it was not found in
#: the enacted text read (S.8828 as rendered by filings.nysgpt.com): unverified, not applied.
NY_LARGE_REVENUE_USD = LARGE_REVENUE_USD
NY_VERIFIED = False


@dataclass(frozen=True)
class StateDuty:
    key: str
    title: str
    provision: str
    large_only: bool      # only large frontier developers owe it
    when: str             # the deadline as the statute writes it


CA_DUTIES = (
    StateDuty("framework", "publish a frontier AI framework, review it yearly", "§22757.12(a)-(b)", True,
              "publish and keep current (reviewed at least once a year)"),
    StateDuty("transparency_report", "publish a transparency report", "§22757.12(c)", False,
              "before, or concurrently with, deploying a new or substantially modified frontier model"),
    StateDuty("internal_risk_summary", "summaries of internal-use catastrophic-risk assessments to OES",
              "§22757.12(d)", True, "every three months, or on another reasonable schedule communicated to OES"),
    StateDuty("incident_reports", "report critical safety incidents to OES", "§22757.13(c)", False,
              f"within {CA_INCIDENT_DAYS} days of discovery; {IMMINENT_HOURS} hours for imminent risk of death or "
              "serious physical injury"),
)
NY_DUTIES = (
    StateDuty("framework", "publish a frontier AI framework, review it yearly", "GBL §1421(1)-(2)", True,
              "publish and keep current (reviewed at least once a year)"),
    StateDuty("transparency_report", "publish a transparency report", "GBL §1421(3)", False,
              "before deploying a new or substantially modified frontier model"),
    StateDuty("incident_reports", "report critical safety incidents to the DFS office", "GBL §1422", False,
              f"within {NY_INCIDENT_HOURS} hours; {IMMINENT_HOURS} hours to law enforcement for imminent risk"),
    StateDuty("internal_risk_summary", "summaries of internal-use catastrophic-risk assessments", "GBL §1422",
              True, "every three months"),
    StateDuty("disclosure_statement", "file a large frontier developer disclosure statement", "GBL §1428", True,
              "file with the DFS office, renewed every two years"),
)
