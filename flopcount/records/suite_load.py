"""Reading a suite: a suite file, a folder, a list of model ids or a mapping of the suite
file's shape, checked field by field; its facts (`release:`, `provider:`, `deploys:`) read
as a plan reads them; each model resolved in turn (suite_models.py), an error naming the
suite entry it came from.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..boundary.errors import InputError
from ..boundary.fields import Fields, load_mapping
from ..inputs.facts import RELEASE_FIELDS as FACT_RELEASE_FIELDS, read_deploys, read_provider, read_release
from .suite_models import PLAN_TOP, resolve_model
from .suite_progress import progress
from .suite_sources import _default_name, _folder, _hf_list, _is_hf_list
from .suite_types import SUITE_KEY, Checkpoints, Suite, parse_checkpoints, read_checkpoints

#: A suite's `release:` (defaults for every model): a plan's top-level modalities and released, and
#: every field of a plan's `release:` (law/facts.py); `license` is read as `licence`.
RELEASE_FIELDS = tuple(dict.fromkeys((*PLAN_TOP, "license", *FACT_RELEASE_FIELDS)))


def _anchored(exc: InputError, name: str, where: str) -> InputError:
    """A model's error, with the suite entry it came from when the file is not the suite's."""
    return InputError(f"{exc.message} (suite model {name}, {where})" if exc.source else exc.message,
                      source=exc.source, field=exc.field)


def load_suite(source: str | Path | Mapping[str, Any], *, checkpoints: str | Checkpoints | None = None,
               gpus: int | str | None = None, vocab_size: int | str | None = None,
               seq_len: int | str | None = None, tokens_per_step: int | str | None = None,
               steps: int | str | None = None) -> Suite:
    """A suite file, a folder (every recipe, config or plan in it, one model each), a list
    of Hugging Face model ids with revisions (one ORG/NAME@REVISION a line, read from the
    local cache) or a mapping of the suite file's shape; keyword values apply to every model
    that lacks them (`tokens_per_step` and `steps`, the run's last step, to config and hf models)."""
    if isinstance(checkpoints, str):
        checkpoints = parse_checkpoints(checkpoints)
    defaults = {k: v for k, v in (("gpus", gpus), ("vocab_size", vocab_size), ("seq_len", seq_len)) if v is not None}
    data, where, base = _suite_data(source)
    f = Fields(data, where)
    if f.raw(SUITE_KEY, None) != 1:
        raise f.error(SUITE_KEY, "not a suite file: it starts with flopcount_suite: 1")
    f.only((SUITE_KEY, "name", "release", "provider", "deploys", "models", "checkpoints", "gpus", "vocab_size",
            "seq_len"))
    for key in ("gpus", "vocab_size", "seq_len"):
        if f.has(key):
            defaults.setdefault(key, f.raw(key))
    run = {k: v for k, v in (("tokens_per_step", tokens_per_step), ("steps", steps)) if v is not None}
    release, provider, deploys = _suite_facts(f, where)
    if checkpoints is None and f.has("checkpoints"):
        checkpoints = read_checkpoints(f, "checkpoints")
    entries = f.items("models")
    if not entries:
        raise f.error("models", "a suite needs at least one model")
    models, seen = [], {}
    for i, entry in enumerate(progress(entries, total=len(entries), desc="models", unit="model")):
        if run and (entry.has("hf") or entry.has("config")):
            entry = Fields({**run, **entry.data}, entry.source, entry.prefix)
        name = entry.text("name", _default_name(entry))
        if name in seen:
            hint = ("; give one model's revisions as one list, hf: [ID@REV, ...]" if entry.has("hf") else "")
            raise entry.error("name", f"two models named {name!r} (models[{seen[name]}] and models[{i}]){hint}")
        seen[name] = i
        try:
            models.append(resolve_model(entry, base, defaults, checkpoints, release, {m.name: m for m in models},
                                        provider=provider, deploys=deploys))
        except InputError as exc:
            raise _anchored(exc, name, f"models[{i}]") from None
    return Suite(f.text("name", Path(str(where)).stem), tuple(models), provider, release, deploys=deploys)


def _suite_data(source: str | Path | Mapping[str, Any]) -> tuple[dict, str, Path]:
    """(the suite's mapping, where it was read, the folder its models' paths are relative to)."""
    if isinstance(source, Mapping):
        return dict(source), "suite", Path.cwd()
    path = Path(source)
    if path.is_dir():
        return _folder(path), str(path), path
    if _is_hf_list(path):
        return _hf_list(path), str(path), path.parent
    return load_mapping(path), str(path), path.parent


def _suite_facts(f: Fields, where: str) -> tuple[dict, dict, Any]:
    """The suite's `release:`, `provider:` and `deploys:`, read here as a plan reads them, so
    a bad value names the suite file, not a model's."""
    release = dict(f.raw("release", {}) or {})
    rf = Fields(release, where, "release")
    rf.only(RELEASE_FIELDS)
    if "licence" in release and "license" in release:
        raise rf.error("license", "give licence or license, not both")
    read_release(Fields({("licence" if k == "license" else k): v for k, v in release.items() if k not in PLAN_TOP},
                        where, "release"))
    provider = dict(f.raw("provider", {}) or {})
    read_provider(Fields(provider, where, "provider"))
    deploys = f.raw("deploys") if f.has("deploys") else None
    if deploys is not None:
        read_deploys(f)
    return release, provider, deploys
