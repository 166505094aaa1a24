"""Plain PyTorch: wrap each step's forward and backward in `tracker.step(batch)`.

    monitor = ComputeMonitor("my-model", ledger="compute.db", planned_steps=10_000)
    tracker = StepTracker(model, monitor)
    for batch in loader:
        with tracker.step(batch):                     # measured once per batch shape
            model(**batch).loss.backward()
        optimizer.step(); optimizer.zero_grad()
    monitor.close()

Gradient accumulation: `tracker.step(batch, end_step=False)` for all but the last
micro-batch. Measured steps are priced once per shape, and with dynamic padding from the
verified length polynomial (`flopcount.measure.lengths`). Analytic, nothing intercepted:
`spec=` (the model's ModelSpec) prices each document exactly, `training_flops(spec, Lᵢ)`
summed over the batch's documents (packed rows split at `cu_seq_lens_q` or position-id
resets: Σ Lᵢ² attention, as varlen kernels run it); `per_token=` records per_token ×
tokens (no attention term per length). Evaluation: call with the model in eval mode (or
`kind="eval"`); it is recorded and counted in neither training nor cumulative compute.

Never fatal: an op the counter cannot price, or a failure inside the meter, is one warning
and a note in the ledger, and the training step runs on; where the model's config can be
read, the first measured step is checked against the analytic count (1%), and the analytic
count carries steps the measured one is known to undercount (`StepMeter.count`).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch

from flopcount.model.formulas import forward_flops, training_flops
from flopcount.measure.meter import StepMeter, count_tokens, document_lengths
from flopcount.run import ComputeMonitor


class StepTracker:
    def __init__(self, model: torch.nn.Module, monitor: ComputeMonitor, *,
                 tokens: Callable[[Any], int] = count_tokens, per_token: float | None = None,
                 spec: Any = None, attention: str = "causal", **meter_options: Any) -> None:
        self.model, self.monitor, self.tokens, self.per_token = model, monitor, tokens, per_token
        self.spec, self.attention = spec, attention
        self._by_length: dict[tuple[str, int], int] = {}
        self.meter = StepMeter(model, **meter_options)
        monitor.describe(model)  # device, precision (weights' dtype) and parameters, for the ledger

    def analytic(self, inputs: Any, kind: str) -> int:
        """Σ over the batch's documents of one sequence's exact count at its length."""
        total = 0
        for length in document_lengths(inputs):
            key = (kind, length)
            if key not in self._by_length:
                self._by_length[key] = (training_flops(self.spec, length, self.attention).total if kind == "train"
                                        else forward_flops(self.spec, length, self.attention).total)
            total += self._by_length[key]
        return total

    @contextmanager
    def step(self, inputs: Any, *, end_step: bool = True, kind: str | None = None) -> Iterator[None]:
        kind = kind or ("train" if self.model.training else "eval")
        if self.per_token is not None or self.spec is not None:  # analytic: no interception at all
            yield
            n = self.tokens(inputs)
            flops = self.analytic(inputs, kind) if self.spec is not None else round(self.per_token * n)
            self.monitor.record(flops, tokens=n, kind=kind, method="analytic")
            if end_step and kind == "train":
                self.monitor.end_step()
            return
        self.meter.begin(inputs)
        try:
            yield
        except BaseException:
            self.meter.abort()
            raise
        counted = self.meter.count()  # never raises: what it cannot count is a warning and a note
        self.monitor.record(counted.flops, tokens=self.tokens(inputs), kind=kind, recomputed=counted.recomputed,
                            method=counted.method, notes=counted.notes)
        if end_step and kind == "train":
            self.monitor.end_step()
