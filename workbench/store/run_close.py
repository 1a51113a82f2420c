"""A run's totals computed from its stored results, and closing a run with them (`close_run`).

Apart from the run writer (store/writer.py), so that the readers that close runs left `running` by
a process that is gone (store/orphaned_runs.py) do not load the writer's imports (the assertion
table, suite loading).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from workbench.store.guardrail_totals import store as store_guardrail_totals
from workbench.store.pair_outcomes import store as store_pair_outcomes
from workbench.store.pair_totals import store as store_pair_totals
from workbench.store.timestamps import now_iso
from workbench.store.transaction import transaction


def close_run(db: Database, run_id: int, status: str, *, expect_owner: str | None = None) -> RunTotals | None:
    """Compute a run's totals from its stored results and close it with `status`, in one
    transaction (sqlite-utils commits a lone update at once). With `expect_owner`, only while the
    run is still `running` under that owner (None, nothing written, when it has been claimed
    since); the run is then closed at the time of its last stored result."""
    with transaction(db):
        finished_at = now_iso()
        if expect_owner is not None:
            row = db.execute(
                "select (select max(created_at) from results where run_id = runs.id), started_at from runs"
                " where id = ? and status = 'running' and owner = ?",
                [run_id, expect_owner],
            ).fetchone()
            if row is None:
                return None
            finished_at = row[0] or row[1] or finished_at
        totals = run_totals(db, run_id)
        db.table("runs").update(run_id, {**totals.to_dict(), "status": status, "finished_at": finished_at})
        store_pair_totals(db, run_id)
        store_pair_outcomes(db, run_id)
        store_guardrail_totals(db, run_id)
    return totals


@dataclass(frozen=True)
class RunTotals:
    """A run's totals, computed from its stored results (`run_totals`). The defaults are an empty
    run's. `to_dict()` is the `runs` row's columns of the same names."""

    results: int = 0
    passes: int = 0
    failures: int = 0
    errors: int = 0
    pass_rate: float | None = None  # None without results
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = 0.0  # None when a call with an unknown price was made
    grader_cost: float | None = 0.0  # the same, for model-graded assertions' calls
    cached: int = 0
    cache_hit_ratio: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_totals(db: Database, run_id: int) -> RunTotals:
    row = db.execute(
        "select count(*), sum(success), sum(case when error is null and success = 0 then 1 else 0 end),"
        " sum(case when error is not null then 1 else 0 end), sum(tokens_in), sum(tokens_out),"
        " sum(cost), sum(case when cost is null and error is null then 1 else 0 end), sum(cached),"
        " sum(grader_cost), sum(grader_tokens > 0 and grader_cost is null)"
        " from results where run_id = ?",
        [run_id],
    ).fetchone()
    n, passes, failures, errors, tin, tout, cost, unknown_cost, cached, grader_cost, grader_unknown = row
    n = n or 0
    return RunTotals(
        results=n,
        passes=passes or 0,
        failures=failures or 0,
        errors=errors or 0,
        pass_rate=(passes or 0) / n if n else None,
        tokens_in=tin or 0,
        tokens_out=tout or 0,
        cost=None if unknown_cost else (cost or 0.0),
        grader_cost=None if grader_unknown else (grader_cost or 0.0),
        cached=cached or 0,
        cache_hit_ratio=(cached or 0) / n if n else None,
    )
