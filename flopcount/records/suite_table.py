"""A suite's table: one row per model × checkpoint, column by column (model, step, tokens,
parameters, FLOP per method with its interval, threshold statuses, obligations).

A checkpoint at step s has trained s × tokens-per-step tokens; its FLOP by each analytic
method is that many tokens × the per-token figure of the model's one estimate, rounded as
`estimate` rounds (`numbers.to_int`), so the last checkpoint's row equals `estimate`'s
total exactly.

Arithmetic: steps and tokens are int64 numpy arrays (checked to fit); FLOP are exact Python
ints in object-dtype arrays (Pythia 12B passes 2^63 = 9.2×10^18 FLOP at its first few
hundred steps, so int64 cannot hold them, and float64 would round them). The hardware
method, where a model has one, is an interval for the whole run: a checkpoint gets the
share of it its tokens are of the run's (float64, stated in the notes).
"""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..boundary.errors import InputError
from ..model.spec import count_parameters
from .suite_progress import progress
from .suite_statuses import OBLIGATIONS, _statuses
from .suite_types import Model, Suite

if TYPE_CHECKING:
    import pandas as pd

EXACT = ("full", "6ND")   # methods with an exact per-token figure


def _exact_totals(per_token: Fraction, tokens: np.ndarray) -> np.ndarray:
    """to_int(per_token × tokens) for each checkpoint, as Python ints (object dtype):
    floor((2·p·D + q) / 2q) for per_token = p/q, D ≥ 0 — half away from zero, as estimate rounds."""
    p, q = per_token.numerator, per_token.denominator
    d = tokens.astype(object)
    return (d * (2 * p) + q) // (2 * q) if q != 1 else d * p



def _non_embedding(model: Model) -> int:
    """Parameters less the embedding tables and an untied output head (Kaplan et al. 2020's
    N, as the Pythia model cards count non-embedding parameters)."""
    from ..model.blocks import Head
    spec = model.plan.model.spec
    if spec is None:
        return 0
    params = count_parameters(spec)
    untied = sum(b.width * b.vocab for _, b in spec.find(Head) if not b.tied)  # type: ignore[attr-defined]
    return params.total - params.embedding - untied


def columns(model: Model, as_of: dt.date | None = None) -> dict[str, np.ndarray | list]:
    """One model's rows, column by column. `tokens` and the FLOP columns count everything
    behind the checkpoint's weights: the run's own steps plus its prior phases (earlier
    stages, soup ingredients); `run_tokens` is the run's own. With `as_of`, the OBLIGATIONS
    columns, judged at that date."""
    pr0 = model.run
    steps = model.steps
    run_tok = steps * np.int64(model.tokens_per_step)
    prior_tokens = sum(pr.phase.tokens or 0 for pr in model.prior)
    tokens = run_tok + np.int64(prior_tokens)
    n = len(steps)
    params = model.result.parameters
    totals: dict[str, tuple] = {}
    cols: dict[str, Any] = {"model": [model.name] * n, "step": steps, "tokens": tokens,
                            "params_total": np.full(n, params.total if params else -1, dtype=np.int64),
                            "params_non_embedding": np.full(n, _non_embedding(model) if params else -1,
                                                            dtype=np.int64)}
    if model.prior:
        cols["run_tokens"] = run_tok
        cols["builds_on"] = [model.builds_on] * n
    run_tokens = model.last_step * model.tokens_per_step
    for method, est in pr0.estimates.items():
        if any(method not in pr.estimates for pr in model.prior):
            continue   # a method that cannot count every phase gives no cumulative figure
        if method in EXACT and est.per_token is not None:
            exact = _exact_totals(est.per_token, run_tok)
            totals[method] = (exact, exact, exact)
            per = est.per_token
            cols[f"flop_per_token_{method}"] = [int(per) if per.denominator == 1 else float(per)] * n
        elif method == "hardware" and run_tokens:
            share = run_tok.astype(np.float64) / float(run_tokens)
            totals[method] = (est.total * share, est.low * share, est.high * share)
    for method, (t, lo, hi) in totals.items():
        before = [pr.estimates[method] for pr in model.prior]
        add = (sum(e.total for e in before), sum(e.low for e in before), sum(e.high for e in before))
        cols[f"flop_{method}"], cols[f"flop_{method}_low"], cols[f"flop_{method}_high"] = \
            (t + add[0], lo + add[1], hi + add[2]) if before else (t, lo, hi)
    cols["primary"] = [pr0.primary] * n
    cols.update(_statuses(model, totals, as_of))
    if as_of is not None:
        cols["as_of"] = [as_of.isoformat()] * n
    return cols


def as_of_date(value: dt.date | str | None) -> dt.date:
    """The date obligations are judged at: a date, YYYY-MM-DD, or None for today."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"must be a date YYYY-MM-DD, got {value!r}", field="as_of") from None


def table(suite: Suite, *, as_of: dt.date | str | None = None) -> "pd.DataFrame":
    """One row per model × checkpoint (see the module docstring for the columns' meaning);
    obligations judged at `as_of` (default: today), the same date for every row."""
    import pandas as pd
    day = as_of_date(as_of)
    parts = [columns(m, day) for m in progress(suite.models, total=len(suite.models), desc="checkpoints",
                                               unit="model")]
    names = list(dict.fromkeys(k for p in parts for k in p))
    data: dict[str, Any] = {}
    for name in names:
        chunks = []
        for part, model in zip(parts, suite.models):
            value = part.get(name)
            if value is None:
                chunks.append(np.full(len(model.steps), None, dtype=object))
            elif isinstance(value, np.ndarray):
                chunks.append(value)
            else:
                chunks.append(np.asarray(value, dtype=bool if name.startswith("over_") or name.endswith("_applies")
                                         else object))
        data[name] = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) if k == "eu_notify_by" else v for k, v in data.items()})
    # eu_notify_by: ISO dates or None, as the law's JSON gives them (pandas would read None as NaN)
    for name in ("model", "primary", "as_of", *(c for c in names if c.startswith("status_")),
                 *(c for c in OBLIGATIONS if c in names and not c.endswith(("_applies", "_by")))):
        frame[name] = frame[name].astype("category")
    return frame
