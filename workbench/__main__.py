"""`python -m workbench` and the `workbench` script: a signal is handled from the first line.

Until the CLI has imported (a second or more on a busy machine), Ctrl-C or SIGTERM ends the
process at once with one line and exit 130/143: nothing has been opened or written yet. Then
`workbench.cli.main.main` takes over (Ctrl-C stays Python's, which asyncio relies on). When the
command has finished, the process ends without the interpreter's teardown (`cli/process_exit.py`).
"""

import os
import signal
import sys
from types import FrameType

from workbench.cli import process_exit  # first: its exit hook must be the last one to run
from workbench.cli.main import main


def _exit_now(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("Interrupted.\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def run() -> None:
    interruptible = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if interruptible:
        signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGTERM, _exit_now)

    if interruptible:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            process_exit.arm(e.code or 0)  # the command is done: skip the interpreter's teardown
        raise


if __name__ == "__main__":
    run()
