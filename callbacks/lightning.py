"""Lightning adapter.

    monitor = ComputeMonitor("my-model", ledger="compute.db")
    trainer = L.Trainer(callbacks=[FlopcountLightningCallback(monitor)], ...)

Measures each training batch's forward + backward (once per batch-shape signature) from
`on_train_batch_start` to `on_before_optimizer_step` (or the batch end, for micro-batches
of gradient accumulation); validation batches are recorded as evaluation. Totals are
logged with `pl_module.log` (`flopcount/...`). The monitor's state is part of Lightning's
checkpoints (`state_dict`), so a resumed fit continues the count without double counting.
"""
from __future__ import annotations

from typing import Any

try:
    import lightning.pytorch as pl
except ImportError:  # the older package name
    import pytorch_lightning as pl

from flopcount.measure.meter import StepMeter, count_tokens
from flopcount.monitor import ComputeMonitor


class FlopcountLightningCallback(pl.Callback):
    def __init__(self, monitor: ComputeMonitor, **meter_options: Any) -> None:
        self.monitor = monitor
        monitor.raise_on_stop = False  # Lightning stops through trainer.should_stop
        self.meter_options = meter_options
        self.meter: StepMeter | None = None
        self._tokens = 0
        self._stepped = False

    def setup(self, trainer, pl_module, stage: str) -> None:
        self.meter = StepMeter(pl_module, **self.meter_options)

    def on_train_start(self, trainer, pl_module) -> None:
        if self.monitor.planned_steps is None:
            planned = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else \
                trainer.estimated_stepping_batches
            self.monitor.planned_steps = int(planned)
        self.monitor.start()

    def _finish(self, kind: str = "train") -> None:
        if self.meter is not None and self.meter.active:
            m = self.meter.end()
            self.monitor.record(m.total, tokens=self._tokens, kind=kind,
                                recomputed=m.recomputed if kind == "train" else 0)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._tokens, self._stepped = count_tokens(batch), False
        self.meter.begin(batch)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        self._finish()
        self._stepped = True

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._finish()  # a micro-batch of gradient accumulation: no optimizer step yet
        if self._stepped:
            self.monitor.end_step()
            if self.monitor.should_stop:
                trainer.should_stop = True
            q = self.monitor.quantities()
            pl_module.log("flopcount/training_flop", float(q["training"]))
            pl_module.log("flopcount/cumulative_flop", float(q["cumulative"]))

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0) -> None:
        self._tokens = count_tokens(batch)
        self.meter.begin(batch)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._finish("eval")

    def on_train_end(self, trainer, pl_module) -> None:
        self.monitor.sync()   # every rank is here: sum evaluations run after the last step
        self.monitor.flush()

    def state_dict(self) -> dict[str, Any]:
        return self.monitor.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.monitor.load_state_dict(state_dict)
