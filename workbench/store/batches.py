"""The `batches` and `batch_items` tables: provider batch jobs and their per-request answers.

Every write is one short transaction, so a run killed while it waits for a batch keeps the batch
ids (and every answer already downloaded) and the next `workbench run --batch` or
`workbench batch collect` carries on from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from workbench.store.transaction import transaction
from workbench.store.writer import now_iso, with_retry


@dataclass
class StoredBatch:
    batch_id: str
    api: str
    provider_id: str
    base_url: str
    status: str
    n_items: int
    counts: dict[str, int]
    message: str | None
    created_at: str
    updated_at: str


def record_batch(db: Database, batch_id: str, api: str, provider_id: str, base_url: str, custom_ids: list[str]) -> None:
    """A batch the provider accepted, with one pending item per request."""
    now = now_iso()

    def write() -> None:
        with transaction(db):
            db.execute(
                "insert or replace into batches (batch_id, api, provider_id, base_url, status, n_items, counts,"
                " message, created_at, updated_at) values (?, ?, ?, ?, 'submitted', ?, '{}', null, ?, ?)",
                [batch_id, api, provider_id, base_url, len(custom_ids), now, now],
            )
            db.conn.executemany(
                "insert or ignore into batch_items (batch_id, custom_id, state) values (?, ?, 'pending')",
                [(batch_id, c) for c in custom_ids],
            )

    with_retry(write)


def update_status(db: Database, batch_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
    def write() -> None:
        with transaction(db):
            db.execute(
                "update batches set status = ?, counts = ?, message = ?, updated_at = ? where batch_id = ?",
                [status, json.dumps(counts), message, now_iso(), batch_id],
            )

    with_retry(write)


def store_answers(
    db: Database, batch_id: str, answers: list[tuple[str, dict[str, Any] | None, str | None]], *, final: str
) -> None:
    """Store (custom_id, body, error) answers; items the provider never answered become errors."""

    def write() -> None:
        with transaction(db):
            db.conn.executemany(
                "update batch_items set state = ?, body = ?, error = ? where batch_id = ? and custom_id = ?",
                [
                    ("error" if err else "done", json.dumps(body) if body is not None else None, err, batch_id, cid)
                    for cid, body, err in answers
                ],
            )
            db.execute(
                "update batch_items set state = 'error', error = ? where batch_id = ? and state = 'pending'",
                [f"no answer: the batch ended {final}", batch_id],
            )
            db.execute(
                "update batches set status = 'collected', updated_at = ? where batch_id = ?", [now_iso(), batch_id]
            )

    with_retry(write)


def _batch(row: tuple[Any, ...]) -> StoredBatch:
    (bid, api, pid, base, status, n, counts, message, created, updated) = row
    return StoredBatch(bid, api, pid, base, status, int(n or 0), json.loads(counts or "{}"), message, created, updated)


_COLUMNS = "batch_id, api, provider_id, base_url, status, n_items, counts, message, created_at, updated_at"


def list_batches(db: Database, *, open_only: bool = False) -> list[StoredBatch]:
    where = " where status != 'collected'" if open_only else ""
    return [_batch(r) for r in db.execute(f"select {_COLUMNS} from batches{where} order by created_at, batch_id")]


def known_items(db: Database, custom_ids: list[str]) -> dict[str, tuple[str, str, dict[str, Any] | None, str | None]]:
    """custom_id -> (batch_id, state, body, error), the newest useful entry of each.

    A `done` answer wins over a pending one, and a pending one over an error (an error is retried
    by submitting again).
    """
    out: dict[str, tuple[str, str, dict[str, Any] | None, str | None]] = {}
    rank = {"done": 2, "pending": 1, "error": 0}
    for i in range(0, len(custom_ids), 500):
        chunk = custom_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for bid, cid, state, body, err in db.execute(
            f"select batch_id, custom_id, state, body, error from batch_items where custom_id in ({marks})", chunk
        ):
            old = out.get(cid)
            if old is None or rank[state] > rank[old[1]]:
                out[cid] = (bid, state, json.loads(body) if body else None, err)
    return out
