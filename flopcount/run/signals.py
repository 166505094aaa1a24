"""Write what is pending when a scheduler pre-empts the job (SIGTERM), on Ctrl-C (SIGINT)
and at interpreter exit — then hand the signal to the handler that was there before, so a
framework's own handling still runs (default: terminate; Ctrl-C: KeyboardInterrupt)."""
from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger("flopcount")


class SignalGuard:
    """Chains `write` onto SIGTERM/SIGINT (main thread only: Python's rule) and exit.

    A signal that arrives while `writing()` is true is deferred: the write finishes, then
    `after_write()` handles it (a half-written ledger append is never abandoned)."""

    def __init__(self, write: Callable[[], None], writing: Callable[[], bool],
                 at_exit: Callable[[], bool]) -> None:
        self.write, self.writing, self.at_exit_wanted = write, writing, at_exit
        self.previous: dict[int, Any] = {}
        self.deferred: int | None = None
        self.installed = False

    def install(self) -> None:
        import atexit
        import signal
        import threading
        if self.installed:
            return
        self.installed = True
        atexit.register(self._at_exit)
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self.on_signal)

    def on_signal(self, signum: int, frame: Any) -> None:
        """Write the finished steps, then do what the previous handler would have done."""
        import os
        import signal
        if self.writing():  # interrupted inside a write: finish it first
            self.deferred = signum
            return
        try:
            self.write()
        except Exception:  # never let the write stop the signal from doing its job
            log.exception("flopcount: could not write pending steps on signal %s", signum)
        previous = self.previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            self.restore()
            os.kill(os.getpid(), signum)  # default action (terminate) with the handler gone

    def after_write(self) -> None:
        """Handle a signal that arrived mid-write."""
        if self.deferred is not None:
            signum, self.deferred = self.deferred, None
            self.on_signal(signum, None)

    def restore(self) -> None:
        import atexit
        import signal
        atexit.unregister(self._at_exit)  # a closed monitor must not be kept alive by atexit
        for signum, previous in self.previous.items():
            if signal.getsignal(signum) == self.on_signal:
                signal.signal(signum, previous)
        self.previous.clear()
        self.installed = False

    def _at_exit(self) -> None:
        if self.at_exit_wanted():
            try:
                self.write()
            except Exception:
                log.exception("flopcount: could not write pending steps at exit")
