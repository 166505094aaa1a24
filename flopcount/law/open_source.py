"""The free and open-source exemption (Art. 53(2), Art. 54(6); Recitals 102-104;
Guidelines §4), checked condition by condition from stated facts. A condition the plan
does not state is never taken as met: the result is then `not_stated`, naming the fields."""
from __future__ import annotations

import datetime as dt

from ..data.obligations import LICENCES, RESTRICTIONS
from ..inputs.facts import Release

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"


def licence_check(release: Release) -> tuple[str, str]:
    """A licence allowing access, usage, modification and distribution (Art. 53(2)), with no
    restriction beyond attribution or same terms (Guidelines §4)."""
    if release.licence is None:
        return UNKNOWN, "release.licence"
    known = LICENCES.get(release.licence.strip().lower())
    terms = (known.restrictions if known else ()) + (release.restrictions or ())
    bad = [RESTRICTIONS[t] for t in dict.fromkeys(terms) if RESTRICTIONS[t].disqualifies]
    if bad:
        return FAIL, f"licence {release.licence}: {bad[0].id}, which {bad[0].why}"
    if known is None:
        return UNKNOWN, f"release.licence (an SPDX id flopcount knows; {release.licence!r} is not judged)"
    if not known.free:
        return FAIL, f"licence {known.spdx} is not a free and open-source licence (Art. 53(2))"
    return OK, f"{known.spdx}"


def monetisation_check(release: Release) -> tuple[str, str]:
    """No price, paid or dual licence, required paid support, ads, or personal data as a
    condition of access (Guidelines §4; Recital 103)."""
    ways = [w for w in (release.monetised or ()) if w != "none"]
    if release.personal_data_for_access:
        ways.append("personal-data")
    if ways:
        return FAIL, f"monetised ({', '.join(dict.fromkeys(ways))}): Guidelines §4, Recital 103"
    missing = [n for n, v in (("release.monetised", release.monetised),
                              ("release.personal_data_for_access", release.personal_data_for_access)) if v is None]
    return (UNKNOWN, ", ".join(missing)) if missing else (OK, "not monetised")


def published_check(release: Release, as_of: dt.date) -> tuple[str, str]:
    """Weights, architecture and usage information publicly available (Art. 53(2)); weights
    given as a date count as public from that date, at placing on the market or as-of."""
    when = release.placed_on_market or as_of
    weights = release.weights_public
    if isinstance(weights, dt.date):
        weights = weights <= when
        if not weights:
            return FAIL, (f"weights public only from {release.weights_public}, after "
                          f"{'placing on the market' if release.placed_on_market else 'the as-of date'} ({when})")
    facts = (("release.weights_public", weights), ("release.architecture_public", release.architecture_public),
             ("release.usage_info_public", release.usage_info_public))
    closed = [n for n, v in facts if v is False]
    if closed:
        return FAIL, f"{closed[0]} is false (Art. 53(2): weights, architecture and usage information public)"
    missing = [n for n, v in facts if v is None]
    return (UNKNOWN, ", ".join(missing)) if missing else (OK, "weights, architecture and usage information public")


def exemption(provider: str, gpai: str, systemic: str, release: Release, as_of: dt.date) -> tuple[str, str]:
    """The exemption's status and why: its scope first (a GPAI provider, no systemic risk),
    then each condition; a failed condition decides before a missing one."""
    if provider == "not_provider":
        return "n/a_not_provider", "not a provider: no duty to be exempt from"
    if gpai in ("no", "n/a"):
        return "n/a_not_gpai", "not a GPAI model: Art. 53-54 do not apply"
    if systemic in ("presumed", "straddles", "at_most"):
        return "lost_systemic", ("the exemption does not apply to GPAI models with systemic risk (Art. 53(2), "
                                 "54(6); Recital 104)" + ("; the estimate may cross 10^25, so it is not granted"
                                                          if systemic == "straddles" else
                                                          "; an upper bound over 10^25: not granted until the tokens "
                                                          "trained show it below" if systemic == "at_most" else ""))
    checks = {"not_available_licence": licence_check(release),
              "not_available_monetisation": monetisation_check(release),
              "not_available_unpublished": published_check(release, as_of)}
    for status, (result, why) in checks.items():
        if result == FAIL:
            return status, why
    missing = [why for result, why in checks.values() if result == UNKNOWN]
    if missing:
        return "not_stated", "never granted on an unstated fact; add " + ", ".join(missing)
    if "review" in (provider, gpai, systemic):
        return "not_stated", "the conditions are met, but the provider role or status admits two readings"
    return "applies", (f"{checks['not_available_licence'][1]}, not monetised, weights, architecture and usage "
                       "information public (Art. 53(2), 54(6); Guidelines §4)")
