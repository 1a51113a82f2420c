"""Open the results database: path resolution, WAL, busy timeout, migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from workbench.errors import StoreError
from workbench.store.schema import migrations

DEFAULT_DB = Path("results") / "workbench.db"
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> Path:
    """`WORKBENCH_DB` if set, else `results/workbench.db` relative to the working directory."""
    env = os.environ.get("WORKBENCH_DB")
    return Path(env) if env else DEFAULT_DB


def open_db(path: str | Path | None = None, *, create: bool = True) -> Database:
    """Open (and migrate) the database. `create=False` refuses to make a new file."""
    p = Path(path) if path is not None else default_db_path()
    if not create and not p.exists():
        raise StoreError(f"{p}: no such database (run `workbench run` first, or pass --db)")
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = Database(conn)
        migrate(db)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{p}: not a usable workbench database ({e})") from e
    return db


def migrate(db: Database) -> None:
    """Apply pending migrations; safe to call from several processes at once."""
    if not migrations.pending(db):
        return
    # Serialize concurrent migrators: BEGIN IMMEDIATE takes the write lock up front.
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("ROLLBACK")
    migrations.apply(db)


def open_memory() -> Database:
    db = Database(memory=True)
    migrate(db)
    return db
