"""`transaction(db)`: run a block of writes as one SQLite transaction, all or nothing.

Why not `with db.conn:` or nothing at all: our connections use Python 3.11's default (legacy)
transaction control (`isolation_level=""`, no `autocommit` attribute; sqlite-utils refuses the
3.12 `autocommit=True/False` modes). There `with conn:` opens nothing: it only commits or rolls
back a transaction that is already open. Python opens one implicitly before a raw
INSERT/UPDATE/DELETE, but sqlite-utils' `db.execute`, `table.insert/upsert/update/delete` commit
each statement on its own when no transaction is open. So a `with db.conn:` block that starts with
a sqlite-utils call commits statement by statement, and a crash in the middle leaves half of it.

`transaction(db)` opens the transaction explicitly, so every statement of the block, whichever
API issued it, is part of it:

- outermost: `BEGIN IMMEDIATE` (the write lock is taken at once, waiting up to the busy timeout,
  so a block that reads before it writes cannot fail half-way with SQLITE_BUSY when another writer
  committed in between), `COMMIT` at the end, `ROLLBACK` on any exception, KeyboardInterrupt and
  SystemExit included;
- inside an open transaction (ours, sqlite-utils' `atomic()`, an explicit BEGIN): a SAVEPOINT, so
  the block is undone alone on an exception and otherwise commits with the enclosing transaction.

A SIGKILL or power loss at any moment leaves none of an uncommitted block (SQLite's WAL).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

_savepoints = itertools.count()


@contextmanager
def transaction(db: Database | sqlite3.Connection) -> Iterator[None]:
    """One transaction around the block (a savepoint when one is already open); see the module doc."""
    conn = db.conn if isinstance(db, Database) else db
    if conn.in_transaction:
        name = f"wb_sp_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # an error such as SQLITE_FULL may have rolled everything back
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    try:
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
