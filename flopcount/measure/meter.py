"""StepMeter: measure a training step once per shape signature, for training loops.

`begin(inputs)` looks the signature up; on a miss it asks the batch's length family
for a price (`measure.lengths`: exact polynomial in the sequence length, verified), and
only when there is none starts a `TorchCounter` around the real step (no extra compute:
the step being run is the one measured); `end()` returns the measurement, cached, priced
or fresh. On a hit or a price nothing is intercepted, so with dynamic padding too the
steady-state cost is one signature computation per step.
"""
from __future__ import annotations

from typing import Any

import torch

from .cache import StepCache, document_lengths, family, signature  # noqa: F401 (re-exported)
from .lengths import LengthModel
from .result import Measurement
from .torch_backend import TorchCounter


class StepMeter:
    def __init__(self, model: torch.nn.Module, *, elementwise: bool = False, attention: str = "full",
                 causal_model: bool = False, cache: StepCache | None = None, lengths: bool = True,
                 modules: bool = True) -> None:
        self.model = model
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

    def abort(self) -> None:
        """Leave a step that raised: close the counter, cache nothing."""
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
        self._key, self._counter, self._found, self._family = None, None, None, None


def count_tokens(inputs: Any) -> int:
    """Tokens in a batch: the elements of `input_ids` (padding included: it is computed on)."""
    if isinstance(inputs, dict) and isinstance(inputs.get("input_ids"), torch.Tensor):
        return inputs["input_ids"].numel()
    return 0

