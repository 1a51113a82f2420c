"""Progress for logs: when stderr is not a terminal (CI, `| tee`, a file), a plain line every few
seconds instead of a live bar, so a long run never looks stuck. Runs shorter than the interval
print nothing.

    [order_number.yaml] 40/96 cells (41.7%), 35 s elapsed, ~49 s left
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO

DEFAULT_SECONDS = 5.0


def interval_seconds() -> float:
    """`$WORKBENCH_PROGRESS_SECONDS` (>= 0), else 5 s."""
    raw = os.environ.get("WORKBENCH_PROGRESS_SECONDS")
    try:
        value = float(raw) if raw else DEFAULT_SECONDS
    except ValueError:
        return DEFAULT_SECONDS
    return value if value >= 0 else DEFAULT_SECONDS


class ProgressLines:
    def __init__(
        self,
        name: str,
        *,
        interval: float | None = None,
        out: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.interval = interval_seconds() if interval is None else interval
        self.out = out
        self.clock = clock
        self.start = clock()
        self.last = self.start
        self.first: tuple[float, int] | None = None  # (when, done) at the first report: the rate
        # is measured from there, so a slow start (loading a model) does not inflate the estimate

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
        if now - self.last < self.interval:
            return
        self.last = now
        print(self.line(done, total, now - self.start, now), file=self.out or sys.stderr, flush=True)

    def line(self, done: int, total: int, elapsed: float, now: float | None = None) -> str:
        share = f" ({done / total:.1%})" if total else ""
        left = ""
        if self.first is not None and now is not None and done < total and done > self.first[1]:
            rate = (now - self.first[0]) / (done - self.first[1])
            left = f", ~{rate * (total - done):.0f} s left"
        return f"[{self.name}] {done}/{total} cells{share}, {elapsed:.0f} s elapsed{left}"
