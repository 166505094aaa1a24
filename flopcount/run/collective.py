"""Exact sums of Python ints across torch.distributed ranks, with or without waiting.

FLOP exceed int64's 9.2e18 and float64 rounds above 2^53, so each value travels as 31-bit
limbs in int64 (`LIMB_BITS`); one more slot counts the ranks whose values need more than
`LIMBS` limbs, and if any do, every rank (seeing the same count) takes a second round as
wide as the widest. Exact at any size.

`PendingSum` starts the sum without a host sync: the values go up through pinned memory
without blocking, the collective is queued (`async_op=True`), the result comes back into
pinned memory behind a CUDA event. `result()` blocks only until that event — the GPU work
queued before the sum, not what was queued after — so a monitor that reads step N's sum at
step N+1 never drains the GPU's queue. Backends on CPU (gloo) simply wait for the work.
"""
from __future__ import annotations

from typing import Any

LIMB_BITS = 31  # sums of 2^31-bounded limbs over up to 2^32 ranks fit in int64
LIMBS = 8       # one round carries 248 bits per value: a started sum needs no second round
#                 unless a value exceeds 2^248 (then a wider round, which every rank takes
#                 when it reads that sum; ~800 bytes a step either way: latency-bound)


def collective_device(backend: str) -> str:
    """The device type a backend's collectives take: CPU where it accepts CPU tensors
    (gloo, mpi, ucc), else the first it is registered for (NCCL: cuda, XCCL: xpu, a
    plugin's own). Mixed groups ("cpu:gloo,cuda:nccl") name theirs."""
    import torch.distributed as dist
    kinds: list[str] = []
    for part in str(backend).lower().split(","):
        if ":" in part:
            kinds.append(part.split(":", 1)[0])
        else:
            kinds += dist.Backend.backend_capability.get(part, [])
    return "cpu" if "cpu" in kinds or not kinds else kinds[0]


def group_device() -> Any:
    """The torch.device the default process group's collectives take."""
    import torch
    import torch.distributed as dist
    kind = collective_device(dist.get_backend())
    module = getattr(torch, kind, None)
    index = module.current_device() if kind != "cpu" and hasattr(module, "current_device") else None
    return torch.device(kind, index) if index is not None else torch.device(kind)


def _limbs(values: list[int], count: int) -> list[int]:
    mask = (1 << LIMB_BITS) - 1
    return [(v >> (LIMB_BITS * i)) & mask for v in values for i in range(count)]


def _join(summed: list[int], count: int, n: int) -> list[int]:
    return [sum(summed[j * count + i] << (LIMB_BITS * i) for i in range(count)) for j in range(n)]


def _width(values: list[int]) -> int:
    return max(1, max(-(-v.bit_length() // LIMB_BITS) for v in values))


class PendingSum:
    """A cross-rank sum of non-negative ints, started now and read with `result()`.
    Every rank must start the same sums in the same order, and read them in that order."""

    def __init__(self, values: list[int], device: Any) -> None:
        import torch
        import torch.distributed as dist
        self.values, self.device = values, device
        local = torch.tensor(_limbs(values, LIMBS) + [int(_width(values) > LIMBS)], dtype=torch.int64)
        self._cuda = device.type == "cuda"
        if self._cuda:  # up and back through pinned memory: neither copy waits for the queue
            self._tensor = local.pin_memory().to(device, non_blocking=True)
        else:
            self._tensor = local.to(device)
        self._work = dist.all_reduce(self._tensor, op=dist.ReduceOp.SUM, async_op=True)
        self._event = None
        if self._cuda:
            self._work.wait()  # the current stream waits for the collective; the host does not
            self._host = torch.empty_like(local).pin_memory()
            self._host.copy_(self._tensor, non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record()

    def result(self) -> list[int]:
        """The exact sums (blocks until this sum is done; a second, wide round if needed)."""
        if self._event is not None:
            self._event.synchronize()
            summed = self._host.tolist()
        else:
            self._work.wait()
            summed = self._tensor.tolist()
        if not summed[-1]:
            return _join(summed, LIMBS, len(self.values))
        return _wide(self.values, self.device)


def _wide(values: list[int], device: Any) -> list[int]:
    """The second round, as wide as the widest rank's values (every rank takes it)."""
    import torch
    import torch.distributed as dist
    width = torch.tensor([_width(values)], dtype=torch.int64, device=device)
    dist.all_reduce(width, op=dist.ReduceOp.MAX)
    count = int(width.item())
    tensor = torch.tensor(_limbs(values, count), dtype=torch.int64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return _join(tensor.tolist(), count, len(values))


def all_reduce_ints(values: list[int], device: Any) -> list[int]:
    """Exact cross-rank sum, waited for (start, resume, and the history shared at start)."""
    return PendingSum(values, device).result()


def distributed() -> tuple[int, int]:
    """(rank, world size) when torch.distributed is initialised, else (0, 1)."""
    try:
        import torch.distributed as dist
    except ImportError:
        return 0, 1
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_world() -> int:
    """Processes on this node (torchrun's LOCAL_WORLD_SIZE; 1 when not set)."""
    import os
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1
