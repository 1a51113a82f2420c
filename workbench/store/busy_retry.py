"""A write retried while another process holds SQLite's write lock beyond the busy timeout."""

from __future__ import annotations

import sqlite3
import time
from typing import Any


def with_retry(fn: Any, *args: Any, attempts: int = 20) -> Any:
    """Run a write, retrying on SQLITE_BUSY/locked beyond the busy timeout."""
    for i in range(attempts):
        try:
            return fn(*args)
        except sqlite3.OperationalError as e:
            msg = str(e).lower()
            if ("locked" not in msg and "busy" not in msg) or i == attempts - 1:
                raise
            time.sleep(min(0.05 * 2**i, 2.0))
    return None
