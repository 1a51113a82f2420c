"""Open the results database: path resolution, WAL, busy timeout, migrations."""

from __future__ import annotations

import atexit
import errno
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from workbench.errors import DatabaseInputError, DiskFullError, StoreError
from workbench.store.db_path import default_db_path
from workbench.store.schema import migrations

BUSY_TIMEOUT_MS = 30_000
# PLUGINS_OFF: workbench's connections never run sqlite-utils plugins (`prepare_connection` hooks
# that add SQL functions to a connection): no query of workbench uses one, and loading them scans
# every installed distribution's entry points (~25 ms of each command's start-up).


# NULL_ADAPTER: sqlite3 binds int, float and str directly but sends every other value (None too)
# through its adapter protocol, whose failed `__adapt__` lookup builds and discards an
# AttributeError: ~0.2 us per None, and a results row binds a dozen (~3 % of an echo run's CPU).
# A registered adapter for None is found at once; `{}.get` (a C function) maps None to None, so
# the value bound is still NULL. Registering for None leaves the int/float/str fast path on.
_NO_ADAPTATION: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NO_ADAPTATION.get)


class _Connection(sqlite3.Connection):
    """sqlite3's connection, weak-referenceable (the C type is not): open_db's are tracked."""


_OPEN: weakref.WeakSet[_Connection] = weakref.WeakSet()  # what open_db opened, for close_open_databases


def open_db(path: str | Path | None = None, *, create: bool = True) -> Database:
    """Open (and migrate) the database. `create=False` refuses to make a new file.

    A path that is not a usable workbench database raises DatabaseInputError (exit 2) before
    anything is written: a directory, a file that is not SQLite, a truncated file, or a database
    whose schema is newer than this workbench's.
    """
    p = Path(path) if path is not None else default_db_path()
    if not create and not p.exists():
        raise DatabaseInputError(f"{p}: no such database (run `workbench run` first, or pass --db)")
    check_database_file(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatabaseInputError(f"{p}: cannot create its directory ({e.strerror})") from None
    try:
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, factory=_Connection)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = Database(conn, execute_plugins=False)  # see PLUGINS_OFF
        check_schema_version(db, p)
        if _needs_setup(conn):
            # Several processes may create or upgrade the same file at once (e.g. four `workbench
            # run`s on a new database): switching to WAL and migrating happen one process at a time.
            with _setup_lock(p):
                conn.execute("PRAGMA journal_mode = WAL")
                migrate(db)
    except sqlite3.DatabaseError as e:
        if is_disk_full(e):
            raise DiskFullError(f"{p}: disk full while setting up the database ({e})") from None
        if "not a database" in str(e) or "malformed" in str(e) or "unable to open" in str(e):
            raise DatabaseInputError(f"{p}: not a usable workbench database ({e})") from None
        raise StoreError(f"{p}: not a usable workbench database ({e})") from e
    _OPEN.add(conn)
    return db


def close_open_databases() -> None:
    """Close every database `open_db` opened that is still open; run at exit.

    Closing the last connection checkpoints the WAL into the database file, so the file alone
    holds every result even when the process ends without Python's teardown (the CLI does:
    `cli/process_exit.py`, whose hook runs after this one)."""
    for conn in list(_OPEN):
        try:
            conn.close()
        except sqlite3.Error:
            pass


atexit.register(close_open_databases)


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_database_file(p: Path) -> None:
    """Refuse, before SQLite touches it, a path that is a directory, not SQLite, or truncated."""
    if p.is_dir():
        raise DatabaseInputError(f"{p}: is a directory, not a database file")
    if not p.exists():
        return
    if not p.is_file():
        raise DatabaseInputError(f"{p}: not a regular file")
    try:
        with open(p, "rb") as fh:
            header = fh.read(100)
    except OSError as e:
        raise DatabaseInputError(f"{p}: cannot read ({e.strerror})") from None
    size = p.stat().st_size
    if size == 0:
        return  # an empty file is a new database to SQLite
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise DatabaseInputError(f"{p}: not a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter_valid = header[24:28] == header[92:96]
    wal = p.with_name(p.name + "-wal")
    if counter_valid and pages and size < pages * page_size and not (wal.exists() and wal.stat().st_size):
        raise DatabaseInputError(
            f"{p}: truncated ({size:,} of {pages * page_size:,} bytes); restore it or use another --db"
        )


def schema_version(db: Database) -> tuple[int, int, list[str]]:
    """(migrations applied to `db`, migrations this workbench knows, applied names it does not know)."""
    known = {m.name for m in migrations._migrations}
    applied = [m.name for m in migrations.applied(db)]
    return len(set(applied)), len(known), [n for n in applied if n not in known]


def check_schema_version(db: Database, p: Path) -> None:
    """A database migrated by a newer workbench is refused, never written to (exit 2)."""
    n, m, unknown = schema_version(db)
    if unknown:
        raise DatabaseInputError(
            f"{p}: created by a newer workbench (schema {n} > {m}); upgrade workbench or use another --db"
        )


def is_disk_full(e: BaseException) -> bool:
    """SQLite's SQLITE_FULL, or an OS error saying the disk, the quota or the file size limit is full."""
    if isinstance(e, sqlite3.OperationalError):
        return "disk is full" in str(e) or ("disk I/O error" in str(e) and _fs_full_hint(e))
    return isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _fs_full_hint(e: BaseException) -> bool:
    return getattr(e, "sqlite_errorname", "") in ("SQLITE_FULL", "SQLITE_IOERR_WRITE")


def remove_database(p: Path) -> None:
    """Delete a database file and its -wal/-shm/.lock companions (one this run created and could not finish)."""
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        try:
            p.with_name(p.name + suffix).unlink()
        except FileNotFoundError:
            pass


def _needs_setup(conn: sqlite3.Connection) -> bool:
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    return mode != "wal" or bool(migrations.pending(Database(conn, execute_plugins=False)))


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
    db = Database(memory=True, execute_plugins=False)
    migrate(db)
    return db
