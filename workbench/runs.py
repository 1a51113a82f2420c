"""Listing and finding runs in the database."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError

RUN_COLUMNS = (
    "id, label, suite_path, started_at, finished_at, status, git_sha, results, passes, failures, errors,"
    " pass_rate, tokens_in, tokens_out, cost, cache_hit_ratio"
)


def list_runs(db: Database, *, suite: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    sql = f"select {RUN_COLUMNS} from runs"
    params: list[Any] = []
    if suite:
        sql += " where suite_path like ?"
        params.append(f"%{suite}%")
    sql += " order by id desc limit ?"
    params.append(limit)
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def find_run(db: Database, ref: str | int | None) -> int:
    """A run id from an id, a label (latest run with it), or None (the latest run)."""
    if ref is None or ref == "latest":
        row = db.execute("select max(id) from runs").fetchone()
        if not row or row[0] is None:
            raise UsageError("the database has no runs yet (run `workbench run SUITE.yaml` first)")
        return int(row[0])
    if isinstance(ref, int) or str(ref).isdigit():
        row = db.execute("select id from runs where id = ?", [int(ref)]).fetchone()
        if row:
            return int(row[0])
    row = db.execute("select id from runs where label = ? order by id desc limit 1", [str(ref)]).fetchone()
    if row:
        return int(row[0])
    raise UsageError(f"no run with id or label {ref!r} (see `workbench runs`)")
