"""The `optimizations` table: one row per finished `workbench optimize` (what the UI shows)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from workbench.store.busy_retry import with_retry
from workbench.store.timestamps import now_iso
from workbench.store.transaction import transaction


@dataclass
class StoredOptimization:
    id: int
    family: str
    version: str
    suite: str
    created_at: str
    written: str | None
    result: dict[str, Any]


def record_optimization(
    db: Database, family: str, version: str, suite: str, written: str | None, result: dict[str, Any]
) -> int:
    def write() -> int:
        with transaction(db):
            cur = db.execute(
                "insert into optimizations (family, version, suite, created_at, written, result)"
                " values (?, ?, ?, ?, ?, ?)",
                [family, version, suite, now_iso(), written, json.dumps(result)],
            )
            return int(cur.lastrowid or 0)

    return int(with_retry(write))


def list_optimizations(db: Database, family: str | None = None) -> list[StoredOptimization]:
    if "optimizations" not in db.table_names():
        return []
    where, params = ("where family = ?", [family]) if family else ("", [])
    rows = db.execute(
        f"select id, family, version, suite, created_at, written, result from optimizations {where} order by id desc",
        params,
    ).fetchall()
    return [StoredOptimization(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]
