"""`read_snapshot(db)`: every read of the block sees the database as of one moment.

A reader that checks a run and then reads it (`workbench merge` refuses a shard a live process
still runs, then copies its results) would otherwise see two states when a writer (a resume's
claim, its results) commits in between. Inside one read transaction SQLite serves every read
from the same snapshot (WAL: writers go on meanwhile and are not seen). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def read_snapshot(db: Database) -> Iterator[None]:
    """One read transaction around the block (the enclosing one when a transaction is open)."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()  # the snapshot starts at the first read
        yield
    finally:
        if conn.in_transaction:
            conn.rollback()  # ends the read transaction; the block wrote nothing
