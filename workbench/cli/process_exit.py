"""End the `workbench` process without the interpreter's teardown once the command is done.

Python's shutdown frees every module and object one by one (~50-100 ms of CPU after a run of
a few thousand results) although the OS reclaims all of it at once. `workbench.__main__` imports
this module before anything else, so its exit hook is the first `atexit` function registered and
therefore the last one run: by then non-daemon threads have been joined and every other exit
hook has run (the databases' close, with its WAL checkpoint, in `store/db.py`; the Node host;
Ray; temporary files). The hook then flushes stdout and stderr and calls `os._exit` with the
command's exit code.

Nothing happens unless `arm(code)` was called (only `workbench.__main__.run` does, with the code
the command exits with), so importing this module in a test or a library changes nothing.
A process that loaded a plugin or a user's Python code ends normally (see `_end`).
`is_program()` tells process-wide tunings (the collector's freeze in `lazy_command.py`) that
this process is the program itself, not a test runner invoking the CLI in-process. If
flushing fails (a closed pipe), the hook steps aside and Python's own shutdown reports it.
"""

from __future__ import annotations

import atexit
import os
import sys

_code: list[int] = []  # the armed exit code (at most one)
_program: list[bool] = []  # set when this process is the `workbench` program itself


def mark_program() -> None:
    """This process is the `workbench` program (not a test or a library user calling the CLI)."""
    _program[:] = [True]


def is_program() -> bool:
    return bool(_program)


def arm(code: int) -> None:
    """Exit with `code` at the end of the exit hooks, skipping the interpreter's teardown."""
    _code[:] = [code]


def _end() -> None:
    if not _code:
        return
    # A plugin's or a user's Python module may keep a buffered file in its globals that only the
    # teardown flushes: then the process ends as Python ends it. (Looked up, not imported: this
    # module loads before everything else and must stay light.)
    plugins = sys.modules.get("workbench.plugins")
    if plugins is not None and plugins.outside_code_loaded():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(_code[0])


atexit.register(_end)
