"""Runs left `running` by a process that is gone (`kill -9`, a crash, a reboot) closed as `interrupted`.

Called wherever a run's status is read for showing: the run list and trend (`workbench runs`, the
UI, whose connection stays open across kills), a run's summary line, its reports. Every reader then
sees `interrupted`, with the totals of the results committed before the kill, exactly as a Ctrl-C
would have left the run; `--resume` completes it as before. (Not at `open_db`: the connection layer
sits below the run writer whose totals it needs.) Only runs whose
owner is certainly gone are closed (store/run_owners.py); one on another machine stays `running`.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from workbench.store.run_close import close_run
from workbench.store.run_owners import owner_gone


def close_orphaned_runs(db: Database) -> list[int]:
    """Close every `running` run whose owner is gone as `interrupted`; their ids. A run claimed
    meanwhile (resumed: a new owner) is left alone; a database that cannot be written (read-only,
    busy) is left as it is, for the next reader."""
    try:
        rows = db.execute("select id, owner from runs where status = 'running' and owner is not null").fetchall()
    except sqlite3.OperationalError:  # no `owner` column: a database this workbench has not migrated
        return []
    closed = []
    for run_id, owner in rows:
        if not owner_gone(owner):
            continue
        try:
            if close_run(db, int(run_id), "interrupted", expect_owner=owner):
                closed.append(int(run_id))
        except sqlite3.OperationalError:
            break
    return closed
