"""The one-line verdict of a set of threshold rows in their JSON form (a compute record's
`thresholds`, `estimate --json`'s), worded where the rules live: whether the one-third rule
leaves the modifier without EU duties, the systemic-risk row's duty (conditional where it is
only an upper bound), else the GPAI row; then every other regime's status."""
from __future__ import annotations

from typing import Any


def headline(thresholds: list[dict[str, Any]], rule: dict[str, Any] | None) -> str:
    """`rule`: the record's `lineage.modification_rule` (None: not a modification)."""
    by_id = {t["id"]: t for t in thresholds}
    parts = []
    if rule and rule["status"] != "not applicable" and not rule["becomes_provider"]:
        parts.append("EU: the modifier does not become the provider (one-third rule), no EU duty")
    else:
        systemic, gpai = by_id.get("eu-systemic-risk"), by_id.get("eu-gpai")
        if systemic and systemic["status"] == "at most":
            parts.append("EU: systemic risk at most (an upper bound over the line: the run can stop early; the tokens "
                         "trained decide, notify only if it trains past the line)")
        elif systemic and systemic["status"] in ("crossed", "straddles", "presumed"):
            when = f" — notify the Commission by {systemic['notify_by']}" if systemic["notify_by"] else \
                " — notify the Commission (date: give the runs' start dates)"
            parts.append(f"EU: systemic risk {systemic['status']}{when}")
        elif gpai:
            upper = " (an upper bound: the run can stop early; the tokens trained decide)" \
                if gpai["status"] == "at most" else ""
            parts.append(f"EU: general-purpose AI model {gpai['status']}{upper}; systemic risk below")
    parts += [f"{t['id']} {t['status']}" for t in thresholds if not t["id"].startswith("eu-")
              and t["legal_status"].split(" ")[0] != "revoked"]
    return "; ".join(parts)
