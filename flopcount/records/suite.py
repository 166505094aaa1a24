"""Model suites: every model of a release at every checkpoint, one table.

A suite is a suite file (`flopcount_suite: 1`), a folder of recipes / configs / plans (one
model each), a text list of Hugging Face model ids with revisions (`ORG/NAME@REVISION`, read
from the local cache only: peft.revision_config; one model per id, its `stepN` revisions its
checkpoints), or a mapping of the suite file's shape. Each model is resolved once, through
the same paths `flopcount estimate` takes (importers, `plan_from_mapping`, `estimate`), at
its run's last step: that gives its parameters, each method's FLOP per token and the run's
total. A checkpoint at step s has trained s × tokens-per-step tokens; its FLOP by each
analytic method is that many tokens × the per-token figure, rounded as `estimate` rounds
(`numbers.to_int`), so the last checkpoint's row equals `estimate`'s total exactly.

The parts, one job each: suite_types.py (checkpoints, models, the suite), suite_sources.py
(folders, model id lists, the Hugging Face cache), suite_models.py (one model resolved),
suite_lineage.py (`from:` and `soup:`), suite_load.py (a suite read), suite_statuses.py (each
checkpoint's statuses and obligations), suite_table.py (the table). Every name stays
importable from here; importing this module makes `flopcount.records.suite` callable.
"""
from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .suite_load import RELEASE_FIELDS, _anchored, load_suite  # noqa: F401  (re-exported)
from .suite_models import INT64_MAX, MODEL_FIELDS, PLAN_TOP, resolve_model  # noqa: F401  (re-exported)
from .suite_progress import PROGRESS_DELAY, progress  # noqa: F401  (re-exported)
from .suite_sources import HF_REF, MAPPING_SUFFIXES, STEP_REVISION  # noqa: F401  (re-exported)
from .suite_statuses import OBLIGATIONS, checkpoint_plan, checkpoint_result  # noqa: F401  (re-exported)
from .suite_table import EXACT, as_of_date, columns, table  # noqa: F401  (re-exported)
from .suite_types import (  # noqa: F401  (re-exported)
    SUITE_KEY, Checkpoints, Model, Suite, parse_checkpoints, read_checkpoints)

if TYPE_CHECKING:
    import pandas as pd


def suite(source: str | Path | Mapping[str, Any], *, as_of: dt.date | str | None = None,
          **options: Any) -> "pd.DataFrame":
    """The table of a suite file, folder, model id list or mapping (options: checkpoints, gpus,
    vocab_size, seq_len, tokens_per_step, steps; see `load_suite`), obligations judged at `as_of` (default: today)."""
    return table(load_suite(source, **options), as_of=as_of)


class _CallableModule(types.ModuleType):
    """Importing this module makes `flopcount.records.suite` name the module, not the function the
    package exports lazily; calling the module calls `suite`, so `flopcount.suite(...)`
    works whichever it names."""

    def __call__(self, source: str | Path | Mapping[str, Any], *, as_of: dt.date | str | None = None,
                 **options: Any) -> "pd.DataFrame":
        return suite(source, as_of=as_of, **options)


sys.modules[__name__].__class__ = _CallableModule
