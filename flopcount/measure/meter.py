"""StepMeter: measure a training step once per shape signature, for training loops.

`begin(inputs)` looks the signature up; on a miss it starts a `TorchCounter` around the
real step (no extra compute: the step being run is the one measured); `end()` returns
the measurement, cached or fresh. On a hit nothing is intercepted, so steady-state cost
is one signature computation per step.
"""
from __future__ import annotations

from typing import Any

import torch

from .cache import StepCache, signature
from .result import Measurement
from .torch_backend import TorchCounter


class StepMeter:
    def __init__(self, model: torch.nn.Module, *, elementwise: bool = False, attention: str = "full",
                 causal_model: bool = False, cache: StepCache | None = None) -> None:
        self.model = model
        self.options = dict(elementwise=elementwise, attention=attention, causal_model=causal_model)
        self.cache = cache or StepCache()
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
        if self._found is None:
            self._counter = TorchCounter(**self.options)
            self._counter.__enter__()

    def end(self) -> Measurement:
        if self._key is None:
            raise RuntimeError("StepMeter.end called without begin")
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
            self._found = self._counter.result
            self.cache.put(self._key, self._found)
        found, self._key, self._counter, self._found = self._found, None, None, None
        return found

    def abort(self) -> None:
        """Leave a step that raised: close the counter, cache nothing."""
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
        self._key, self._counter, self._found = None, None, None


def count_tokens(inputs: Any) -> int:
    """Tokens in a batch: the elements of `input_ids` (padding included: it is computed on)."""
    if isinstance(inputs, dict) and isinstance(inputs.get("input_ids"), torch.Tensor):
        return inputs["input_ids"].numel()
    return 0
