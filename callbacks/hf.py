"""HuggingFace Trainer adapter.

    monitor = ComputeMonitor("my-model", ledger="compute.db")
    trainer = Trainer(model=model, args=args, train_dataset=ds)
    FlopcountCallback(monitor).attach(trainer)
    trainer.train()

Each micro-batch's forward + backward is measured (once per input-shape signature)
from a forward pre-hook on the model to the end of that micro-batch (`on_substep_end`
or `on_pre_optimizer_step`), so gradient accumulation, mixed precision and frozen
parameters are counted as they run; evaluation forwards (model in eval mode) are recorded
as evaluation. The cumulative totals go into the Trainer's logs (`flopcount/...`), hence
to TensorBoard / W&B / MLflow like any metric; `attach` puts this callback first so the
reporting callbacks see those keys. A threshold in `monitor.stop_on` stops training through
`control.should_training_stop`. The monitor's state is saved in each checkpoint folder
(`flopcount_monitor.json`) and restored when training resumes from it.
"""
from __future__ import annotations

import json
import os
from typing import Any

import torch
from transformers import TrainerCallback

from flopcount.measure.meter import StepMeter, count_tokens
from flopcount.monitor import ComputeMonitor

STATE_FILE = "flopcount_monitor.json"


class FlopcountCallback(TrainerCallback):
    def __init__(self, monitor: ComputeMonitor, **meter_options: Any) -> None:
        self.monitor = monitor
        monitor.raise_on_stop = False  # the Trainer stops through its control flags
        self.meter_options = meter_options
        self.meter: StepMeter | None = None
        self._hooks: list[Any] = []
        self._kind, self._tokens = "train", 0
        self._begun = True  # set False by on_train_begin; the first step then restores and projects

    def attach(self, trainer: Any) -> "FlopcountCallback":
        """Register first, so reporting callbacks see the keys this one adds to the logs."""
        trainer.callback_handler.callbacks.insert(0, self)
        self._hook(trainer.model)
        return self

    def _hook(self, model: torch.nn.Module) -> None:
        if self.meter is not None:
            return
        self.meter = StepMeter(model, **self.meter_options)
        self._hooks = [model.register_forward_pre_hook(self._pre, with_kwargs=True),
                       model.register_forward_hook(self._post, with_kwargs=True)]

    def _pre(self, module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        if self.meter.active:  # a nested call of the same model: already inside a measured step
            return
        inputs = kwargs or args
        self._kind = "train" if module.training and torch.is_grad_enabled() else "eval"
        self._tokens = count_tokens(kwargs)
        self.meter.begin(inputs)

    def _post(self, module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if self._kind == "eval" and self.meter.active:
            self.monitor.record(self.meter.end().total, tokens=self._tokens, kind="eval")

    def _finish_micro_batch(self) -> None:
        if self.meter is not None and self.meter.active and self._kind == "train":
            m = self.meter.end()
            self.monitor.record(m.total, tokens=self._tokens, recomputed=m.recomputed)

    # -- Trainer hooks ------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if model is not None:
            self._hook(model)
        self._begun = False

    def on_step_begin(self, args, state, control, **kwargs):
        """First step: the Trainer has now restored its state when resuming (it does so
        after on_train_begin), so global_step names the checkpoint to restore from."""
        if getattr(self, "_begun", True):
            return
        self._begun = True
        if self.monitor.planned_steps is None and state.max_steps > 0:
            self.monitor.planned_steps = state.max_steps
        saved = os.path.join(args.output_dir, f"checkpoint-{state.global_step}", STATE_FILE)
        if state.global_step > 0 and os.path.exists(saved):
            with open(saved, encoding="utf-8") as f:
                self.monitor.load_state_dict(json.load(f))
        self.monitor.start()

    def on_substep_end(self, args, state, control, **kwargs):
        self._finish_micro_batch()

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self._finish_micro_batch()

    def on_step_end(self, args, state, control, **kwargs):
        self._finish_micro_batch()
        self.monitor.end_step()
        if self.monitor.should_stop:
            control.should_training_stop = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is not None:
            q = self.monitor.quantities()
            logs["flopcount/training_flop"] = float(q["training"])
            logs["flopcount/cumulative_flop"] = float(q["cumulative"])
            logs["flopcount/run_training_flop"] = float(self.monitor.training)

    def on_save(self, args, state, control, **kwargs):
        payload = self.monitor.state_dict()  # local: writes on rank 0, no collective
        if state.is_world_process_zero:
            folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, STATE_FILE), "w", encoding="utf-8") as f:
                json.dump(payload, f)

    def on_train_end(self, args, state, control, **kwargs):
        self.monitor.sync()   # every rank is here: sum evaluations run after the last step
        self.monitor.flush()
        for hook in self._hooks:
            hook.remove()
        self._hooks, self.meter = [], None
