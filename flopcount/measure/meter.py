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

from .cache import StepCache, family, signature
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


def document_lengths(inputs: Any) -> list[int]:
    """The lengths attention runs over in a batch, one per document: packed rows
    (`cu_seq_lens_q`, as HF's DataCollatorWithFlattening passes to varlen kernels, or
    `position_ids` restarting at 0) split at their boundaries; other rows count whole
    (padding included: it is computed on)."""
    if not isinstance(inputs, dict):
        return []
    cu = inputs.get("cu_seq_lens_q")
    if isinstance(cu, torch.Tensor):
        bounds = cu.flatten().tolist()
        return [b - a for a, b in zip(bounds, bounds[1:]) if b > a]
    ids, positions = inputs.get("input_ids"), inputs.get("position_ids")
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        return []
    if not isinstance(positions, torch.Tensor) or positions.shape != ids.shape:
        return [ids.shape[1]] * ids.shape[0]
    out = []
    for row in positions.tolist():
        starts = [i for i, p in enumerate(row) if p == 0] or [0]
        if starts[0] != 0:
            starts = [0] + starts
        out += [b - a for a, b in zip(starts, starts[1:] + [len(row)])]
    return out
