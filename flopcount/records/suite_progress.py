"""The progress bar a suite shows while it loads its models and builds its table: on a
terminal only, and only once the work has taken a while, so scripts and tests see nothing.
"""
from __future__ import annotations

import sys
from typing import Any, Iterable, Iterator, TypeVar

#: Seconds a suite runs before its progress bar shows (on a terminal only).
PROGRESS_DELAY = 1.0
T = TypeVar("T")


def progress(items: Iterable[T], *, total: int, desc: str, unit: str, stream: Any = None,
             delay: float = PROGRESS_DELAY) -> Iterator[T]:
    """`items`, on a tqdm bar on stderr when it is a terminal and the work takes more than
    `delay` seconds (as benchmarks/__main__.py and measure/progress.py do); otherwise, or
    without tqdm, the items alone and nothing written."""
    stream = stream or sys.stderr
    bar = None
    if stream.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            bar = tqdm(total=total, desc=desc, unit=unit, file=stream, leave=False, delay=delay)
    try:
        for item in items:
            yield item
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
