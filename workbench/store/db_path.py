"""Where the results database is by default: `WORKBENCH_DB`, else results/workbench.db.

Kept apart from `db.py` (which imports sqlite-utils, and through it pandas: ~0.6 s) so that
`workbench ui`, which only passes the path on to the server it becomes, starts that server at once.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("results") / "workbench.db"


def default_db_path() -> Path:
    """`WORKBENCH_DB` if set, else `results/workbench.db` relative to the working directory."""
    env = os.environ.get("WORKBENCH_DB")
    return Path(env) if env else DEFAULT_DB
