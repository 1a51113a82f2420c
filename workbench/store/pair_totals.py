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

from workbench.store import queries
from workbench.store.run_summaries import replace_run_rows

VERSION = 2  # bump when queries.pair_aggregates changes: older stored rows are then ignored

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
    "grader_cost",
    "grader_unknown",
    "fallback_cost",
)


STORED = (*COLUMNS, "p95_latency_ms", "run_results", "version")
INSERT = "insert into pair_totals (" + ", ".join(STORED) + ") values (" + ", ".join("?" for _ in STORED) + ")"
SELECT = "select " + ", ".join(STORED) + " from pair_totals where run_id = ?"


def _has_table(db: Database) -> bool:
    """The table with every column this VERSION writes (m005 added the grader and fallback spend)."""
    cols = {c[1] for c in db.execute("pragma table_info(pair_totals)").fetchall()}
    return bool(cols) and "fallback_cost" in cols


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
    replace_run_rows(
        db,
        "pair_totals",
        run_id,
        INSERT,
        lambda n: [[*(r[c] for c in COLUMNS), r["p95_latency_ms"], n, VERSION] for r in compute(db, run_id)],
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


def _sum_known(values: list[Any]) -> Any:
    """SQL `sum`: None when every value is None."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _mean_count(mean: float | None, total: float) -> float | None:
    """How many non-null values an average was taken over (None when a zero mean hides it)."""
    if mean is None:
        return 0.0
    return total / mean if mean else (0.0 if total else None)


def combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sums of several pairs' stored rows, as SQL would aggregate their results together.

    Keys: n, passes, errors, unknown_cost, guardrail_failures, sum_tokens_in, sum_tokens_out,
    priced, sum_cost and actual_cost (None when no pair has one), cache_hits (`cached` is always
    0 or 1, so a pair's hits are its rate times its count), and tokens_in_count / tokens_out_count:
    how many results recorded tokens, None when a pair whose tokens are all 0 hides it."""
    out: dict[str, Any] = {
        key: sum(int(r[key] or 0) for r in rows)
        for key in (
            "n",
            "passes",
            "errors",
            "unknown_cost",
            "guardrail_failures",
            "sum_tokens_in",
            "sum_tokens_out",
            "priced",
        )
    }
    out["sum_cost"] = _sum_known([r["sum_cost"] for r in rows])
    out["actual_cost"] = _sum_known([r["actual_cost"] for r in rows])
    out["cache_hits"] = sum(float(r["cache_hit_rate"] or 0.0) * int(r["n"]) for r in rows)
    for side in ("in", "out"):
        counts = [_mean_count(r[f"mean_tokens_{side}"], float(r[f"sum_tokens_{side}"] or 0)) for r in rows]
        out[f"tokens_{side}_count"] = (
            None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
        )
    return out
