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


SWALLOWED = """
import os, signal, sys, time, weakref
from workbench.run.interrupts import install_sigterm, interrupted_exit_code
if sys.argv[2] == "hook":
    install_sigterm()
else:
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt))
sig = getattr(signal, sys.argv[1])

class Lock: pass

def callback(ref):  # like importlib's module-lock callback: Python cannot raise from here
    os.kill(os.getpid(), sig)
    for _ in range(1000):
        pass

lock = Lock()
ref = weakref.ref(lock, callback)
t0 = time.monotonic()
try:
    del lock  # the callback runs now; the KeyboardInterrupt raised in it is only printed
    while time.monotonic() - t0 < 3:
        pass
    print("lost")
except KeyboardInterrupt:
    print(f"interrupted {time.monotonic() - t0:.2f} {interrupted_exit_code()}")
"""


@pytest.mark.parametrize("sig,code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_python_swallows_in_a_callback_is_delivered_again(sig: str, code: int) -> None:
    """Python drops a KeyboardInterrupt raised inside a weakref/GC callback (an import's module
    lock, say): the run then went on to its end. The CLI's hook delivers it again."""
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    res = subprocess.run(
        [sys.executable, "-c", SWALLOWED, sig, "hook"], capture_output=True, text=True, timeout=30, env=env
    )
    word, took, exit_code = res.stdout.split()
    assert (word, int(exit_code)) == ("interrupted", code), res.stderr
    assert float(took) < 1.0
    assert "Exception ignored" not in res.stderr
    # without the hook, Python prints the KeyboardInterrupt and carries on: the signal is lost
    res = subprocess.run(
        [sys.executable, "-c", SWALLOWED, sig, "plain"], capture_output=True, text=True, timeout=30, env=env
    )
    assert res.stdout == "lost\n" and "Exception ignored" in res.stderr
