"""A progress bar over a model's layers while a step is measured: the forward pass, then
the backward pass, layer by layer. On a terminal only (stderr a TTY), and only where tqdm
is installed (it comes with transformers); otherwise nothing is shown or hooked."""
from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterator

import torch


def _layers(model: torch.nn.Module) -> torch.nn.ModuleList | None:
    """The model's longest ModuleList: its stack of decoder (or encoder) layers."""
    lists = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and len(m)]
    return max(lists, key=len) if lists else None


@contextlib.contextmanager
def layer_progress(model: torch.nn.Module, label: str, *, enabled: bool | None = None,
                   stream: Any = None) -> Iterator[Any]:
    """Count forward and backward passes through each layer on a tqdm bar. Hooks only
    observe: they change no op, so the count is the same with or without the bar."""
    stream = stream or sys.stderr
    enabled = stream.isatty() if enabled is None else enabled
    layers = _layers(model) if enabled else None
    try:
        from tqdm import tqdm
    except ImportError:
        layers = None
    if layers is None:
        yield None
        return
    bar = tqdm(total=2 * len(layers), desc=label, unit="layer", leave=False, file=stream)

    def tick(*_: Any) -> None:  # returns None: a hook's return value would replace the output
        bar.update()

    handles = [layer.register_forward_hook(tick) for layer in layers]
    handles += [layer.register_full_backward_hook(tick) for layer in layers]
    try:
        yield bar
    finally:
        for handle in handles:
            handle.remove()
        bar.close()
