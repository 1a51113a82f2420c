"""Guardrail failures of a run: counts by metric, by prompt version and by model, and the offending outputs.

A guardrail is an assertion whose metric starts with `guardrail` or whose type is `guardrails` or
`moderation` (the writer stores `assertion_results.is_guardrail`). Counts are failed guardrail
*assertions* (as `PairStats.guardrail_failures`) and the results holding at least one. Totals and
counts by metric of a finished run are the counts stored when it finished (m013,
`store/guardrail_totals.py`); otherwise they read the `(run_id, is_guardrail, pass, metric, type,
result_id)` index (m004);
counts by prompt version and by model are sums of the pair statistics (`results.guardrail_failures`,
which RunWriter writes from the same graded assertions in the same transaction), so a 100k-result
run is not joined assertion by assertion. Outputs are fetched one page at a time, walking the
run's results in test order until the page is full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats
from workbench.store import guardrail_totals

PAGE_SIZE = 25

PROMPT_NAME = (
    "case when pv.family is not null and pv.version is not null then pv.family || '/' || pv.version"
    " else coalesce(pv.label, rp.label, 'prompt ' || r.prompt_idx) end"
)
METRIC = "coalesce(a.metric, a.type)"

FAILED = """
    from assertion_results a
    join results r on r.id = a.result_id
    left join prompt_versions pv on pv.id = r.prompt_version_id
    left join run_prompts rp on rp.run_id = r.run_id and rp.prompt_idx = r.prompt_idx
    left join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx
    where a.run_id = ? and a.is_guardrail = 1 and a.pass = 0
"""

# The same rows as FAILED, read in the page's order: the run's results by (test_idx, id) on the
# (run_id, test_idx) index, each with its failed guardrail assertions (looked up by result_id:
# the unary + keeps SQLite off the run-wide guardrail index there), so LIMIT stops the walk.
PAGE = """
    from results r
    cross join assertion_results a on a.result_id = r.id and +a.run_id = r.run_id and +a.is_guardrail = 1
     and +a.pass = 0
    left join prompt_versions pv on pv.id = r.prompt_version_id
    left join run_prompts rp on rp.run_id = r.run_id and rp.prompt_idx = r.prompt_idx
    left join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx
    where r.run_id = ?
"""


@dataclass
class GuardrailCount:
    name: str
    failures: int  # failed guardrail assertions
    results: int  # results with at least one


@dataclass
class GuardrailSummary:
    run_id: int
    checks: int  # guardrail assertions evaluated
    failures: int
    failed_results: int
    by_metric: list[GuardrailCount] = field(default_factory=list)
    by_prompt: list[GuardrailCount] = field(default_factory=list)
    by_model: list[GuardrailCount] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GuardrailFailure:
    result_id: int
    test_idx: int
    description: str | None
    prompt: str
    variant: str
    model: str
    metric: str
    type: str | None
    reason: str | None
    output: str | None


def guardrail_summary(db: Database, run_id: int) -> GuardrailSummary:
    stored = guardrail_totals.load(db, run_id)
    if stored is not None:  # a finished run: its counts were stored when it finished (m013)
        checks = sum(t.checks for t in stored)
        failures = sum(t.failures for t in stored)
        per_metric: dict[str, list[int]] = {}
        for t in stored:
            s = per_metric.setdefault(t.metric, [0, 0])
            s[0] += t.failures
            s[1] += t.failed_results
        by_metric = sorted(
            (GuardrailCount(n, f, r) for n, (f, r) in per_metric.items() if f), key=lambda c: (-c.failures, c.name)
        )
    else:
        checks, failures = db.execute(
            "select count(*), coalesce(sum(pass = 0), 0) from assertion_results where run_id = ? and is_guardrail = 1",
            [run_id],
        ).fetchone()
        by_metric = [
            GuardrailCount(str(n), int(f), int(r))
            for n, f, r in db.execute(
                f"select {METRIC}, count(*), count(distinct a.result_id) from assertion_results a"
                " where a.run_id = ? and a.is_guardrail = 1 and a.pass = 0 group by 1 order by 2 desc, 1",
                [run_id],
            )
        ]
    pairs = pair_stats(db, [run_id], with_named_scores=False) if failures else []
    return GuardrailSummary(
        run_id=run_id,
        checks=int(checks or 0),
        failures=int(failures or 0),
        failed_results=sum(p.guardrail_failed_results for p in pairs),
        by_metric=by_metric,
        by_prompt=_by(pairs, lambda p: p.prompt),
        by_model=_by(pairs, lambda p: p.model),
    )


def _by(pairs: list[PairStats], name: Callable[[PairStats], str]) -> list[GuardrailCount]:
    """Failed guardrail checks and results per group of pairs, most failures first."""
    sums: dict[str, list[int]] = {}
    for p in pairs:
        s = sums.setdefault(name(p), [0, 0])
        s[0] += p.guardrail_failures
        s[1] += p.guardrail_failed_results
    return sorted((GuardrailCount(n, f, r) for n, (f, r) in sums.items() if f), key=lambda c: (-c.failures, c.name))


def guardrail_failures(
    db: Database,
    run_id: int,
    *,
    metric: str | None = None,
    prompt: str | None = None,
    model: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[int, list[GuardrailFailure]]:
    """(total matching, one page of failures with their outputs), optionally of one metric/prompt/model."""
    where = ""
    params: list[Any] = [run_id]
    for expr, value in ((METRIC, metric), (PROMPT_NAME, prompt), ("coalesce(r.provider_label, '?')", model)):
        if value is not None:
            where += f" and {expr} = ?"
            params.append(value)
    stored = guardrail_totals.load(db, run_id) if prompt is None and model is None else None
    if stored is not None:  # every failed guardrail assertion, or those of one metric: stored counts
        total = sum(t.failures for t in stored if metric is None or t.metric == metric)
    elif where:
        total = int(db.execute(f"select count(*) {FAILED}{where}", params).fetchone()[0])
    else:  # every failed guardrail assertion, counted on the index
        total = int(
            db.execute(
                "select count(*) from assertion_results where run_id = ? and is_guardrail = 1 and pass = 0", [run_id]
            ).fetchone()[0]
        )
    sql = f"""
        select r.id, r.test_idx, tc.description, {PROMPT_NAME}, coalesce(r.variant, 'none'),
               coalesce(r.provider_label, '?'), {METRIC}, a.type, a.reason, r.output
        {PAGE}{where}
        order by r.test_idx, r.id, a.idx limit ? offset ?
    """
    out = [
        GuardrailFailure(int(r[0]), int(r[1]), r[2], str(r[3]), str(r[4]), str(r[5]), str(r[6]), r[7], r[8], r[9])
        for r in db.execute(sql, [*params, max(1, int(limit)), max(0, int(offset))])
    ]
    return total, out
