"""Hold Ctrl-C and SIGTERM for a few statements that must not be cut in half.

Python runs a signal's handler between any two bytecodes of the main thread, so a Ctrl-C can
land between committing a run's row and the caller learning that row's id, or in the middle of
the transaction that marks a run finished; the run would then stay `running` for ever.
`hold_signals()` replaces the SIGINT and SIGTERM handlers by one that only records the signal,
and on leaving puts the previous handlers back and hands them the recorded signal, so the
interruption takes effect right after the block, with the block complete. Keep such blocks short:
a held signal waits for the block to end.

Handlers are per process and run in the main thread only (blocking signals with
`pthread_sigmask` would not do: a worker thread left with them unblocked still takes the signal
and the main thread's handler then runs anyway). In any other thread the block runs unguarded,
as signals cannot reach it there.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HELD = (signal.SIGINT, signal.SIGTERM)

_depth = 0  # nested holds: only the outermost one swaps the handlers


@contextmanager
def hold_signals() -> Iterator[None]:
    """Delay SIGINT/SIGTERM until the block has run to its end (main thread; else a no-op)."""
    global _depth
    if threading.current_thread() is not threading.main_thread() or _depth:
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[int, Any] = {}
    _depth += 1
    try:
        for sig in HELD:
            previous[sig] = signal.signal(sig, record)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        _depth -= 1
        if received:
            _deliver(received[0], previous.get(received[0], signal.SIG_DFL))


def _deliver(signum: int, handler: Callable[[int, FrameType | None], Any] | int | None) -> None:
    """What the signal would have done had it not been held: call the handler (which usually
    raises KeyboardInterrupt), or, for the default action, send it again."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)
