"""Measure one training step of any nn.Module with either backend."""
from __future__ import annotations

from typing import Any, Callable

import torch

from .conventions import install
from .result import Measurement
from .torch_backend import TorchCounter

BACKENDS = ("torch", "fvcore")


def call(model: torch.nn.Module, inputs: Any) -> Any:
    """model(**inputs) for a mapping, model(*inputs) for a tuple/list, else model(inputs)."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def default_loss(output: Any) -> torch.Tensor:
    """The step's scalar: `.loss` if the model computed one, else the sum of `.logits` or
    of the output tensor (the reduction's FLOP are element-wise, counted only on opt-in)."""
    loss = getattr(output, "loss", None)
    if isinstance(loss, torch.Tensor):
        return loss
    tensor = getattr(output, "logits", output)
    if isinstance(output, (tuple, list)):
        tensor = output[0]
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"cannot find a tensor to backpropagate in the model output ({type(output).__name__}); "
                        "pass loss=callable(output) -> scalar tensor")
    return tensor.float().sum()


def count_step(model: torch.nn.Module, inputs: Any, *, backend: str = "torch", backward: bool | None = None,
               loss: Callable[[Any], torch.Tensor] | None = None, optimizer: torch.optim.Optimizer | None = None,
               elementwise: bool = False, attention: str = "full", causal_model: bool = False,
               tokens: int | None = None, spec: Any = None) -> Measurement:
    """FLOP of one step: forward, backward (when any parameter trains, unless
    backward=False) and optionally `optimizer.step()`.

    Works on the meta device (shapes only), except optimizer steps, which read step counts.
    With the model's `spec`, the attention convention is applied per layer (windows,
    chunks; `measure.conventions`); without it, causal SDPA calls get the causal row.
    """
    if backend == "fvcore":
        from .fvcore_backend import count_fvcore
        return count_fvcore(model, inputs, backward=backward, elementwise=elementwise, tokens=tokens)
    if backend != "torch":
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    trains = any(p.requires_grad for p in model.parameters())
    backward = trains if backward is None else backward
    with TorchCounter(elementwise=elementwise, attention=attention, causal_model=causal_model,
                      tokens=tokens) as counter:
        handles = install(model, spec, counter) if spec is not None else []
        try:
            output = call(model, inputs)
            if backward:
                (loss or default_loss)(output).backward()
            if optimizer is not None:
                with counter.optimizer_phase():
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        finally:
            for handle in handles:
                handle.remove()
    if not backward:
        counter.result.notes.append("forward only")
    return counter.result
