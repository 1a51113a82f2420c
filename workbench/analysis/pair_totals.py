"""Per-pair sums of a finished run, stored once so the pages never re-aggregate 100k results.

`RunWriter.finish` calls `store(db, run_id)`: the exact rows `queries.pair_aggregates` returns
for the run, plus each pair's p95 latency, go to the `pair_totals` table (m004) in the same
transaction as the run's totals. `load(db, run_id)` returns them only while they still describe
the run: it is not running (a resumed run is), `runs.results` is the count they were written
with, and they were written by this aggregate definition (`VERSION`). Otherwise, and for runs
finished before m004, callers compute from the results as before; reads never write.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from workbench.analysis import queries

VERSION = 1  # bump when queries.pair_aggregates changes: older stored rows are then ignored

COLUMNS = (
    "prompt_version_id",
    "variant",
    "provider_label",
    "run_id",
    "prompt_idx",
    "n",
    "passes",
    "errors",
    "mean_score",
    "guardrail_failures",
    "guardrail_failed_results",
    "mean_tokens_in",
    "mean_tokens_out",
    "sum_tokens_in",
    "sum_tokens_out",
    "mean_latency_ms",
    "n_latency",
    "sum_cost",
    "priced",
    "unknown_cost",
    "actual_cost",
    "cache_hit_rate",
    "retry_share",
    "fallback_share",
    "s_ii",
    "s_io",
    "s_oo",
    "s_ci",
    "s_co",
)


STORED = (*COLUMNS, "p95_latency_ms", "run_results", "version")
INSERT = "insert into pair_totals (" + ", ".join(STORED) + ") values (" + ", ".join("?" for _ in STORED) + ")"
SELECT = "select " + ", ".join(STORED) + " from pair_totals where run_id = ?"


def _has_table(db: Database) -> bool:
    return bool(db.execute("select 1 from sqlite_master where type = 'table' and name = 'pair_totals'").fetchone())


def compute(db: Database, run_id: int) -> list[dict[str, Any]]:
    """The run's pair aggregates with `p95_latency_ms`, from its results."""
    rows = queries.pair_aggregates(db, [run_id])
    counts = {(r["prompt_version_id"], r["variant"], r["provider_label"]): int(r["n_latency"]) for r in rows}
    p95 = queries.pair_p95_latency(db, [run_id], counts)
    for r in rows:
        r["p95_latency_ms"] = p95.get((r["prompt_version_id"], r["variant"], r["provider_label"]))
    return rows


def store(db: Database, run_id: int) -> None:
    """Replace the run's stored pair totals (call inside the transaction that writes runs.results)."""
    if not _has_table(db):
        return
    run_results = db.execute("select results from runs where id = ?", [run_id]).fetchone()
    rows = compute(db, run_id)
    db.execute("delete from pair_totals where run_id = ?", [run_id])
    if not rows or not run_results:
        return
    db.conn.executemany(
        INSERT, [[*(r[c] for c in COLUMNS), r["p95_latency_ms"], run_results[0], VERSION] for r in rows]
    )


def load(db: Database, run_id: int) -> list[dict[str, Any]] | None:
    """The stored rows (shaped like `compute`), or None when missing or possibly stale."""
    if not _has_table(db):
        return None
    run = db.execute("select results, status from runs where id = ?", [run_id]).fetchone()
    if run is None or not run[0] or run[1] == "running":
        return None
    rows = queries.rows(db, SELECT, [run_id])
    fresh = all(r.pop("run_results") == run[0] and r.pop("version") == VERSION for r in rows)
    if not rows or not fresh or sum(int(r["n"]) for r in rows) != run[0]:
        return None
    return rows


def pair_rows(db: Database, run_id: int) -> list[dict[str, Any]]:
    """Stored when valid, else computed."""
    stored = load(db, run_id)
    return stored if stored is not None else compute(db, run_id)
