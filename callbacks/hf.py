"""HuggingFace Trainer adapter.

    monitor = ComputeMonitor("my-model", ledger="compute.db")
    trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[FlopcountCallback(monitor)])
    trainer.train()            # or .train(resume_from_checkpoint=<any checkpoint folder>)

Each micro-batch's forward + backward is measured (once per input-shape signature)
from a forward pre-hook on the model to the end of that micro-batch (`on_substep_end`
or `on_pre_optimizer_step`), so gradient accumulation, mixed precision and frozen
parameters are counted as they run; evaluation forwards (model in eval mode) are recorded
as evaluation. The cumulative totals go into the Trainer's training logs (`flopcount/...`),
hence to TensorBoard / W&B / MLflow like any metric and into `state.log_history`
(`trainer_state.json`); threshold events go with them as metrics (`flopcount/<threshold>/
<event>_step`, the notification deadline as `..._notify_by_days`) and as text
(`flopcount/events`). With `callbacks=[...]` the Trainer places this callback after its
reporting callbacks; at the end of the Trainer's init it moves itself to the front so that
they see its keys. A threshold in `monitor.stop_on` stops training through
`control.should_training_stop`. The monitor's state is saved in `trainer_state.json`
(the Trainer's exportable callback state, `stateful_callbacks`) and in
`flopcount_monitor.json` in each checkpoint folder, and is restored from whichever
checkpoint training resumes from, in any folder.
"""
from __future__ import annotations

import json
import os
from typing import Any

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from flopcount.measure.meter import StepMeter, count_tokens
from flopcount.callbacks.events import event_metrics
from flopcount.run import ComputeMonitor, ThresholdEvent

STATE_FILE = "flopcount_monitor.json"
#: Keys only the Trainer's end-of-training summary holds. Not `train_runtime`: with
#: `include_num_input_tokens_seen` every step's log carries it (speed metrics per log).
SUMMARY_KEYS = ("train_loss", "total_flos")


class FlopcountCallback(TrainerCallback, ExportableState):
    def __init__(self, monitor: ComputeMonitor | None = None, **meter_options: Any) -> None:
        """`monitor=None` (as `report_to=["flopcount"]` builds it): a monitor is made at the
        end of the Trainer's init from $FLOPCOUNT_MODEL (default: the model's name or type),
        $FLOPCOUNT_LEDGER (default: none), $FLOPCOUNT_PHASE (default pre-training) and the
        key variables the monitor reads itself."""
        self.monitor: ComputeMonitor | None = None
        self._events: list[ThresholdEvent] = []
        self._ended = False
        if monitor is not None:
            self._bind(monitor)
        self.meter_options = meter_options
        self.meter: StepMeter | None = None
        self._hooks: list[Any] = []
        self._kind, self._tokens = "train", 0
        self._begun = True  # set False by on_train_begin; the first step then restores and projects

    def _bind(self, monitor: ComputeMonitor) -> None:
        self.monitor = monitor
        monitor.handlers.append(self._events.append)
        monitor.raise_on_stop = False  # the Trainer stops through its control flags

    def _monitor_from_environment(self, model: Any) -> ComputeMonitor:
        config = getattr(model, "config", None)
        name = (os.environ.get("FLOPCOUNT_MODEL") or getattr(config, "_name_or_path", "")
                or getattr(config, "model_type", "") or type(model).__name__)
        return ComputeMonitor(name, ledger=os.environ.get("FLOPCOUNT_LEDGER") or None,
                              phase=os.environ.get("FLOPCOUNT_PHASE", "pre-training"))

    def attach(self, trainer: Any) -> "FlopcountCallback":
        """Register first, so reporting callbacks see the keys this one adds to the logs
        (the same as passing it in `callbacks=[...]`)."""
        trainer.callback_handler.callbacks.insert(0, self)
        self._hook(trainer.model)
        return self

    def _first_in_line(self) -> None:
        """Move to the front of the Trainer's callback list. The Trainer appends user
        callbacks after its reporters (TensorBoard, W&B, MLflow), which would then log each
        step before this callback adds its keys; no callback event hands over the handler,
        so its list is found among the objects that refer to this callback."""
        import gc
        for holder in gc.get_referrers(self):
            if (isinstance(holder, list) and holder and holder[0] is not self
                    and all(isinstance(c, TrainerCallback) for c in holder)
                    and any(type(c).__name__ == "DefaultFlowCallback" for c in holder)):
                holder.remove(self)
                holder.insert(0, self)

    def state(self) -> dict:
        """The monitor's state for `trainer_state.json` (written at each checkpoint; the
        monitor writes its pending steps first, so the ledger ends at this step). Kept under
        its own attribute name: the Trainer's optional restore sets attributes as given."""
        running = self.monitor is not None and self.monitor.running
        return {"args": {}, "attributes": {"flopcount_state": self.monitor.state_dict() if running else None}}

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
            c = self.meter.count()
            self.monitor.record(c.flops, tokens=self._tokens, kind="eval", notes=c.notes)

    def _finish_micro_batch(self) -> None:
        if self.meter is not None and self.meter.active and self._kind == "train":
            c = self.meter.count()  # never raises: what it cannot count is a warning and a note
            self.monitor.record(c.flops, tokens=self._tokens, recomputed=c.recomputed, method=c.method,
                                notes=c.notes)

    # -- Trainer hooks ------------------------------------------------------------------
    def on_init_end(self, args, state, control, model=None, **kwargs):
        if self.monitor is None:
            self._bind(self._monitor_from_environment(model))
        self._first_in_line()

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if model is not None:
            self._hook(model)
            self.monitor.describe(model, "bf16" if args.bf16 else "fp16" if args.fp16 else None)
        self._begun, self._ended = False, False

    def on_step_begin(self, args, state, control, **kwargs):
        """First step: the Trainer has now restored its state when resuming (older
        versions do so after on_train_begin): restore the monitor from that checkpoint."""
        if getattr(self, "_begun", True):
            return
        self._begun = True
        if self.monitor.planned_steps is None and state.max_steps > 0:
            self.monitor.planned_steps = state.max_steps
        saved = self._saved_state(args, state)
        if saved is not None:
            self.monitor.load_state_dict(saved)
        self.monitor.start()

    def _saved_state(self, args: Any, state: Any) -> dict | None:
        """The monitor state of the checkpoint being resumed: from `trainer_state.json`
        (wherever the checkpoint is), else the file beside it in `output_dir`."""
        if state.global_step <= 0:
            return None
        saved = (state.stateful_callbacks or {}).get(type(self).__name__)
        for entry in saved if isinstance(saved, list) else [saved]:
            monitor = (entry or {}).get("attributes", {}).get("flopcount_state")
            if monitor and int(monitor.get("step", -1)) == state.global_step:
                return monitor
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}", STATE_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        return None

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
        if logs is None or any(k in logs for k in SUMMARY_KEYS) or any(k.startswith(("eval_", "test_")) for k in logs):
            return  # evaluation and end-of-training summaries: the totals went with the step's log
        ours: dict[str, Any] = self.monitor.metrics()  # totals, MFU and joules per step since the last log
        ours.update(event_metrics(self._events))
        self._events.clear()
        logs.update(ours)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(ours)  # appended before on_log is called

    def on_evaluate(self, args, state, control, **kwargs):
        if self._ended:  # an evaluation after training: write it, nothing else will
            self.monitor.sync()
            self.monitor.flush()

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
        self._ended = True
        for hook in self._hooks:
            hook.remove()
        self._hooks, self.meter = [], None


def _register() -> None:
    """`report_to=["flopcount"]` in TrainingArguments adds the callback (after this module
    is imported), next to "tensorboard", "wandb", ..."""
    from transformers.integrations import integration_utils
    integration_utils.INTEGRATION_TO_CALLBACK.setdefault("flopcount", FlopcountCallback)


_register()
