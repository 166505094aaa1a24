"""What a run trains on, found rather than typed: accelerator, device count, precision and
parameter count, for the ledger rows and so for records built from a ledger.

torch is imported only inside the functions (the core stays installable without it).
"""
from __future__ import annotations

import platform
import re
from typing import Any

from ..data.accelerators import DEVICE_NAME_PATTERNS

#: torch dtypes by the precision names of the accelerator table.
_DTYPE_PRECISION = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "float64": "fp64"}


def accelerator_id(device_name: str) -> str | None:
    """The accelerator table's id for a reported device name (None: not in the table)."""
    name = device_name.lower().replace("-", " ").replace("_", " ")
    for pattern, acc in DEVICE_NAME_PATTERNS:
        if re.search(pattern, name):
            return acc or None
    return None


def cpu_name() -> str:
    """The CPU model as the OS reports it (Linux /proc/cpuinfo), else platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def precision_of(model: Any, hint: str | None = None) -> str:
    """`hint` (a framework's mixed-precision setting) if given, else the floating dtype
    holding most trainable weights; fp32 matmuls that may run as TF32 stay "fp32"."""
    if hint:
        return hint
    sizes: dict[str, int] = {}
    for p in model.parameters():
        name = str(p.dtype).replace("torch.", "")
        if p.is_floating_point():
            sizes[name] = sizes.get(name, 0) + p.numel()
    if not sizes:
        return "fp32"
    return _DTYPE_PRECISION.get(max(sizes, key=sizes.get), max(sizes, key=sizes.get))


def describe(model: Any, precision_hint: str | None = None) -> dict[str, Any]:
    """{"device", "name", "accelerator", "precision"} of the device the model's weights
    are on. CPU runs say "cpu" and carry the CPU model; they have no accelerator id."""
    import torch
    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "cpu":
        name = cpu_name()
    else:
        name = device.type
    return {"device": device.type, "name": name,
            "accelerator": accelerator_id(name) if device.type != "cpu" else None,
            "precision": precision_of(model, precision_hint)}


def parameters(model: Any) -> dict[str, int]:
    """Total and trainable parameters, each tensor once (tied weights are shared);
    counted from the tensors, so an MoE's total, not its per-token active count."""
    seen: dict[int, Any] = {}
    for p in model.parameters():
        seen.setdefault(id(p), p)
    return {"total": sum(p.numel() for p in seen.values()),
            "trainable": sum(p.numel() for p in seen.values() if p.requires_grad)}
