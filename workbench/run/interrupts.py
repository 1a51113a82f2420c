"""SIGTERM behaves like Ctrl-C, and an interrupted run never waits on a stuck worker thread.

`install_sigterm()` (called by the CLI entry point) routes SIGTERM to whatever handles SIGINT at
that moment: asyncio's runner during a run (the workers are cancelled, finished results flushed,
the run marked `interrupted`), Python's KeyboardInterrupt elsewhere. The exit code then says
which signal it was: 130 for SIGINT, 143 for SIGTERM (128 + the signal number).

litellm runs parts of each call in the event loop's default thread pool (a first call may spend
seconds importing there); `asyncio.run` waits for that pool when it closes. `InterruptibleExecutor`
stops waiting once the run is interrupted, so Ctrl-C takes effect within a second.
"""

from __future__ import annotations

import _thread
import asyncio
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any, TypeVar, cast

T = TypeVar("T")

EXIT_SIGINT = 130
EXIT_SIGTERM = 143

INTERRUPTED = threading.Event()
_terminated = threading.Event()


def mark_interrupted() -> None:
    """The run is being interrupted: stop waiting for worker threads, and keep stderr to one line
    (a call abandoned in a thread would print "coroutine ... was never awaited" at shutdown)."""
    INTERRUPTED.set()
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)


def interrupted_exit_code() -> int:
    return EXIT_SIGTERM if _terminated.is_set() else EXIT_SIGINT


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _terminated.set()
    mark_interrupted()
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not signal.default_int_handler:
        handler(signal.SIGINT, frame)  # asyncio's runner: cancel the run gracefully, like Ctrl-C
        return
    raise KeyboardInterrupt


def install_sigterm() -> None:
    """SIGTERM = Ctrl-C for this process, and Ctrl-C raises KeyboardInterrupt (Python's handler,
    which asyncio.run relies on) unless it is ignored. Main thread only; a no-op elsewhere."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # e.g. the entry point's exit-at-once handler
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if sys.unraisablehook is not _redeliver_swallowed_interrupt:
        _previous_hook[:] = [sys.unraisablehook]
        sys.unraisablehook = _redeliver_swallowed_interrupt


_previous_hook: list[Callable[[Any], object]] = []
REDELIVER_AFTER_S = 0.02


def _redeliver_swallowed_interrupt(unraisable: Any) -> None:
    """A Ctrl-C whose KeyboardInterrupt was raised inside a callback Python cannot raise from (a
    weakref or GC callback, `__del__`: an import's module-lock callback, say) is only printed as
    "Exception ignored in ..." and lost: the run went on to its end. Deliver it again instead, a
    moment later from another thread (delivered now, it would land in this hook, which is such a
    callback too), to whatever handles Ctrl-C then. SIGTERM's flag is already set (exit 143)."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_interrupt_main_later, ())
        return
    (_previous_hook[0] if _previous_hook else sys.__unraisablehook__)(unraisable)


def _interrupt_main_later() -> None:
    time.sleep(REDELIVER_AFTER_S)
    _thread.interrupt_main(signal.SIGINT)


class InterruptibleExecutor(ThreadPoolExecutor):
    """The default executor of a run's loop: closing it waits for its threads unless interrupted."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        interrupted = INTERRUPTED.is_set()
        super().shutdown(wait=wait and not interrupted, cancel_futures=cancel_futures or interrupted)


def run_interruptibly(coro: Coroutine[Any, Any, T], runner: Callable[[Any], Any] = asyncio.run) -> T:
    """`runner(coro)` (asyncio.run, uvloop.run) with an InterruptibleExecutor as the loop's default executor."""

    async def main() -> T:
        asyncio.get_running_loop().set_default_executor(InterruptibleExecutor(thread_name_prefix="workbench"))
        return await coro

    try:
        return cast(T, runner(main()))
    except KeyboardInterrupt:
        mark_interrupted()
        raise
