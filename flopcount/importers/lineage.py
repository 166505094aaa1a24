"""The base model a fine-tune starts from, as a plan's `base_model` (a modification,
Guidelines §3.2): its training compute from the bundled table of published runs
(`data.models`) where the table has that model, else "unknown" (the verdicts then use the
Guidelines' fallback line and say so, and the note asks for the figure).

A run folder names its base in three places, read in this order: a PEFT
`adapter_config.json` (`base_model_name_or_path`), the model card the Trainer writes
(`README.md`: `base_model:` in its front matter, or "a fine-tuned version of [X]"), and
`config.json`'s `_name_or_path` (transformers 4.x writes the path the weights were loaded
from; 5.x drops it), when it is not the run folder itself.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml

from ..data.models import PUBLISHED_RUNS
from ..boundary.numbers import sig2

CARD_BYTES = 1 << 20
FINETUNED = re.compile(r"fine-tuned version of \[([^\]]+)\]")


def _key(name: str) -> str:
    """A model name compared across spellings: 'meta-llama/Llama-3.1-8B' ~ 'Llama 3.1 8B'."""
    last = name.rstrip("/").split("/")[-1].lower()
    return re.sub(r"[^a-z0-9]", "", last.removeprefix("meta-"))


def _whole(value: float) -> int:
    """A table figure as the integer its decimal form states (3.8e25 → 38 followed by 24
    zeros, not the binary float's 38000000000000000436207616)."""
    return int(Decimal(repr(value)))


def base_compute(name: str) -> tuple[int | None, str]:
    """(training FLOP, where from) of a base in `data.models`, else (None, why not). A
    published FLOP figure is taken as reported; else 6 × the published parameters × tokens
    (an estimate, Guidelines Annex A.2's architecture-based method), said as such."""
    run = next((r for r in PUBLISHED_RUNS if _key(r.name) == _key(name)), None)
    if run is None:
        return None, (f"{name}'s training compute is not in flopcount's table of published runs: give it as "
                      "base_model.training_compute in the imported plan (flopcount import … -o plan.yaml); until "
                      "then the one-third rule uses the Guidelines' fallback line")
    if run.flop is not None:
        return _whole(run.flop), f"{name}: training compute {sig2(run.flop)} FLOP as reported ({run.source})"
    flop = 6 * _whole(run.params) * _whole(run.tokens)
    return flop, (f"{name}: training compute 6 × {sig2(run.params)} parameters × {sig2(run.tokens)} tokens = "
                  f"{sig2(flop)} FLOP, estimated from the published figures ({run.source})")


def base_entry(name: str) -> tuple[dict, str]:
    """A plan's `base_model` for `name` and the note saying where its compute came from."""
    flop, note = base_compute(name)
    return {"name": name, "training_compute": "unknown" if flop is None else flop}, note


def card_base(folder: Path) -> tuple[str, str] | None:
    """(base, where) from a model card: front matter `base_model`, or the Trainer's sentence."""
    card = folder / "README.md"
    try:
        if not card.is_file() or card.stat().st_size > CARD_BYTES:
            return None
        text = card.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text.startswith("---"):
        front = text[3:].split("\n---", 1)[0]
        try:
            meta = yaml.safe_load(front)
        except yaml.YAMLError:
            meta = None
        base = meta.get("base_model") if isinstance(meta, dict) else None
        if isinstance(base, list) and base and isinstance(base[0], str):
            base = base[0]
        if isinstance(base, str) and base.strip():
            return base.strip(), "README.md (model card): base_model"
    match = FINETUNED.search(text)
    if match:
        return match.group(1), "README.md (model card): 'a fine-tuned version of'"
    return None


def config_base(config: dict, folder: Path) -> tuple[str, str] | None:
    """(base, where) from config.json's `_name_or_path`, unless it names the run itself."""
    name = config.get("_name_or_path")
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        here = Path(name).resolve()
        if here == folder.resolve() or folder.resolve() in here.parents:
            return None
    except (OSError, ValueError):
        pass
    return name.strip(), "config.json: _name_or_path"
