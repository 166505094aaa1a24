"""What a suite is once read: the checkpoints asked for (`Checkpoints`, from a suite file or
`--checkpoints`), each model resolved (`Model`) and the suite (`Suite`). Shared by loading,
resolving and tabling, so it sits below all three.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..boundary.errors import InputError
from ..boundary.fields import Fields
from ..count.estimate import PhaseResult, Result
from ..inputs.plan import Plan

SUITE_KEY = "flopcount_suite"


@dataclass(frozen=True)
class Checkpoints:
    """Listed steps plus every `every` steps up to `to` (default: the run's last step)."""

    steps: tuple[int, ...] = ()
    every: int | None = None
    to: int | None = None

    def resolve(self, last: int, source: str, where: str) -> np.ndarray:
        to = last if self.to is None else self.to
        listed = set(self.steps)
        if self.every:
            listed |= set(range(self.every, to + 1, self.every))
        if not listed:
            raise InputError("no checkpoints: give steps, or every (with to)", source=source, field=where)
        past = max(listed)
        if past > last:
            raise InputError(f"checkpoint at step {past:,} is past the run's last step {last:,}", source=source,
                             field=where)
        return np.array(sorted(listed), dtype=np.int64)


def read_checkpoints(f: Fields, name: str) -> Checkpoints:
    sub = f.sub(name)
    sub.only(("steps", "every", "to"))
    steps = tuple(sub.int_list("steps", [])) if sub.has("steps") else ()
    if any(s < 0 for s in steps):
        raise sub.error("steps", "steps are whole numbers from 0")
    every = sub.count("every", None)
    to = sub.count("to", None, allow_zero=True)
    if to is not None and every is None:
        raise sub.error("to", "applies with every")
    return Checkpoints(steps, every, to)


def parse_checkpoints(text: str, flag: str = "--checkpoints") -> Checkpoints:
    """`0,1,2,4,every:1000,to:143000` (to defaults to each run's last step)."""
    steps, every, to = [], None, None
    for item in (t.strip() for t in text.split(",") if t.strip()):
        key, _, value = item.rpartition(":")
        try:
            number = int(value.replace("_", ""))
        except ValueError:
            raise InputError(f"{item!r} is not a step, every:N or to:N", field=flag) from None
        if number < 0 or key not in ("", "every", "to") or (key == "every" and number == 0):
            raise InputError(f"{item!r} is not a step, every:N or to:N", field=flag)
        if key == "every":
            every = number
        elif key == "to":
            to = number
        else:
            steps.append(number)
    if to is not None and every is None:
        raise InputError("to:N applies with every:N", field=flag)
    return Checkpoints(tuple(steps), every, to)


@dataclass(frozen=True)
class Model:
    """One model of a suite, resolved: its plan, estimated once at the run's last step."""

    name: str
    source: str
    result: Result
    last_step: int
    tokens_per_step: int
    steps: np.ndarray             # checkpoint steps, ascending int64
    notes: tuple[str, ...] = ()
    builds_on: str = ""           # earlier stages / ingredients, in words ("" for a run from scratch)

    @property
    def prior(self) -> tuple[PhaseResult, ...]:
        """The phases behind this run's starting weights (earlier stages, soup ingredients)."""
        return self.result.phases[:-1]

    @property
    def run(self) -> PhaseResult:
        """This model's own run, the phase whose steps the checkpoints count."""
        return self.result.phases[-1]

    @property
    def plan(self) -> Plan:
        return self.result.plan


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple[Model, ...]
    provider: dict = field(default_factory=dict)
    release: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    deploys: Any = None

    @property
    def rows(self) -> int:
        return sum(len(m.steps) for m in self.models)
