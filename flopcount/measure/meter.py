"""StepMeter: measure a training step once per shape signature, for training loops.

`begin(inputs)` looks the signature up; on a miss it asks the batch's length family
for a price (`measure.lengths`: exact polynomial in the sequence length, verified), and
only when there is none starts a `TorchCounter` around the real step (no extra compute:
the step being run is the one measured); `end()` returns the measurement, cached, priced
or fresh. On a hit or a price nothing is intercepted, so with dynamic padding too the
steady-state cost is one signature computation per step.

`count()` is what the training-loop adapters record: the measurement judged. A fresh
measurement is inspected (`measure.check`) against the analytic count of the same batch
when the model's config can be read: failed formulas, custom kernels nothing counted and a
gap over 1% become one warning each and notes for the ledger, and where the measured count
is known to miss work the analytic count carries the step. Never fatal: a failure inside
the meter is a warning and a note, and the training step runs on uncounted.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from .cache import StepCache, document_lengths, family, signature  # noqa: F401 (re-exported)
from .lengths import LengthModel
from .result import Measurement
from .torch_backend import TorchCounter

log = logging.getLogger("flopcount")


class CountWarning(UserWarning):
    """The measured count of a step is incomplete or disagrees with the analytic count."""


@dataclass(frozen=True)
class Counted:
    """One step as the monitor records it: FLOP, the method that gave them, and notes."""
    flops: int
    recomputed: int
    method: str                  # "measured" | "analytic"
    notes: tuple[str, ...] = ()


class StepMeter:
    def __init__(self, model: torch.nn.Module, *, elementwise: bool = False, attention: str = "full",
                 causal_model: bool = False, cache: StepCache | None = None, lengths: bool = True,
                 modules: bool = True, spec: Any = None, check: bool = True) -> None:
        """`spec`: the model's ModelSpec for the cross-check; read from `model.config`
        when not given (HF models with a flopcount reader), none otherwise."""
        self.model = model
        self.spec = spec if spec is not None or not check else _spec_of(model)
        self._warned: set[str] = set()
        self._analytic: dict[tuple[int, bool], int] = {}
        self._verdicts: dict[int, tuple[Measurement, Any]] = {}  # id -> (measurement, Findings)
        self._inputs: Any = None             # the step's inputs, for the analytic count
        self.options = dict(elementwise=elementwise, attention=attention, causal_model=causal_model, modules=modules)
        self.cache = cache or StepCache()
        self.lengths = lengths
        self.families: dict[tuple, LengthModel] = {}
        self.measured = 0                    # steps intercepted op by op
        self.priced = 0                      # steps priced from a length polynomial
        self._family: tuple[LengthModel, int] | None = None
        self._key: tuple | None = None
        self._counter: TorchCounter | None = None
        self._found: Measurement | None = None

    @property
    def active(self) -> bool:
        return self._key is not None

    def begin(self, inputs: Any) -> None:
        if self._key is not None:
            raise RuntimeError("StepMeter.begin called twice without end")
        self._inputs = inputs
        try:
            self._start(inputs)
        except Exception as error:  # never fatal: the step runs uncounted, said at count()
            self.abort()
            self._key, self._found = ("failed",), Measurement("torch", attention=self.options["attention"])
            self._found.failed["(meter)"] = f"{type(error).__name__}: {error}"

    def _start(self, inputs: Any) -> None:
        self._key = signature(self.model, inputs)
        self._found = self.cache.get(self._key)
        if self._found is not None:
            return
        found = family(self.model, inputs) if self.lengths else None
        if found is not None:
            lengths = self.families.setdefault(found[0], LengthModel())
            self._found = lengths.predict(found[1])
            if self._found is not None:
                self.priced += 1
                self.cache.put(self._key, self._found)
                return
            self._family = (lengths, found[1])
        self.measured += 1
        self._counter = TorchCounter(**self.options)
        self._counter.__enter__()

    def end(self) -> Measurement:
        if self._key is None:
            raise RuntimeError("StepMeter.end called without begin")
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
            self._found = self._counter.result
            self.cache.put(self._key, self._found)
            if self._family is not None:
                self._family[0].add(self._family[1], self._found)
        found, self._key, self._counter, self._found, self._family = self._found, None, None, None, None
        return found

    def count(self) -> Counted:
        """End the step and judge it (see the module docstring). Never raises."""
        try:
            measured = self.end()
        except Exception as error:
            self.abort()
            return Counted(0, 0, "measured", self._warn("meter", f"the step could not be counted ({error!r}); "
                                                        "it is recorded as 0 FLOP"))
        try:
            return self._judge(measured)
        except Exception as error:  # the judgement is advice: the measurement stands
            return Counted(measured.total, measured.recomputed, "measured",
                           self._warn("check", f"the measured step could not be cross-checked ({error!r})"))

    def _judge(self, measured: Measurement) -> Counted:
        from .check import inspect
        seen = self._verdicts.get(id(measured))
        findings = seen[1] if seen is not None else inspect(self.model, measured, self._analytic_count(measured))
        self._verdicts[id(measured)] = (measured, findings)  # the measurement kept alive: ids stay unique
        notes: tuple[str, ...] = ()
        for note in findings.notes:
            notes += self._warn(note, note)
        if findings.carry:
            analytic = self._analytic_count(measured)
            if analytic is not None:
                self._inputs = None
                return Counted(analytic, measured.recomputed, "analytic", notes)
        self._inputs = None
        return Counted(measured.total, measured.recomputed, "measured", notes)

    def _analytic_count(self, measured: Measurement) -> int | None:
        """The analytic FLOP of the batch's documents in the meter's convention — forward
        and backward, or forward alone for a step that ran no backward (evaluation) — or
        None without a spec, for models of several towers (a vision tower's or an encoder's
        input is not in the token lengths), or when some parameters are frozen (the full
        formula would not apply)."""
        lengths = _documents(self._inputs)  # shapes only, except for packed rows
        if self.spec is None or len(self.spec.towers) != 1 or not lengths:  # one text tower: lengths say it all
            return None
        if not all(p.requires_grad for p in self.model.parameters()):
            return None
        from ..model.formulas import forward_flops, training_flops
        attention, backward = self.options["attention"], measured.backward != 0
        total = 0
        for length in lengths:
            key = (length, backward)
            if key not in self._analytic:
                self._analytic[key] = (training_flops(self.spec, length, attention).total if backward
                                       else forward_flops(self.spec, length, attention).total)
            total += self._analytic[key]
        return total

    def _warn(self, key: str, text: str) -> tuple[str, ...]:
        """Warn once per key (loud: warnings and the log); the note goes to the ledger once."""
        if key in self._warned:
            return ()
        self._warned.add(key)
        message = f"flopcount: {text}"
        warnings.warn(message, CountWarning, stacklevel=3)
        log.warning(message)
        return (text,)

    def abort(self) -> None:
        """Leave a step that raised: close the counter, cache nothing."""
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
        self._key, self._counter, self._found, self._family = None, None, None, None


def _documents(inputs: Any) -> list[int]:
    try:
        return list(document_lengths(inputs)) if isinstance(inputs, dict) else []
    except Exception:
        return []


def _spec_of(model: torch.nn.Module) -> Any:
    """The model's ModelSpec from its HF config where flopcount has a reader, else None
    (never the transformers fallback: that would build a second model)."""
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "to_dict"):
        return None
    try:
        from ..model.configs import spec_from_mapping
        return spec_from_mapping(config.to_dict(), None, getattr(config, "model_type", None))
    except Exception as error:
        log.debug("flopcount: no analytic cross-check for %s: %s", type(model).__name__, error)
        return None


def count_tokens(inputs: Any) -> int:
    """Tokens in a batch: the elements of `input_ids` (padding included: it is computed on)."""
    if isinstance(inputs, dict) and isinstance(inputs.get("input_ids"), torch.Tensor):
        return inputs["input_ids"].numel()
    return 0

