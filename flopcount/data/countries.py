"""ISO 3166-1 alpha-2 country codes and the EU member states (Art. 54 AI Act: a provider
"established in a third country" is one not established in a member state).

Sources: ISO 3166-1 alpha-2 officially assigned codes, ISO Online Browsing Platform
(https://www.iso.org/obp/ui/#search/code/), 249 codes; EU members: the 27 member states
listed at https://european-union.europa.eu/principles-countries-history/eu-countries_en
(Greece is GR in ISO 3166-1; the EU's own "EL" is accepted as an alias). The two
US states whose statutes flopcount reads are ISO 3166-2 subdivisions (US-CA, US-NY).
"""
from __future__ import annotations

ISO_3166_1_ALPHA2 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())

#: The 27 EU member states (ISO codes).
EU_MEMBERS = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())

#: Codes people write that mean an ISO code: the EU's own code for Greece, the UK's common one.
ALIASES = {"EL": "GR", "UK": "GB"}

#: Where a model may be made available, for `deploys:` (regimes flopcount assesses):
#: "EU" (the Union market, AI Act), "CA" (California, SB 53), "NY" (New York, RAISE Act).
DEPLOY_REGIONS = ("EU", "CA", "NY")
