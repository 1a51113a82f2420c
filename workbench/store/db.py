"""Open the results database: path resolution, WAL, busy timeout, migrations."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = Database(conn)
        if _needs_setup(conn):
            # Several processes may create or upgrade the same file at once (e.g. four `workbench
            # run`s on a new database): switching to WAL and migrating happen one process at a time.
            with _setup_lock(p):
                conn.execute("PRAGMA journal_mode = WAL")
                migrate(db)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{p}: not a usable workbench database ({e})") from e
    return db


def _needs_setup(conn: sqlite3.Connection) -> bool:
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    return mode != "wal" or bool(migrations.pending(Database(conn)))


@contextmanager
def _setup_lock(db_path: Path) -> Iterator[None]:
    """An exclusive lock on `<db>.lock` (POSIX flock); without flock, SQLite's own locking only."""
    try:
        import fcntl
    except ImportError:  # Windows: migrations still run in one transaction each
        yield
        return
    try:
        fh = open(db_path.with_name(db_path.name + ".lock"), "a")  # noqa: SIM115 - held for the block
    except OSError:  # a read-only directory: nothing to serialize against
        yield
        return
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def migrate(db: Database) -> None:
    """Apply pending migrations; `open_db` serializes concurrent migrators with a file lock."""
    if migrations.pending(db):
        migrations.apply(db)


def open_memory() -> Database:
    db = Database(memory=True)
    migrate(db)
    return db
