"""The result matrix of one run: rows = test cases, columns = (prompt version, variant, model).

Columns are the pairs of `pairs.pair_stats` (so a header's pass rate, mean score and cost are the
same numbers the recommendation uses). Rows are read one page at a time: the filters (failures,
errors, guardrail failures, verdicts that differ across columns, a regex search) run in SQLite as
one grouped pass over the run's results on the covering index; only the page's cells are fetched.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import pair_stats
from workbench.errors import UsageError
from workbench.store import queries
from workbench.store.json_columns import loads

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def column_key(prompt_version_id: int | None, variant: str | None, model: str | None) -> str:
    """A stable string key for a column (URL- and dataframe-friendly)."""
    return f"{'' if prompt_version_id is None else prompt_version_id}|{variant or 'none'}|{model or '?'}"


@dataclass
class MatrixColumn:
    key: str
    prompt_version_id: int | None
    prompt: str
    variant: str
    model: str
    n: int
    pass_rate: float
    mean_score: float | None
    mean_cost: float | None  # uncached $ per request; None = unknown
    total_cost: float | None  # what the run spent; None = unknown
    errors: int
    guardrail_failures: int

    @property
    def name(self) -> str:
        return f"{self.prompt} · {self.variant} · {self.model}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}


@dataclass
class MatrixCell:
    result_id: int
    repeat: int
    success: bool
    score: float | None
    error: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost: float | None
    latency_ms: float | None
    cached: bool
    guardrail_failures: int


@dataclass
class MatrixRow:
    test_idx: int
    description: str | None
    vars: dict[str, Any]
    cells: dict[str, list[MatrixCell]] = field(default_factory=dict)  # column key -> repeats


@dataclass
class MatrixFilters:
    failures: bool = False  # some cell failed (errors included)
    errors: bool = False  # some cell errored
    guardrails: bool = False  # some cell failed a guardrail
    different: bool = False  # cells disagree on pass/fail
    search: str | None = None  # regex over the description, vars and outputs

    @property
    def active(self) -> bool:
        return self.failures or self.errors or self.guardrails or self.different or bool(self.search)


@dataclass
class MatrixPage:
    run_id: int
    total: int  # rows matching the filters
    page: int  # 1-based
    page_size: int
    rows: list[MatrixRow]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass
class AssertionDetail:
    idx: int
    parent_idx: int | None
    type: str | None
    metric: str | None
    passed: bool
    score: float | None
    reason: str | None
    value: Any
    is_guardrail: bool


@dataclass
class CellDetail:
    result_id: int
    run_id: int
    test_idx: int
    description: str | None
    vars: dict[str, Any]
    column: str  # column key
    prompt_name: str
    variant: str
    model: str
    repeat: int
    prompt: str | None  # the rendered prompt sent
    output: str | None
    success: bool
    score: float | None
    error: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost: float | None
    latency_ms: float | None
    cached: bool
    compression: dict[str, Any] | None
    assertions: list[AssertionDetail]


def matrix_columns(db: Database, run_id: int) -> list[MatrixColumn]:
    return [
        MatrixColumn(
            key=column_key(p.prompt_version_id, p.variant, p.model),
            prompt_version_id=p.prompt_version_id,
            prompt=p.prompt,
            variant=p.variant,
            model=p.model,
            n=p.n,
            pass_rate=p.pass_rate,
            mean_score=p.mean_score,
            mean_cost=p.mean_cost,
            total_cost=p.actual_cost,
            errors=p.errors,
            guardrail_failures=p.guardrail_failures,
        )
        for p in pair_stats(db, [run_id], with_named_scores=False)
    ]


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str, value: str | None) -> int:
    return 1 if value is not None and _compiled(pattern).search(value) else 0


def _filter_sql(run_id: int, filters: MatrixFilters, db: Database) -> tuple[str, list[Any]]:
    """SELECT test_idx of the matching rows (unordered)."""
    params: list[Any] = [run_id]
    sql = "select t.test_idx from test_cases t where t.run_id = ?"
    having = []
    if filters.failures:
        having.append("min(coalesce(success, 0)) = 0")
    if filters.errors:
        having.append("sum(error is not null) > 0")
    if filters.guardrails:
        having.append("sum(coalesce(guardrail_failures, 0)) > 0")
    if filters.different:
        having.append("min(coalesce(success, 0)) != max(coalesce(success, 0))")
    if having:
        sql += (
            " and t.test_idx in (select test_idx from results where run_id = ? group by test_idx having "
            + " and ".join(having)
            + ")"
        )
        params.append(run_id)
    if filters.search:
        try:
            _compiled(filters.search)
        except re.error as e:
            raise UsageError(f"search: invalid regular expression {filters.search!r} ({e})") from None
        db.conn.create_function("wb_regexp", 2, _regexp, deterministic=True)
        sql += (
            " and (wb_regexp(?, coalesce(t.description, '')) or wb_regexp(?, coalesce(t.vars, ''))"
            " or t.test_idx in (select test_idx from results where run_id = ? and wb_regexp(?, output)))"
        )
        params += [filters.search, filters.search, run_id, filters.search]
    return sql, params


def matrix_page(
    db: Database,
    run_id: int,
    filters: MatrixFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> MatrixPage:
    """One page of matrix rows (tests in suite order) with every cell of those tests."""
    filters = filters or MatrixFilters()
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    sql, params = _filter_sql(run_id, filters, db)
    total = int(db.execute(f"select count(*) from ({sql})", params).fetchone()[0])
    pages = max(1, -(-total // page_size))
    page = max(1, min(int(page), pages))
    idx = [
        int(r[0])
        for r in db.execute(f"{sql} order by t.test_idx limit ? offset ?", [*params, page_size, (page - 1) * page_size])
    ]
    rows: dict[int, MatrixRow] = {}
    if idx:
        marks = queries.placeholders(idx)
        for test_idx, description, vars_json in db.execute(
            f"select test_idx, description, vars from test_cases where run_id = ? and test_idx in ({marks})"
            " order by test_idx",
            [run_id, *idx],
        ):
            rows[int(test_idx)] = MatrixRow(int(test_idx), description, loads(vars_json) or {})
        for r in db.execute(
            "select test_idx, prompt_version_id, variant, provider_label, id, repeat, success, score, error,"
            " tokens_in, tokens_out, cost, latency_ms, cached, guardrail_failures"
            f" from results where run_id = ? and test_idx in ({marks}) order by test_idx, repeat",
            [run_id, *idx],
        ):
            row = rows.get(int(r[0]))
            if row is None:
                continue
            cell = MatrixCell(
                result_id=int(r[4]),
                repeat=int(r[5] or 0),
                success=bool(r[6]),
                score=r[7],
                error=r[8],
                tokens_in=r[9],
                tokens_out=r[10],
                cost=r[11],
                latency_ms=r[12],
                cached=bool(r[13]),
                guardrail_failures=int(r[14] or 0),
            )
            row.cells.setdefault(column_key(r[1], r[2], r[3]), []).append(cell)
    return MatrixPage(run_id, total, page, page_size, [rows[i] for i in idx if i in rows])


def cell_detail(db: Database, result_id: int) -> CellDetail | None:
    """Everything about one cell: rendered prompt, output, and every assertion with its reason."""
    cur = db.execute(
        "select r.id, r.run_id, r.test_idx, tc.description, tc.vars, r.prompt_version_id, r.variant,"
        " r.provider_label, r.repeat, r.prompt, r.output, r.success, r.score, r.error, r.tokens_in, r.tokens_out,"
        " r.cost, r.latency_ms, r.cached, r.compression, r.prompt_idx,"
        " case when pv.family is not null and pv.version is not null then pv.family || '/' || pv.version"
        "  else coalesce(pv.label, rp.label) end"
        " from results r left join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx"
        " left join prompt_versions pv on pv.id = r.prompt_version_id"
        " left join run_prompts rp on rp.run_id = r.run_id and rp.prompt_idx = r.prompt_idx"
        " where r.id = ?",
        [int(result_id)],
    )
    r = cur.fetchone()
    if r is None:
        return None
    assertions = [
        AssertionDetail(
            idx=int(a[0]),
            parent_idx=a[1],
            type=a[2],
            metric=a[3],
            passed=bool(a[4]),
            score=a[5],
            reason=a[6],
            value=loads(a[7]),
            is_guardrail=bool(a[8]),
        )
        for a in db.execute(
            "select idx, parent_idx, type, metric, pass, score, reason, value, is_guardrail"
            " from assertion_results where result_id = ? order by idx",
            [int(result_id)],
        )
    ]
    return CellDetail(
        result_id=int(r[0]),
        run_id=int(r[1]),
        test_idx=int(r[2]),
        description=r[3],
        vars=loads(r[4]) or {},
        column=column_key(r[5], r[6], r[7]),
        prompt_name=r[21] or f"prompt {r[20]}",
        variant=r[6] or "none",
        model=r[7] or "?",
        repeat=int(r[8] or 0),
        prompt=r[9],
        output=r[10],
        success=bool(r[11]),
        score=r[12],
        error=r[13],
        tokens_in=r[14],
        tokens_out=r[15],
        cost=r[16],
        latency_ms=r[17],
        cached=bool(r[18]),
        compression=loads(r[19]),
        assertions=assertions,
    )
