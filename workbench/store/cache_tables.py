"""Writes to the two cache tables of the results database: `cache` (provider responses) and
`compressions` (compressed prompts). The caches themselves (keys, lookups, policy) live with their
stage: `providers/response_cache.py` and `compression/compression_cache.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from workbench.store.transaction import transaction


def write_responses(
    db: Database, entries: Sequence[tuple[str, str, str | None, str, float]], hits: Sequence[tuple[int, str]]
) -> None:
    """Insert (key, provider_id, model, response, created_at) entries and add hit counts, in one transaction.

    Raises sqlite3.OperationalError when the database is busy (the caller keeps the entries)."""
    with transaction(db):
        db.conn.executemany(
            "insert or replace into cache (key, provider_id, model, response, created_at, hits) values (?, ?, ?, ?, ?, 0)",
            entries,
        )
        db.conn.executemany("update cache set hits = hits + ? where key = ?", hits)


def delete_responses(db: Database, *, provider: str | None = None, created_before: float | None = None) -> int:
    """Delete cached responses (all, one provider's or model's, or those created before a time); returns how many."""
    where: list[str] = []
    args: list[Any] = []
    if provider:
        where.append("(provider_id = ? or model = ?)")
        args += [provider, provider]
    if created_before is not None:
        where.append("created_at < ?")
        args.append(created_before)
    sql = "delete from cache" + (" where " + " and ".join(where) if where else "")
    with transaction(db):
        cur = db.execute(sql, args)
    return int(cur.rowcount or 0)


def insert_compression(db: Database, row: dict[str, Any]) -> None:
    """Insert one `compressions` row in its own short transaction; a concurrent duplicate is ignored."""
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    with transaction(db):  # the run writer's batches are separate
        db.execute(f"insert or ignore into compressions ({cols}) values ({marks})", list(row.values()))
