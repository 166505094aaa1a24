"""Measured FLOP: count the ops a real forward/backward executes (torch or fvcore).

Needs the `measure` extra (torch; transformers for config files; fvcore for its backend).
Convention: one multiply-add = 2 FLOP.
"""
from __future__ import annotations

from pathlib import Path

from .cache import StepCache, signature
from .result import Measurement
from .step import BACKENDS, count_step
from .torch_backend import TorchCounter

__all__ = ["BACKENDS", "Measurement", "StepCache", "TorchCounter", "count_step", "measure_config", "signature"]


def measure_config(path: str | Path, seq_len: int, *, batch: int = 1, backend: str = "torch",
                   attention: str = "windowed", elementwise: bool = False, backward: bool = True,
                   progress: bool | None = False) -> Measurement:
    """Measured training FLOP of one step of `batch` sequences for a HF config.json, on meta.
    `progress=None`: a layer-by-layer bar when stderr is a terminal."""
    from . import hf
    from .progress import layer_progress

    model, spec = hf.build(path, seq_len)
    inputs = hf.sample_inputs(model, batch, seq_len)
    if "pixel_values" in inputs and spec is not None and spec.fixed_seq_len:
        seq_len = spec.fixed_seq_len
    causal = spec.causal if spec is not None else not getattr(model.config, "is_encoder_decoder", False)
    with layer_progress(model, f"measuring {Path(path).stem}", enabled=progress):
        result = count_step(model, inputs, backend=backend, backward=backward, elementwise=elementwise,
                            attention=attention, causal_model=causal, tokens=batch * seq_len, spec=spec)
    if spec is None:
        result.notes.append("no flopcount reader for this model_type: measured only, no analytic comparison")
    elif spec.is_moe:
        result.notes.append("MoE on meta: expert load assumed tokens × top-k spread over experts; the "
                            "grouped-GEMM count depends only on that total")
    return result
