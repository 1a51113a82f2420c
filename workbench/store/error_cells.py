"""`workbench run --retry-errors RUN`: take a run's error cells out so resuming runs them again.

A cell whose provider call errored is stored as a result row with `error` set. Deleting those rows
(and their assertion rows) turns them into missing cells, which `--resume` completes: same suite
(sha256 checked), same matrix options, results written batch by batch. The deletion is one
transaction, so a crash leaves either every error row or none; a crash during the retry leaves a
run that `--resume RUN` finishes. Results that passed or failed are never touched.
"""

from __future__ import annotations

from sqlite_utils import Database

from workbench.store.transaction import transaction

ERRORS = "select id from results where run_id = ? and error is not null"


def count_error_cells(db: Database, run_id: int) -> int:
    return int(db.execute(f"select count(*) from ({ERRORS})", [run_id]).fetchone()[0])


def clear_error_cells(db: Database, run_id: int) -> int:
    """Delete the run's error results and their assertion rows; return how many cells were cleared."""
    with transaction(db):
        db.execute(f"delete from assertion_results where result_id in ({ERRORS})", [run_id])
        cur = db.execute("delete from results where run_id = ? and error is not null", [run_id])
        db.execute("delete from pair_totals where run_id = ?", [run_id])  # re-written by finish
        if db.table("pair_outcomes").exists():
            db.execute("delete from pair_outcomes where run_id = ?", [run_id])
    return int(cur.rowcount)
