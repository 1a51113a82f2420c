"""Copy response-cache and compression-cache entries between results databases (Ray shards).

Entries are content-addressed (the key is a hash of what determines the answer), so copying is
`insert or ignore`: an entry the target already has is kept as it is.
"""

from __future__ import annotations

from sqlite_utils import Database

from workbench.store.transaction import transaction
from workbench.store.writer import with_retry

BATCH = 1000
TABLES = {
    "cache": ("key", "provider_id", "model", "response", "created_at", "hits"),
    "compressions": (
        "key",
        "method",
        "rate",
        "compressor_model",
        "original",
        "compressed",
        "original_tokens",
        "compressed_tokens",
        "seconds",
        "created_at",
    ),
}


def copy_cache(src: Database, dst: Database) -> int:
    """Copy every cache entry of `src` that `dst` lacks; returns the number of rows offered."""
    offered = 0
    for table, columns in TABLES.items():
        names = ", ".join(columns)
        insert = f"insert or ignore into [{table}] ({names}) values ({', '.join('?' * len(columns))})"
        cur = src.execute(f"select {names} from [{table}]")
        while rows := cur.fetchmany(BATCH):
            offered += len(rows)
            with_retry(_insert, dst, insert, rows)
    return offered


def _insert(dst: Database, sql: str, rows: list[tuple[object, ...]]) -> None:
    with transaction(dst):
        dst.conn.executemany(sql, rows)
