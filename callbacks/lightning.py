"""Lightning adapter.

    monitor = ComputeMonitor("my-model", ledger="compute.db")
    trainer = L.Trainer(callbacks=[FlopcountLightningCallback(monitor)], ...)

Measures each training batch's forward + backward (once per batch-shape signature) from
`on_train_batch_start` to `on_before_optimizer_step` (or the batch end, for micro-batches
of gradient accumulation); validation batches are recorded as evaluation. Totals and
threshold events are logged to every logger the Trainer has (CSV, TensorBoard, W&B,
MLflow): totals with `pl_module.log`, each event once as metrics
(`flopcount/<threshold>/<event>_step`, `.../notify_by_days`) and, for loggers that take
text (`log_text`), its message. The monitor's state is part of Lightning's
checkpoints (`state_dict`), so a resumed fit continues the count without double counting.
"""
from __future__ import annotations

from typing import Any

try:
    import lightning.pytorch as pl
except ImportError:  # the older package name
    import pytorch_lightning as pl

from flopcount.measure.meter import StepMeter, count_tokens
from flopcount.run import ComputeMonitor, ThresholdEvent


class FlopcountLightningCallback(pl.Callback):
    def __init__(self, monitor: ComputeMonitor, **meter_options: Any) -> None:
        self.monitor = monitor
        monitor.raise_on_stop = False  # Lightning stops through trainer.should_stop
        self.meter_options = meter_options
        self.meter: StepMeter | None = None
        self._tokens = 0
        self._stepped = False
        self._events: list[ThresholdEvent] = []
        monitor.handlers.append(self._events.append)

    def setup(self, trainer, pl_module, stage: str) -> None:
        self.meter = StepMeter(pl_module, **self.meter_options)
        precision = str(trainer.precision)  # "bf16-mixed", "16-mixed", "32-true", ...
        hint = "bf16" if precision.startswith("bf16") else "fp16" if precision.startswith("16") else None
        self.monitor.describe(pl_module, hint)

    def on_train_start(self, trainer, pl_module) -> None:
        if self.monitor.planned_steps is None:
            planned = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else \
                trainer.estimated_stepping_batches
            self.monitor.planned_steps = int(planned)
        self.monitor.start()

    def _finish(self, kind: str = "train") -> None:
        if self.meter is not None and self.meter.active:
            c = self.meter.count()  # never raises: what it cannot count is a warning and a note
            self.monitor.record(c.flops, tokens=self._tokens, kind=kind, recomputed=c.recomputed if kind == "train"
                                else 0, method=c.method, notes=c.notes)

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
            for key, value in self.monitor.metrics(exact=False).items():  # no wait for sums in flight
                pl_module.log(key, value)
            self._log_events(trainer, pl_module)

    def _log_events(self, trainer, pl_module) -> None:
        """Each event once, straight to the loggers (a value given to `self.log` would be
        repeated at every later step); the step is that of this step's other metrics."""
        from flopcount.callbacks.events import event_metrics
        if not self._events or trainer.global_rank != 0:
            self._events.clear()
            return
        values = event_metrics(self._events)
        text = values.pop("flopcount/events")
        step = max(trainer.global_step - 1, 0)
        for logger in trainer.loggers:
            logger.log_metrics(values, step=step)
            if hasattr(logger, "log_text"):  # W&B, MLflow-style text tables
                logger.log_text(key="flopcount/events", columns=["event"], data=[[m] for m in text.split("\n")],
                                step=step)
        self._events.clear()

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


class FlopcountModelSummary(pl.callbacks.ModelSummary):
    """Lightning's model summary with its FLOPs column from flopcount: the training step
    (forward + backward) of `example_input_array` per layer, in flopcount's conventions,
    instead of Lightning's own forward-only count (torch's counter). Use it in place of
    `ModelSummary` (`enable_model_summary` then adds no second one). Without
    `example_input_array` it is Lightning's summary unchanged. The example step runs once
    on the real module; the gradients it leaves are cleared."""

    def on_fit_start(self, trainer, pl_module) -> None:
        if not self._max_depth:
            return
        summary = self._summary(trainer, pl_module)
        data = summary._get_summary_data()
        total = getattr(summary, "total_flops", 0)
        if pl_module.example_input_array is not None:
            from lightning.pytorch.utilities.model_summary.model_summary import get_human_readable_count
            measured = _example_step(pl_module)
            root = type(pl_module).__name__
            per_layer = [sum(v for (phase, module, _), v in measured.records.items() if phase != "recompute"
                             and (module == f"{root}.{name}" or module.startswith(f"{root}.{name}.")))
                         for name in summary.layer_names]
            data = [(column, [get_human_readable_count(v) for v in per_layer] + values[len(per_layer):]
                     if column == "FLOPs" else values) for column, values in data]
            total = measured.total
        if trainer.is_global_zero:
            self.summarize(data, summary.total_parameters, summary.trainable_parameters, summary.model_size,
                           summary.total_training_modes, total_flops=total, **self._summarize_kwargs)


def _example_step(pl_module) -> Any:
    """flopcount's count of one training step of the module's example input."""
    from flopcount.measure import count_step
    # the batch as Lightning hands it to training_step, through the module's public hooks
    # (what Lightning's own private _apply_batch_transfer_handler calls, in this order)
    batch = pl_module.on_before_batch_transfer(pl_module.example_input_array, 0)
    batch = pl_module.transfer_batch_to_device(batch, pl_module.device, 0)
    inputs = pl_module.on_after_batch_transfer(batch, 0)
    had_grad = {p: p.grad for p in pl_module.parameters()}
    try:
        return count_step(pl_module, inputs)
    finally:
        for p, grad in had_grad.items():
            p.grad = grad
