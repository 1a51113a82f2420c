"""Reading the stored routers (`routers` table): the list and one router's row.

Apart from training (routing/train.py), so the readers (the UI's Recommendation page,
`route show`, prediction) do not load the trainer and the run writer.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError


def list_routers(db: Database) -> list[dict[str, Any]]:
    """Every stored router (newest first), without the artifact bytes."""
    cur = db.execute(
        "select id, name, created_at, suite_path, run_ids, cheap_model, strong_model, threshold,"
        " sklearn_version, json_extract(metrics, '$.beats_random'), json_extract(metrics, '$.tests')"
        " from routers order by id desc"
    )
    keys = [
        "id", "name", "created_at", "suite_path", "run_ids", "cheap_model", "strong_model", "threshold",
        "sklearn_version", "beats_random", "tests",
    ]  # fmt: skip
    out = []
    for r in cur.fetchall():
        d = dict(zip(keys, r, strict=True))
        d["run_ids"] = json.loads(d["run_ids"] or "[]")
        d["beats_random"] = bool(d["beats_random"])
        out.append(d)
    return out


def router_row(db: Database, name: str | None = None, router_id: int | None = None) -> dict[str, Any]:
    """The newest router called `name` (or by id; or the newest of all when neither is given)."""
    cols = (
        "id, name, created_at, suite_path, run_ids, cheap_model, strong_model, models, threshold, metrics,"
        " sklearn_version, artifact"
    )
    if router_id is not None:
        cur = db.execute(f"select {cols} from routers where id = ?", [router_id])
    elif name is not None:
        cur = db.execute(f"select {cols} from routers where name = ? order by id desc limit 1", [name])
    else:
        cur = db.execute(f"select {cols} from routers order by id desc limit 1")
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        what = f"router {name!r}" if name else f"router id {router_id}" if router_id is not None else "any router"
        raise UsageError(f"{what} not found: train one with `workbench route train` (see `workbench route list`)")
    d = dict(zip(names, row, strict=True))
    d["run_ids"] = json.loads(d["run_ids"] or "[]")
    d["models"] = json.loads(d["models"] or "[]")
    d["metrics"] = json.loads(d["metrics"] or "{}")
    return d
