"""Per-run summaries stored beside the results (pair totals, outcome bitsets, guardrail counts):
each is replaced as a whole when its run closes, stamped with the run's result count so a reader
can tell a stale summary from a current one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from workbench.store.transaction import transaction


def table_exists(db: Database, name: str) -> bool:
    return bool(db.execute("select 1 from sqlite_master where type = 'table' and name = ?", [name]).fetchone())


def replace_run_rows(
    db: Database, table: str, run_id: int, insert: str, rows: Callable[[int], Iterable[Sequence[Any]]]
) -> None:
    """Replace the run's rows of `table` with `rows(n)`, n being the run's stored result count (the
    stamp each row carries); none when the run has no results. Call inside the transaction that
    writes runs.results: this is a savepoint within it."""
    with transaction(db):
        db.execute(f"delete from {table} where run_id = ?", [run_id])
        stored = db.execute("select results from runs where id = ?", [run_id]).fetchone()
        if not stored or not stored[0]:
            return
        db.conn.executemany(insert, rows(stored[0]))
