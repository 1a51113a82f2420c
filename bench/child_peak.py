"""Peak RSS, CPU and wall time of one command, measured from a fresh small parent.

`ru_maxrss` of a child, as `os.wait4` reports it, is not the child's own peak when the parent is
large: Linux carries the parent's high-water mark into the child at fork (and vfork+exec keeps
the parent's), so a 500 MB test process would see every child peak at >= 500 MB. Here the
command runs under a bare `python -c` wrapper (~10 MB) that reports
`getrusage(RUSAGE_CHILDREN)` after waiting for it: that is the command's own peak (or the
wrapper's ~10 MB, whichever is higher). Used by bench/suite_memory.py and bench/scale_100k.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

_WRAPPER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "maxrss_kb": u.ru_maxrss, "user": u.ru_utime, "sys": u.ru_stime}, fh)
"""


@dataclass
class Measured:
    code: int  # the command's exit code
    wall_s: float
    peak_mb: float  # the command's own peak RSS
    cpu_s: float  # user + system seconds of the command
    stdout: str
    stderr: str


def run_measured(cmd: list[str], env: dict[str, str] | None = None, **kwargs: Any) -> Measured:
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "usage.json")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-S", "-c", _WRAPPER, report, *cmd],
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            **kwargs,
        )
        wall = time.perf_counter() - start
        try:
            with open(report) as fh:
                usage = json.load(fh)
        except (OSError, ValueError):  # the wrapper itself failed
            usage = {"code": proc.returncode, "maxrss_kb": 0, "user": 0.0, "sys": 0.0}
    return Measured(
        int(usage["code"]),
        wall,
        usage["maxrss_kb"] / 1024,
        usage["user"] + usage["sys"],
        proc.stdout,
        proc.stderr,
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
