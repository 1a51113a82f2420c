"""`python -m workbench` and the `workbench` script: a signal is handled from this module's first lines.

Until the CLI has imported (~0.15 s idle, a second or more on a busy machine), Ctrl-C or SIGTERM
ends the process at once with one line and exit 130/143: nothing has been opened or written yet.
The handlers are installed before `workbench.cli.main` is imported, then `main()` takes over (Ctrl-C
goes back to Python's KeyboardInterrupt, which asyncio relies on). Before this module runs (the
interpreter's own start, ~0.05 s idle) Python's defaults apply: see docs/guarantees.md. When the
command has finished, the process ends without the interpreter's teardown (`cli/process_exit.py`).
"""

import os
import signal
import sys
from types import FrameType


def _exit_now(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("Interrupted.\n")
    sys.stderr.flush()
    os._exit(128 + signum)


if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when Ctrl-C is ignored (nohup, &)
    signal.signal(signal.SIGINT, _exit_now)
signal.signal(signal.SIGTERM, _exit_now)

# After the handlers (these imports are most of start-up); process_exit before any other exit
# hook is registered: its hook must be the last one to run. Then the dataclasses' compiled methods
# come from their cache (workbench/dataclass_code.py), before any of the library's classes is made.
from workbench import dataclass_code  # noqa: E402
from workbench.cli import process_exit  # noqa: E402

dataclass_code.install()  # its exit hook (saving what this run compiled) runs before process_exit's

from workbench.cli.main import main  # noqa: E402


def run() -> None:
    process_exit.mark_program()
    try:
        main()  # sets Ctrl-C back to Python's KeyboardInterrupt and SIGTERM to its own handler
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            process_exit.arm(e.code or 0)  # the command is done: skip the interpreter's teardown
        raise


if __name__ == "__main__":
    run()
