"""Merge shard runs into one run, and copy a run between databases.

`workbench run --shard i/n` keeps cell number k (in `engine.expand_cells` order) when
k % n == i - 1, and stores each result under its cell key (prompt_idx:variant:provider_idx:
test_idx:repeat), which does not depend on the shard. So the union of the shards' results, keyed
by cell key, is exactly the unsharded run, and the merged run's totals are recomputed from those
results with the same `run_totals` the engine uses.

Rules: the shards must be runs of the same suite (same suite sha256, prompts, providers and tests);
a cell stored by two shards is kept once (the first) and reported as a duplicate; shards missing
from the set (say 2 of 3 given) are reported, never silently ignored. Provenance (each shard's
database, run id and shard) is recorded in the merged run's `config.merged_from`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError

COPY_BATCH = 1000


@dataclass
class ShardRun:
    source: str  # the database or JSON file it came from
    db: Database
    run_id: int

    def row(self) -> dict[str, Any]:
        cur = self.db.execute("select * from runs where id = ?", [self.run_id])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))

    def shard(self) -> tuple[int, int] | None:
        config = json.loads(self.row().get("config") or "{}")
        s = config.get("shard")
        return (int(s[0]), int(s[1])) if s else None


@dataclass
class MergeOutcome:
    run_id: int
    results: int
    duplicates: int
    shards: list[tuple[int, int] | None]
    missing_shards: list[int] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        rate = self.totals.get("pass_rate")
        line = (
            f"Merged {len(self.shards)} runs into run {self.run_id}: {self.results} results"
            f" ({self.totals.get('passes', 0)} passed, {self.totals.get('failures', 0)} failed,"
            f" {self.totals.get('errors', 0)} errors; pass rate {'n/a' if rate is None else f'{rate:.1%}'})"
        )
        if self.duplicates:
            line += f"; {self.duplicates} duplicate cells kept once"
        return line


def _columns(db: Database, table: str) -> list[str]:
    return [c.name for c in db.table(table).columns]


def _rows(db: Database, sql: str, params: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = db.execute(sql, params)
    return [d[0] for d in cur.description], cur.fetchall()


def _prompt_version_id(src: Database, dst: Database, pv_id: int | None, memo: dict[int, int]) -> int | None:
    """The destination id of a source prompt_versions row (inserted when missing)."""
    if pv_id is None:
        return None
    if pv_id in memo:
        return memo[pv_id]
    names, rows = _rows(src, "select * from prompt_versions where id = ?", [pv_id])
    if not rows:
        return None
    row = dict(zip(names, rows[0], strict=True))
    found = dst.execute(
        "select id from prompt_versions where sha256 = ? and label is ? and path is ?",
        [row["sha256"], row["label"], row["path"]],
    ).fetchone()
    if found:
        memo[pv_id] = int(found[0])
    else:
        keep = set(_columns(dst, "prompt_versions")) - {"id"}
        dst.table("prompt_versions").insert({k: v for k, v in row.items() if k in keep})
        memo[pv_id] = int(dst.execute("select last_insert_rowid()").fetchone()[0])
    return memo[pv_id]


def _insert_run(dst: Database, header: dict[str, Any]) -> int:
    keep = set(_columns(dst, "runs")) - {"id"}
    dst.table("runs").insert({k: v for k, v in header.items() if k in keep})
    return int(dst.execute("select last_insert_rowid()").fetchone()[0])


def _copy_matrix(src: Database, run_id: int, dst: Database, new_id: int, memo: dict[int, int]) -> None:
    """run_prompts, run_providers and test_cases of `run_id` under `new_id`."""
    names, rows = _rows(src, "select * from run_prompts where run_id = ? order by prompt_idx", [run_id])
    for r in rows:
        row = dict(zip(names, r, strict=True))
        row["run_id"] = new_id
        row["prompt_version_id"] = _prompt_version_id(src, dst, row["prompt_version_id"], memo)
        dst.table("run_prompts").insert(row, ignore=True)
    for table, order in (("run_providers", "provider_idx"), ("test_cases", "test_idx")):
        names, rows = _rows(src, f"select * from {table} where run_id = ? order by {order}", [run_id])
        keep = set(_columns(dst, table))
        # ignore: shards imported from JSON each hold only the tests they ran; the union is the run's
        dst.table(table).insert_all(
            ({**{k: v for k, v in zip(names, r, strict=True) if k in keep}, "run_id": new_id} for r in rows),
            batch_size=500,
            ignore=True,
        )


def _copy_results(src: Database, run_id: int, dst: Database, new_id: int, memo: dict[int, int]) -> tuple[int, int]:
    """Copy results (and their assertion rows) of `run_id` under `new_id`; returns (copied, duplicates)."""
    res_cols = [c for c in _columns(dst, "results") if c != "id"]
    src_res = set(_columns(src, "results"))
    sel = ", ".join(c if c in src_res else "null" for c in res_cols)
    ar_cols = [c for c in _columns(dst, "assertion_results") if c not in ("id", "result_id", "run_id")]
    src_ar = set(_columns(src, "assertion_results"))
    ar_sel = ", ".join(c if c in src_ar else "null" for c in ar_cols)
    insert = f"insert or ignore into results ({', '.join(res_cols)}) values ({', '.join('?' for _ in res_cols)})"
    ar_insert = (
        f"insert into assertion_results (result_id, run_id, {', '.join(ar_cols)})"
        f" values (?, ?, {', '.join('?' for _ in ar_cols)})"
    )
    run_pos, pv_pos = res_cols.index("run_id"), res_cols.index("prompt_version_id")
    copied = duplicates = 0
    cur = src.execute(f"select id, {sel} from results where run_id = ? order by id", [run_id])
    while True:
        batch = cur.fetchmany(COPY_BATCH)
        if not batch:
            break
        with dst.conn:
            out = dst.conn.cursor()
            for r in batch:
                values = list(r[1:])
                values[run_pos] = new_id
                values[pv_pos] = _prompt_version_id(src, dst, values[pv_pos], memo)
                out.execute(insert, values)
                if out.rowcount == 0:
                    duplicates += 1
                    continue
                copied += 1
                new_result = out.lastrowid
                components = src.execute(
                    f"select {ar_sel} from assertion_results where result_id = ? order by idx", [r[0]]
                ).fetchall()
                out.executemany(ar_insert, [(new_result, new_id, *c) for c in components])
    return copied, duplicates


def copy_run(src: Database, run_id: int, dst: Database, **header: Any) -> int:
    """Copy one run (header, matrix, results, assertion rows) from `src` into `dst`; returns the new id.

    Keyword arguments override columns of the copied `runs` row (e.g. `label=`)."""
    shard = ShardRun("", src, run_id)
    row = shard.row()
    row.update(header)
    memo: dict[int, int] = {}
    with dst.conn:
        new_id = _insert_run(dst, row)
        _copy_matrix(src, run_id, dst, new_id, memo)
    _copy_results(src, run_id, dst, new_id, memo)
    return new_id


def _signature(shard: ShardRun) -> dict[str, dict[Any, Any]]:
    """What must agree between shards of one run: prompts, providers and tests by index."""
    db, rid = shard.db, shard.run_id
    prompts = db.execute(
        "select rp.prompt_idx, rp.label, pv.sha256 from run_prompts rp"
        " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?",
        [rid],
    ).fetchall()
    providers = db.execute("select provider_idx, provider_id, label from run_providers where run_id = ?", [rid])
    tests = db.execute("select test_idx, identity from test_cases where run_id = ?", [rid]).fetchall()
    return {
        "prompts": {r[0]: r[1:] for r in prompts},
        "providers": {r[0]: r[1:] for r in providers.fetchall()},
        "tests": {r[0]: r[1] for r in tests},
    }


def check_shards(shards: list[ShardRun]) -> list[int]:
    """Raise UsageError when the shards are not parts of one run; return the missing shard numbers.

    Shards from databases carry the whole matrix; shards from JSON only the tests they ran, so
    the check is that no index means two different things."""
    if not shards:
        raise UsageError("nothing to merge: pass at least one shard database or JSON file")
    seen: dict[str, dict[Any, Any]] = {"prompts": {}, "providers": {}, "tests": {}}
    suites = {s.row().get("suite_sha256") for s in shards} - {None, ""}
    if len(suites) > 1:
        raise UsageError("the shards are runs of different suites (suite sha256 differs); merge shards of one run")
    for s in shards:
        for what, table in _signature(s).items():
            for idx, value in table.items():
                if seen[what].setdefault(idx, value) != value:
                    raise UsageError(
                        f"{s.source}: run {s.run_id} is not a shard of the same run as {shards[0].source}"
                        f" ({what.rstrip('s')} {idx} differs)"
                    )
    numbers = [s.shard() for s in shards]
    ns = {n[1] for n in numbers if n}
    if len(ns) > 1:
        raise UsageError(f"shards of different splits cannot be merged: {sorted(ns)}")
    if not ns:
        return []
    n = ns.pop()
    have = {i for i, _ in (x for x in numbers if x)}
    return [i for i in range(1, n + 1) if i not in have]


def merge_runs(
    shards: list[ShardRun], dst: Database, *, label: str | None = None, allow_partial: bool = False
) -> MergeOutcome:
    """Merge the shard runs into one new run of `dst` (exact: the union of their results by cell key)."""
    from workbench.store.writer import now_iso, run_totals

    missing = check_shards(shards)
    if missing and not allow_partial:
        raise UsageError(
            f"shard{'s' * (len(missing) != 1)} {', '.join(map(str, missing))} of {shards[0].shard()[1]}"  # type: ignore[index]
            " missing (pass --allow-partial to merge anyway)"
        )
    rows = [s.row() for s in shards]
    header = dict(rows[0])
    config = json.loads(header.get("config") or "{}")
    config["shard"] = None
    config["merged_from"] = [
        {"source": s.source, "run_id": s.run_id, "shard": list(s.shard() or []) or None, "label": r.get("label")}
        for s, r in zip(shards, rows, strict=True)
    ]
    labels = {r.get("label") for r in rows}
    statuses = {r.get("status") for r in rows}
    header.update(
        label=label if label is not None else (labels.pop() if len(labels) == 1 else None),
        config=json.dumps(config),
        started_at=min((r.get("started_at") or "" for r in rows), default=None) or now_iso(),
        cells_planned=sum(int(r.get("cells_planned") or 0) for r in rows),
        status="completed" if statuses == {"completed"} else sorted(str(s) for s in statuses if s != "completed")[0],
    )
    with dst.conn:
        new_id = _insert_run(dst, header)
    memo: dict[int, int]
    copied = duplicates = 0
    for s in shards:
        memo = {}  # prompt_versions ids are per source database
        with dst.conn:
            _copy_matrix(s.db, s.run_id, dst, new_id, memo)
        c, d = _copy_results(s.db, s.run_id, dst, new_id, memo)
        copied, duplicates = copied + c, duplicates + d
    totals = run_totals(dst, new_id)
    finished = max((r.get("finished_at") or "" for r in rows), default="") or now_iso()
    with dst.conn:
        dst.table("runs").update(new_id, {**totals, "finished_at": finished})
    return MergeOutcome(new_id, copied, duplicates, [s.shard() for s in shards], missing, totals)


def open_shard(path: Path, run: str | None = None) -> ShardRun:
    """A shard from a database (its newest run, or `run` by id/label) or a promptfoo-shaped JSON file."""
    from workbench.analysis.queries import resolve_run
    from workbench.store.db import open_db, open_memory

    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        from workbench.ci.compare_inputs import import_json

        mem = open_memory()
        return ShardRun(str(path), mem, import_json(mem, path))
    db = open_db(path, create=False)
    if run is not None:
        return ShardRun(str(path), db, resolve_run(db, run))
    row = db.execute("select max(id) from runs").fetchone()
    if not row or row[0] is None:
        raise UsageError(f"{path}: no runs in this database")
    return ShardRun(str(path), db, int(row[0]))
