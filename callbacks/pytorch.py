"""Plain PyTorch: wrap each step's forward and backward in `tracker.step(batch)`.

    monitor = ComputeMonitor("my-model", ledger="compute.db", planned_steps=10_000)
    tracker = StepTracker(model, monitor)
    for batch in loader:
        with tracker.step(batch):                     # measured once per batch shape
            model(**batch).loss.backward()
        optimizer.step(); optimizer.zero_grad()
    monitor.close()

Gradient accumulation: `tracker.step(batch, end_step=False)` for all but the last
micro-batch. With `per_token=` (e.g. `training_flops(spec, T).total / T`) nothing is
measured: each step records per_token × tokens as an analytic count. Evaluation: call with the model in eval mode (or `kind="eval"`); it is
recorded and counted in neither training nor cumulative compute.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch

from flopcount.measure.meter import StepMeter, count_tokens
from flopcount.monitor import ComputeMonitor


class StepTracker:
    def __init__(self, model: torch.nn.Module, monitor: ComputeMonitor, *,
                 tokens: Callable[[Any], int] = count_tokens, per_token: float | None = None,
                 **meter_options: Any) -> None:
        self.model, self.monitor, self.tokens, self.per_token = model, monitor, tokens, per_token
        self.meter = StepMeter(model, **meter_options)

    @contextmanager
    def step(self, inputs: Any, *, end_step: bool = True, kind: str | None = None) -> Iterator[None]:
        kind = kind or ("train" if self.model.training else "eval")
        if self.per_token is not None:  # analytic: no interception at all
            yield
            n = self.tokens(inputs)
            self.monitor.record(round(self.per_token * n), tokens=n, kind=kind, method="analytic")
            if end_step and kind == "train":
                self.monitor.end_step()
            return
        self.meter.begin(inputs)
        try:
            yield
        except BaseException:
            self.meter.abort()
            raise
        measured = self.meter.end()
        self.monitor.record(measured.total, tokens=self.tokens(inputs), kind=kind, recomputed=measured.recomputed)
        if end_step and kind == "train":
            self.monitor.end_step()
