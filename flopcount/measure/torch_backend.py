"""Counting what really runs, op by op, with a TorchDispatchMode.

Uses torch's own formula registry (`torch.utils.flop_counter.flop_registry`, the one
FlopCounterMode uses) plus `measure.formulas.REGISTRY` for the ops torch 2.13 misses, and
splits every op into a phase:
- forward: outside autograd's backward;
- backward: inside a backward graph task with grad mode off (how autograd runs nodes);
- recompute: inside a backward graph task with grad mode on — torch.utils.checkpoint
  (reentrant or not) re-runs the forward under `enable_grad()`; excluded from training
  compute (Guidelines Annex A.1). Caveat: `backward(create_graph=True)` looks the same;
- optimizer: inside `counter.optimizer_phase()`.

Tensor parallel (DTensor): a dispatch mode sees a DTensor op once per rank with its
global shapes, so each rank would count the whole op and a TP group of n would count it
n times. Each rank counts an equal share of such an op instead (the remainder on the
mesh's first rank), so the group's sum is the op's count exactly, once — sharded matmuls
are split as they run, replicated DTensor work is not counted n times. Plain-tensor ops
(attention on a rank's local heads) are that rank's own work and count whole.

Causal attention convention: FlopCounterMode counts full T² for attention. With
attention="causal", every `F.scaled_dot_product_attention` call that is causal (is_causal,
or a mask on a model declared causal, square q/k) gets an explicit, exact correction row
"attention causal mask" of −(1 − pairs_causal/pairs_full) × its matmul FLOP, forward
and, through a gradient hook on its output, backward (2×). A fused kernel that carries
its own mask (is_causal, a window: SDPA's kernels, flash-attn's ops, varlen attention) is
corrected at the kernel instead, forward and backward, under "causal" and "windowed";
the F.sdpa call then corrects only what its kernel cannot know (a mask passed as a
tensor) or what ran unfused (the math path).

Never fatal: an op whose formula raises is recorded as not counted, with the error
(`Measurement.failed`), and the step runs on; the meter warns and notes it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.module_tracker import ModuleTracker

from . import attention, formulas
from .result import Measurement

CAUSAL_ROW = "attention causal mask"


def _dtensor_mesh(args: tuple, out: Any) -> Any:
    """The device mesh of the first DTensor among an op's arguments or output, else None."""
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # torch built without distributed
        return None
    for x in (*args, out):
        if isinstance(x, DTensor):
            return x.device_mesh
    return None


def _share(flops: int, mesh: Any) -> int:
    """This rank's equal share of an op run by every rank of `mesh` (exact in sum)."""
    n = mesh.size()
    first = all(c == 0 for c in (mesh.get_coordinate() or [0]))
    return flops // n + (flops % n if first else 0)


class _Dispatch(TorchDispatchMode):
    def __init__(self, counter: "TorchCounter") -> None:
        super().__init__()
        self.counter = counter

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        try:
            self.counter._record(func, args, kwargs, out)
        except Exception as error:  # counting must never stop the step it counts
            self.counter._failed(func, error)
        return out


class _SDPAWatch(TorchFunctionMode):
    def __init__(self, counter: "TorchCounter") -> None:
        super().__init__()
        self.counter = counter

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not F.scaled_dot_product_attention:
            return func(*args, **kwargs)
        self.counter._in_sdpa += 1
        self.counter._kernel_seen = False
        try:
            out = func(*args, **kwargs)
        finally:
            self.counter._in_sdpa -= 1
        try:
            self.counter._causal_correction(args, kwargs, out)
        except Exception as error:  # counting must never stop the step it counts
            self.counter._failed(func, error, name=CAUSAL_ROW)
        return out


class TorchCounter:
    """Context manager counting FLOP of everything run inside it, into a `Measurement`."""

    def __init__(self, *, elementwise: bool = False, attention: str = "full", causal_model: bool = False,
                 tokens: int | None = None, modules: bool = True) -> None:
        self.result = Measurement("torch", attention=attention, elementwise=elementwise, tokens=tokens)
        self.causal_model = causal_model
        self._forced_phase: str | None = None
        # Per-module attribution hooks every module's backward through multi-grad hooks,
        # which torch refuses under autograd.grad on leaves (pipeline schedules run
        # stage backward that way): modules=False counts the same ops, unattributed.
        self._tracker = ModuleTracker() if modules else None
        self._modes: list[Any] = []
        self.convention_hooks = False  # per-layer corrections installed (measure.conventions)
        self._in_sdpa = 0              # inside an F.scaled_dot_product_attention call
        self._kernel_seen = False      # ... which reached a fused kernel (it applies its own mask)

    # -- context ---------------------------------------------------------------------
    def __enter__(self) -> "TorchCounter":
        if self._tracker is not None:
            self._tracker.__enter__()
        self._modes = [_SDPAWatch(self), _Dispatch(self)]
        for mode in self._modes:
            mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        for mode in reversed(self._modes):
            mode.__exit__(*exc)
        self._modes = []
        if self._tracker is not None:
            self._tracker.__exit__()

    @contextmanager
    def optimizer_phase(self) -> Iterator[None]:
        self._forced_phase = "optimizer"
        try:
            yield
        finally:
            self._forced_phase = None

    # -- bookkeeping -------------------------------------------------------------------
    def _phase(self) -> str:
        if self._forced_phase:
            return self._forced_phase
        if torch._C._current_graph_task_id() == -1:
            return "forward"
        return "recompute" if torch.is_grad_enabled() else "backward"

    def _module(self) -> str:
        return max(self._tracker.parents, key=len) if self._tracker is not None else "(not attributed)"

    def _failed(self, func: Any, error: Exception, name: str | None = None) -> None:
        """An op its formula could not count: not counted, with the reason kept."""
        op = name or _op_name(func)
        self.result.uncounted[op] += 1
        self.result.failed.setdefault(op, f"{type(error).__name__}: {error}")

    def _record(self, func: Any, args: tuple, kwargs: dict, out: Any) -> None:
        result = self.result
        counted = formulas.count(func, args, kwargs, out)
        phase, module = self._phase(), self._module()
        op = _op_name(func)
        if counted is not None:
            training, recomputed = counted
            mesh = _dtensor_mesh(args, out)
            if mesh is not None:
                training, recomputed = _share(training, mesh), _share(recomputed, mesh)
                result.shared = True
            result.add(phase, module, op, training)
            result.add("recompute", module, op, recomputed)
            self._kernel_mask(func, args, kwargs, phase, module)
            return
        if formulas.moves_data(func):
            return
        if self.result.elementwise:
            flops = formulas.elementwise(func, out, args)
            if flops is not None:
                result.add(phase, module, op, flops)
                return
        result.uncounted[op] += 1
        if "::" in op:  # a custom kernel: where it ran, for the first-step cross-check
            result.uncounted_modules[module] += 1

    def _kernel_mask(self, func: Any, args: tuple, kwargs: dict, phase: str, module: str) -> None:
        """The convention's row for a fused kernel, from the mask the kernel itself applies
        (causal flag, window), forward and backward alike. A mask passed as a tensor is
        not the kernel's to know: F.sdpa's call corrects those (`_causal_correction`)."""
        if self.result.attention == "full" or self.convention_hooks:
            return
        found = attention.parse(func, args, kwargs)
        if found is None:
            return
        self._kernel_seen = True
        kind, call = found
        saved = call.saved(self.result.attention)
        self.result.add(phase, module, CAUSAL_ROW, -saved if kind == "forward" else -2 * saved)

    def _causal_correction(self, args: tuple, kwargs: dict, out: torch.Tensor) -> None:
        if self.result.attention != "causal" or self.convention_hooks:
            return
        names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal")
        bound = dict(zip(names, args)) | kwargs
        q, k, v = bound["query"], bound["key"], bound["value"]
        s_q, s_k = q.shape[-2], k.shape[-2]
        mask_causal = bound.get("attn_mask") is not None and self.causal_model and s_q == s_k
        if bound.get("is_causal") and self._kernel_seen:
            return  # a fused kernel ran with its causal flag: corrected there, backward too
        if not (bound.get("is_causal") or mask_causal):
            return
        call = replace(attention.shapes_call(q, k, v), causal=True)
        saved = call.saved("causal")
        module, phase = self._module(), self._phase()
        self.result.add(phase, module, CAUSAL_ROW, -saved)
        if phase == "forward" or phase == "recompute":
            if isinstance(out, torch.Tensor) and out.requires_grad:
                grad_phase = "backward"
                out.register_hook(lambda g: self.result.add(grad_phase, module, CAUSAL_ROW, -2 * saved))


def _op_name(func: Any) -> str:
    """aten ops by their short name (as torch's counter reports them); custom ops with
    their namespace (`flash_attn::_flash_attn_forward`), so they are known as such."""
    name = attention.name_of(func)
    return name.split("::", 1)[1] if name.startswith(("aten::", "prims::")) else name
