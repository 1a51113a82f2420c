"""Per-pair, per-metric guardrail counts of a finished run, stored once so the Guardrails page does
not count a 100k-result run's guardrail assertions on every first render.

For each (prompt_idx, variant, provider_idx) of a run and each guardrail metric (`coalesce(metric,
type)` of the assertions the writer marked `is_guardrail`): the checks evaluated, the failed ones
and the results with at least one failure. A result belongs to one cell group, so summing the
groups of a metric gives the metric's distinct failed results. `RunWriter.finish` calls
`store(db, run_id)` in the transaction that writes runs.results (m013's `guardrail_totals` table;
m013 also fills it for runs finished before it). A run without guardrail assertions gets one
marker row (metric NULL, counts 0), so "none" and "not stored" differ. `load(db, run_id)` returns
the rows only while they still describe the run: it is not running, `runs.results` is the count
they were written with and `VERSION` is the reader's; otherwise (None) callers count the
assertions as before. Reads never write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from workbench.store.run_summaries import replace_run_rows, table_exists

VERSION = 1  # bump when what a count means changes: older rows are then ignored

# One pass over the run's guardrail assertions (the m004 index), each joined to its result's cell.
COMPUTE = """
    select r.prompt_idx, r.variant, r.provider_idx, coalesce(a.metric, a.type), count(*),
     coalesce(sum(a.pass = 0), 0), count(distinct case when a.pass = 0 then a.result_id end)
    from assertion_results a join results r on r.id = a.result_id
    where a.run_id = ? and a.is_guardrail = 1
    group by 1, 2, 3, 4
"""
INSERT = (
    "insert into guardrail_totals (run_id, prompt_idx, variant, provider_idx, metric, checks, failures,"
    " failed_results, run_results, version) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT = (
    "select prompt_idx, variant, provider_idx, metric, checks, failures, failed_results, run_results, version"
    " from guardrail_totals where run_id = ?"
)


@dataclass(frozen=True)
class GuardrailTotal:
    """One cell group's counts for one guardrail metric."""

    prompt_idx: int
    variant: str
    provider_idx: int
    metric: str
    checks: int
    failures: int  # failed guardrail assertions
    failed_results: int  # results with at least one failure of this metric


def _has_table(db: Database) -> bool:
    return table_exists(db, "guardrail_totals")


def compute(db: Database, run_id: int) -> list[GuardrailTotal]:
    """The run's counts from its assertions, ordered by (prompt_idx, variant, provider_idx, metric)."""
    rows = [
        GuardrailTotal(int(p), str(v), int(m), str(metric), int(c), int(f), int(fr))
        for p, v, m, metric, c, f, fr in db.execute(COMPUTE, [run_id])
    ]
    return sorted(rows, key=lambda t: (t.prompt_idx, t.variant, t.provider_idx, t.metric))


def store(db: Database, run_id: int) -> None:
    """Replace the run's stored counts (call inside the transaction that writes runs.results)."""
    if not _has_table(db):
        return

    def rows(n: int) -> list[list[Any]]:
        counts = [
            [run_id, t.prompt_idx, t.variant, t.provider_idx, t.metric, t.checks, t.failures, t.failed_results]
            for t in compute(db, run_id)
        ] or [[run_id, -1, "", -1, None, 0, 0, 0]]  # the marker: stored, no guardrail assertions
        return [[*row, n, VERSION] for row in counts]

    replace_run_rows(db, "guardrail_totals", run_id, INSERT, rows)


def load(db: Database, run_id: int) -> list[GuardrailTotal] | None:
    """The stored counts (without the marker row), or None when missing or possibly stale."""
    if not _has_table(db):
        return None
    run = db.execute("select results, status from runs where id = ?", [run_id]).fetchone()
    if run is None or not run[0] or run[1] == "running":
        return None
    out: list[GuardrailTotal] = []
    seen = False
    for p, v, m, metric, checks, failures, failed_results, run_results, version in db.execute(SELECT, [run_id]):
        if run_results != run[0] or version != VERSION:
            return None
        seen = True
        if metric is not None:
            out.append(
                GuardrailTotal(int(p), str(v), int(m), str(metric), int(checks), int(failures), int(failed_results))
            )
    if not seen:
        return None
    return sorted(out, key=lambda t: (t.prompt_idx, t.variant, t.provider_idx, t.metric))
