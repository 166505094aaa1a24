"""PEFT adapters and locally cached models: what a fine-tuning team already has on disk.

A PEFT `adapter_config.json` names the base model, the LoRA rank and the modules it adapts
in the base model's own names (`q_proj`, `qkv_proj`, `query_key_value`, ...), kept as
written; flopcount maps them onto its block matrices, a fused projection as one adapter
over its fused output (`flopcount.data.lora_targets`, `flopcount.model.formulas.lora_weights`). The base model's `config.json` comes
from `--base-config` or from the local Hugging Face cache — never from the network.
`lora_alpha` only scales the adapter's output and changes no FLOP. Options that change
which weights train in ways not modelled (per-module ranks, a subset of layers, DoRA,
fully trained extra modules) are refused with one line rather than counted wrongly.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..data.lora_targets import ALL_LINEAR, REGEX, ROWS
from ..boundary.errors import InputError
from ..boundary.fields import Fields
from .lora import config_model_type, regex_names  # noqa: F401 (config_model_type: re-exported)

#: the module names PEFT can match in a transformers model: rows of `data.lora_targets`
#: whose framework is transformers (Megatron's names never occur in a transformers model)
HF_NAMES = tuple(row.name for row in ROWS if row.framework.startswith("Hugging Face transformers"))
#: options whose non-default value changes the trained weights in a way not modelled
UNMODELLED = {"rank_pattern": "per-module ranks", "alpha_pattern": None, "layers_to_transform": "a subset of layers",
              "use_dora": "DoRA's magnitude vectors and extra norm", "modules_to_save": "fully trained extra modules",
              "target_parameters": "adapters on expert parameters",
              "exclude_modules": "modules excluded from the targets"}


@dataclass(frozen=True)
class Adapter:
    rank: int
    alpha: float | None
    targets: tuple[str, ...]   # module names as the adapter writes them, or "all-linear"
    base: str                  # base_model_name_or_path ("" if absent)
    source: str


def is_adapter(data: dict) -> bool:
    return "peft_type" in data


def read_adapter(data: dict, source: str) -> Adapter:
    f = Fields(data, source)
    kind = f.text("peft_type")
    if kind.upper() != "LORA":
        raise f.error("peft_type", f"{kind!r} adapters are not modelled (LoRA only)")
    for key, what in UNMODELLED.items():
        value = f.raw(key, None)
        if value not in (None, False, {}, []) and what:
            raise f.error(key, f"{what} not modelled; remove it or describe the run as a plan with "
                               "trainable: {weights: N}")
    rank = f.count("r")
    alpha = f.positive("lora_alpha") if f.raw("lora_alpha", None) is not None else None
    base = f.text("base_model_name_or_path") if f.raw("base_model_name_or_path", None) is not None else ""
    return Adapter(rank, alpha, _targets(f), base, source)


def _targets(f: Fields) -> tuple[str, ...]:
    """PEFT's `target_modules`, kept in the recipe's own names (`lora_weights` maps them
    onto the model's matrices through `data.lora_targets`, a fused projection as one
    adapter): module names (matched on the last name part), "all-linear" (every linear
    layer but the output head), or a regex matched against full module names as PEFT does
    (kept as `re:PATTERN`); the last two are resolved against the model's own modules."""
    value = f.raw("target_modules", None)
    if value is None:
        raise f.error("target_modules", "missing; flopcount does not guess PEFT's per-architecture default")
    if value in ALL_LINEAR:
        return ("all-linear",)
    if isinstance(value, str):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise f.error("target_modules", f"is not a valid regular expression: {exc}") from None
        if not regex_names(pattern.pattern, HF_NAMES):
            raise f.error("target_modules", f"regex {value!r} matches none of {', '.join(HF_NAMES)}")
        return (REGEX + value,)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise f.error("target_modules", "must be a list of module names, a regex string or \"all-linear\"")
    out = []
    for i, name in enumerate(value):
        short = name.rsplit(".", 1)[-1]
        if short not in HF_NAMES:
            raise f.error(f"target_modules[{i}]", f"module {name!r} is not one flopcount maps "
                                                  f"(known: {', '.join(HF_NAMES)})")
        out.append(short)
    return tuple(dict.fromkeys(out))


def hf_cache_dir() -> Path:
    """The hub cache transformers reads: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


MODEL_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def cached_config(model_id: str) -> Path | None:
    """config.json of `model_id` in the local hub cache (the snapshot `refs/main` points
    to, else the only snapshot holding one); None when it is not cached. Never downloads."""
    if not MODEL_ID.match(model_id):
        return None
    repo = hf_cache_dir() / ("models--" + model_id.replace("/", "--"))
    ref = repo / "refs" / "main"
    if ref.is_file():
        candidate = repo / "snapshots" / ref.read_text().strip() / "config.json"
        if candidate.is_file():
            return candidate
    found = sorted((repo / "snapshots").glob("*/config.json")) if repo.is_dir() else []
    if len(found) > 1:
        raise InputError(f"{len(found)} cached snapshots of {model_id} and no refs/main to choose one; "
                         "pass the snapshot folder", source=str(repo))
    return found[0] if found else None


def revision_config(model_id: str, revision: str) -> Path:
    """config.json of `model_id` at `revision` in the local hub cache: the snapshot
    `refs/<revision>` points to, or `snapshots/<revision>` where the revision is a commit
    hash. Never downloads: a revision not cached is one line naming it and where it looked."""
    repo = hf_cache_dir() / ("models--" + model_id.replace("/", "--"))
    ref = repo / "refs" / revision
    sha = ref.read_text().strip() if ref.is_file() else revision
    config = repo / "snapshots" / sha / "config.json"
    if MODEL_ID.match(model_id) and "/" not in sha and sha not in ("", ".", "..") and config.is_file():
        return config
    looked = f"{config} (the snapshot {ref} names)" if ref.is_file() else \
        f"{ref} nor {repo / 'snapshots' / revision / 'config.json'}"
    raise InputError(f"{model_id}@{revision} is not in the local Hugging Face cache: no {looked} "
                     "(flopcount never downloads)", source=str(hf_cache_dir()))


def base_config(adapter: Adapter, given: str | None) -> tuple[Path, str | None]:
    """The base model's config (`--base-config`, else the adapter's base model as a local
    path or in the cache) and, for a cached one, the model id to name it by."""
    if given:
        return Path(given), None
    if not adapter.base:
        raise InputError("no base_model_name_or_path; pass --base-config PATH", source=adapter.source)
    local = Path(adapter.base)
    if local.is_dir() or local.suffix == ".json":
        return local, None
    cached = cached_config(adapter.base)
    if cached is None:
        raise InputError(f"base model {adapter.base} is not in the local Hugging Face cache ({hf_cache_dir()}); "
                         "pass --base-config PATH (flopcount never downloads)", source=adapter.source,
                         field="base_model_name_or_path")
    return cached, adapter.base
