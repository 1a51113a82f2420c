"""`import_run`: store a whole run that was made elsewhere (a promptfoo JSON, shard databases).

The engine writes runs cell by cell through `RunWriter`; this is the other writer: it takes a run
header and one or more `RunPart`s (the rows of one source) and inserts the run, its matrix
(run_prompts, run_providers, test_cases), its results and their assertion rows. Results are keyed
by cell key: a cell that two parts both hold is kept once (the first) and counted as a duplicate.
Prompt versions are shared across runs: a part's version is reused when the database already holds
one with the same sha256, label and path.

Rows are filtered to the destination's columns, so a database made by an older workbench can be
imported into a newer one (and the reverse).

The whole import is one transaction: an error, a Ctrl-C or a kill part-way leaves no trace of the
run (no header without its results, no results without their totals). Other writers of the same
database wait for it (up to the busy timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.store.run_close import RunTotals, run_totals
from workbench.store.timestamps import now_iso
from workbench.store.transaction import transaction

COPY_BATCH = 1000

Row = dict[str, Any]


@dataclass
class RunPart:
    """The rows of one source. `prompt_version_id` values (in run_prompts and results rows) are the
    source's keys; `prompt_version(key)` returns the source's prompt_versions row for a key."""

    prompt_version: Callable[[Any], Row | None]
    run_prompts: list[Row] = field(default_factory=list)
    run_providers: list[Row] = field(default_factory=list)
    test_cases: list[Row] = field(default_factory=list)
    results: Iterable[list[tuple[Row, list[Row]]]] = ()  # batches of (results row, its assertion rows)


@dataclass
class ImportOutcome:
    run_id: int
    results: int
    duplicates: int
    totals: RunTotals | None = None  # None when not recomputed (`recompute_totals=False`)


class _Columns:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache: dict[str, set[str]] = {}

    def keep(self, table: str, row: Row, drop: Sequence[str] = ("id",)) -> Row:
        if table not in self.cache:
            self.cache[table] = {c.name for c in self.db.table(table).columns}
        cols = self.cache[table]
        return {k: v for k, v in row.items() if k in cols and k not in drop}


def insert_run(db: Database, header: Row) -> int:
    """Insert a `runs` row (its id is assigned); returns the new id. An imported run has no owner
    process (store/run_owners.py): whatever its status, no process of this database runs it."""
    db.table("runs").insert(_Columns(db).keep("runs", header, drop=("id", "owner")))
    return int(db.execute("select last_insert_rowid()").fetchone()[0])


def _prompt_version_id(db: Database, cols: _Columns, part: RunPart, key: Any, memo: dict[Any, int]) -> int | None:
    """The destination id of a part's prompt version (inserted when missing)."""
    if key is None:
        return None
    if key in memo:
        return memo[key]
    row = part.prompt_version(key)
    if row is None:
        return None
    found = db.execute(
        "select id from prompt_versions where sha256 = ? and label is ? and path is ?",
        [row["sha256"], row.get("label"), row.get("path")],
    ).fetchone()
    if found:
        memo[key] = int(found[0])
    else:
        db.table("prompt_versions").insert(cols.keep("prompt_versions", row))
        memo[key] = int(db.execute("select last_insert_rowid()").fetchone()[0])
    return memo[key]


def _insert_sql(table: str, names: Sequence[str], verb: str = "insert") -> str:
    return f"{verb} into {table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})"


def _write_part(db: Database, cols: _Columns, run_id: int, part: RunPart) -> tuple[int, int]:
    """Write one part inside `import_run`'s transaction."""
    memo: dict[Any, int] = {}  # prompt_versions ids are per source
    for r in part.run_prompts:
        row = {**r, "run_id": run_id}
        row["prompt_version_id"] = _prompt_version_id(db, cols, part, r.get("prompt_version_id"), memo)
        db.table("run_prompts").insert(cols.keep("run_prompts", row, ()), ignore=True)
    # ignore: shards imported from JSON each hold only the tests they ran; the union is the run's
    for table, rows in (("run_providers", part.run_providers), ("test_cases", part.test_cases)):
        db.table(table).insert_all(
            (cols.keep(table, {**r, "run_id": run_id}, ()) for r in rows), batch_size=500, ignore=True
        )
    copied = duplicates = 0
    cur = db.conn.cursor()
    for batch in part.results:
        for result, assertions in batch:
            row = cols.keep("results", {**result, "run_id": run_id})
            row["prompt_version_id"] = _prompt_version_id(db, cols, part, result.get("prompt_version_id"), memo)
            cur.execute(_insert_sql("results", list(row), "insert or ignore"), list(row.values()))
            if cur.rowcount == 0:
                duplicates += 1
                continue
            copied += 1
            result_id = cur.lastrowid
            for a in assertions:
                arow = cols.keep("assertion_results", {**a, "result_id": result_id, "run_id": run_id})
                cur.execute(_insert_sql("assertion_results", list(arow)), list(arow.values()))
    return copied, duplicates


def import_run(
    db: Database,
    header: Row,
    parts: Iterable[RunPart],
    *,
    recompute_totals: bool = True,
    finished_at: str | None = None,
) -> ImportOutcome:
    """Store a run: `header` (a `runs` row), then every part's rows under the new run id.

    With `recompute_totals`, the run's totals are recomputed from its stored results (the same
    `run_totals` the engine uses) and `finished_at` (default: now) is set. All of it is one
    transaction (see the module doc)."""
    cols = _Columns(db)
    with transaction(db):
        run_id = insert_run(db, header)
        copied = duplicates = 0
        for part in parts:
            c, d = _write_part(db, cols, run_id, part)
            copied, duplicates = copied + c, duplicates + d
        totals: RunTotals | None = None
        if recompute_totals:
            totals = run_totals(db, run_id)
            db.table("runs").update(run_id, {**totals.to_dict(), "finished_at": finished_at or now_iso()})
    return ImportOutcome(run_id, copied, duplicates, totals)


# -- reading a stored run as a part ----------------------------------------------------------------


def _rows(db: Database, sql: str, params: list[Any]) -> list[Row]:
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run_header(db: Database, run_id: int) -> Row:
    """The `runs` row of `run_id`."""
    rows = _rows(db, "select * from runs where id = ?", [run_id])
    return rows[0]


def stored_part(src: Database, run_id: int) -> RunPart:
    """Run `run_id` of `src` as a part: its matrix, results and assertion rows (streamed in batches)."""

    def prompt_version(pv_id: Any) -> Row | None:
        rows = _rows(src, "select * from prompt_versions where id = ?", [pv_id])
        return rows[0] if rows else None

    def results() -> Iterator[list[tuple[Row, list[Row]]]]:
        cur = src.execute("select * from results where run_id = ? order by id", [run_id])
        names = [d[0] for d in cur.description]
        while True:
            batch = cur.fetchmany(COPY_BATCH)
            if not batch:
                break
            out = []
            for r in batch:
                row = dict(zip(names, r, strict=True))
                assertions = _rows(src, "select * from assertion_results where result_id = ? order by idx", [row["id"]])
                for a in assertions:
                    a.pop("id", None)
                out.append((row, assertions))
            yield out

    return RunPart(
        prompt_version=prompt_version,
        run_prompts=_rows(src, "select * from run_prompts where run_id = ? order by prompt_idx", [run_id]),
        run_providers=_rows(src, "select * from run_providers where run_id = ? order by provider_idx", [run_id]),
        test_cases=_rows(src, "select * from test_cases where run_id = ? order by test_idx", [run_id]),
        results=results(),
    )


def copy_run(src: Database, run_id: int, dst: Database, **header: Any) -> int:
    """Copy one run (header, matrix, results, assertion rows) from `src` into `dst`; returns the new id.

    Keyword arguments override columns of the copied `runs` row (e.g. `label=`)."""
    row = {**run_header(src, run_id), **header}
    return import_run(dst, row, [stored_part(src, run_id)], recompute_totals=False).run_id
