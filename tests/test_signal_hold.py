"""hold_signals(): a Ctrl-C or SIGTERM inside the block takes effect right after it, never inside."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import pytest

from workbench.signal_hold import hold_signals


def test_a_ctrl_c_inside_the_block_is_raised_after_it_with_the_block_complete() -> None:
    before = signal.getsignal(signal.SIGINT)
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with hold_signals():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # Python runs a pending handler within a few bytecodes
                pass
            steps.append("end of block")
        steps.append("after the block")  # never reached: the held Ctrl-C is raised on leaving
    assert steps == ["end of block"]
    assert signal.getsignal(signal.SIGINT) is before


def test_sigterm_goes_to_its_previous_handler_once_and_nested_holds_release_at_the_outermost() -> None:
    seen: list[int] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with hold_signals():
            with hold_signals():
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):
                    pass
            assert seen == []  # the inner block's end is still inside the outer hold
        assert seen == [signal.SIGTERM]  # delivered once, to the handler that was there before
        assert signal.getsignal(signal.SIGTERM) is on_term
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_no_signal_no_effect_and_other_threads_run_the_block_unguarded() -> None:
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with hold_signals():
        pass
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    errors: list[BaseException] = []

    def in_thread() -> None:
        try:
            with hold_signals():  # signal.signal() would raise ValueError outside the main thread
                pass
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    t = threading.Thread(target=in_thread)
    t.start()
    t.join()
    assert errors == []
