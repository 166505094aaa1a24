"""The facts the law turns on that compute does not give: who provides the model, how it
is released, where it is made available. Read strictly at the boundary (`read_facts`);
every field is optional, and a missing one stays None, which the assessment reports as
`not_stated` with the field to add. Nothing here decides anything.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ..data.countries import ALIASES, DEPLOY_REGIONS, ISO_3166_1_ALPHA2
from ..data.obligations import MONETISATION, RESTRICTIONS
from ..boundary.fields import Fields

PROVIDER_FIELDS = ("name", "established", "annual_revenue_usd")
RELEASE_FIELDS = ("placed_on_market", "licence", "weights_public", "architecture_public", "usage_info_public",
                  "monetised", "personal_data_for_access", "restrictions")


@dataclass(frozen=True)
class Provider:
    name: str | None = None
    established: str | None = None          # ISO 3166-1 alpha-2 country of establishment
    annual_revenue_usd: int | None = None     # preceding calendar year (SB 53 / RAISE tiers)


@dataclass(frozen=True)
class Release:
    placed_on_market: dt.date | None = None     # first made available on the EU market (or planned)
    licence: str | None = None                  # SPDX id, or free text
    weights_public: bool | dt.date | None = None  # or the date they are (to be) published
    architecture_public: bool | None = None
    usage_info_public: bool | None = None
    monetised: tuple[str, ...] | None = None    # ("none",) or ways of MONETISATION
    personal_data_for_access: bool | None = None
    restrictions: tuple[str, ...] | None = None  # licence terms beyond the licence's own


@dataclass(frozen=True)
class Facts:
    provider: Provider = Provider()
    release: Release = Release()
    deploys: tuple[str, ...] = ("EU",)          # default: the EU market only
    base_gpai: bool | None = None               # base_model.gpai; None: not stated
    released: dt.date | None = None             # first released through any channel (plan: released)


def country(value: object, f: Fields, name: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else None
    code = ALIASES.get(code, code) if code else None
    if code not in ISO_3166_1_ALPHA2:
        raise f.error(name, f"must be an ISO 3166-1 alpha-2 country code (e.g. US, CH, DE), got {value!r}")
    return code


def read_provider(f: Fields) -> Provider:
    f.only(PROVIDER_FIELDS)
    established = country(f.raw("established"), f, "established") if f.has("established") else None
    revenue = f.count("annual_revenue_usd", allow_zero=True) if f.has("annual_revenue_usd") else None
    return Provider(name=f.text("name", None), established=established, annual_revenue_usd=revenue)


def words(f: Fields, name: str, allowed: tuple[str, ...] | None) -> tuple[str, ...]:
    """A word or a list of words, each (when `allowed` is given) one of `allowed`."""
    value = f.raw(name)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise f.error(name, f"must be a word or a list of words, got {value!r}")
    out = tuple(i.strip().lower() for i in items)
    bad = [i for i in out if allowed is not None and i not in allowed]
    if bad:
        raise f.error(name, f"unknown value {bad[0]!r}; one of {', '.join(allowed)}")
    return out


def read_release(f: Fields) -> Release:
    f.only(RELEASE_FIELDS)
    weights = f.raw("weights_public", None)
    if weights is not None and not isinstance(weights, bool):
        weights = f.date("weights_public")
    monetised = words(f, "monetised", MONETISATION) if f.has("monetised") else None
    if monetised and "none" in monetised and len(monetised) > 1:
        raise f.error("monetised", "'none' cannot be combined with a way of monetising")
    flags = {k: f.flag(k) if f.has(k) else None for k in ("architecture_public", "usage_info_public", "personal_data_for_access")}
    return Release(placed_on_market=f.date("placed_on_market"), licence=f.text("licence", None),
                   weights_public=weights, monetised=monetised,
                   restrictions=words(f, "restrictions", tuple(RESTRICTIONS)) if f.has("restrictions") else None,
                   **flags)


def read_deploys(f: Fields) -> tuple[str, ...]:
    value = f.raw("deploys")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise f.error("deploys", f"must be a list of {', '.join(DEPLOY_REGIONS)}, got {value!r}")
    out = tuple(dict.fromkeys(i.strip().upper() for i in items))
    bad = [i for i in out if i not in DEPLOY_REGIONS]
    if bad:
        raise f.error("deploys", f"unknown region {bad[0]!r}; one of {', '.join(DEPLOY_REGIONS)}")
    return out


def read_facts(f: Fields, base_gpai: bool | None) -> Facts:
    """A plan's provider:, release:, deploys:; its top-level placed_on_market is still
    read, and must agree with release.placed_on_market when both are given."""
    release = read_release(f.sub("release")) if f.has("release") else Release()
    top = f.date("placed_on_market")
    if top and release.placed_on_market and top != release.placed_on_market:
        raise f.error("placed_on_market", f"{top} differs from release.placed_on_market {release.placed_on_market}")
    if top and not release.placed_on_market:
        release = replace(release, placed_on_market=top)
    return Facts(provider=read_provider(f.sub("provider")) if f.has("provider") else Provider(), release=release,
                 deploys=read_deploys(f) if f.has("deploys") else Facts().deploys, base_gpai=base_gpai,
                 released=f.date("released"))
