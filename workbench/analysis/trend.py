"""Runs over time: the run list with its stored totals, and the trend across runs of one suite.

Reads only the `runs` table (its totals are written when a run finishes) plus one index count
per run for guardrail failures, so the overview stays fast however many results the runs hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.store.orphaned_runs import close_orphaned_runs

RUN_LIMIT = 200


@dataclass
class RunSummary:
    id: int
    label: str | None
    suite: str  # suite file name (the stored path's last part)
    suite_path: str | None
    description: str | None
    started_at: str | None
    finished_at: str | None
    status: str | None
    git_sha: str | None
    git_ref: str | None
    results: int
    passes: int
    failures: int
    errors: int
    pass_rate: float | None
    tokens_in: int
    tokens_out: int
    cost: float | None  # None = some price unknown
    cache_hit_ratio: float | None
    guardrail_failures: int
    grader_cost: float | None = 0.0  # grading spend (model-graded assertions); None = a grader price unknown

    @property
    def total_cost(self) -> float | None:
        """Model spend + grading spend: what the run cost."""
        return None if self.cost is None or self.grader_cost is None else self.cost + self.grader_cost

    @property
    def name(self) -> str:
        return f"#{self.id} {self.label}" if self.label else f"#{self.id}"

    @property
    def cost_per_request(self) -> float | None:
        return None if self.cost is None or not self.results else self.cost / self.results

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "name": self.name,
            "cost_per_request": self.cost_per_request,
            "total_cost": self.total_cost,
        }


COLUMNS = (
    "id, label, suite_path, description, started_at, finished_at, status, git_sha, git_ref, results, passes,"
    " failures, errors, pass_rate, tokens_in, tokens_out, cost, cache_hit_ratio, coalesce(grader_cost, 0) as grader_cost"
)


def _summary(db: Database, r: tuple[Any, ...]) -> RunSummary:
    gf = db.execute(
        "select count(*) from assertion_results where run_id = ? and is_guardrail = 1 and pass = 0", [r[0]]
    ).fetchone()[0]
    return RunSummary(
        id=int(r[0]),
        label=r[1],
        suite=Path(r[2]).name if r[2] else "?",
        suite_path=r[2],
        description=r[3],
        started_at=r[4],
        finished_at=r[5],
        status=r[6],
        git_sha=r[7],
        git_ref=r[8],
        results=int(r[9] or 0),
        passes=int(r[10] or 0),
        failures=int(r[11] or 0),
        errors=int(r[12] or 0),
        pass_rate=r[13],
        tokens_in=int(r[14] or 0),
        tokens_out=int(r[15] or 0),
        cost=r[16],
        cache_hit_ratio=r[17],
        guardrail_failures=int(gf or 0),
        grader_cost=r[18],
    )


def list_run_summaries(db: Database, limit: int = RUN_LIMIT, suite: str | None = None) -> list[RunSummary]:
    """The newest runs first; `suite` keeps runs whose suite path contains it. A run whose process
    was killed since the database was opened (a long-lived reader: the UI) is closed first."""
    close_orphaned_runs(db)
    where, params = ("where suite_path like ?", [f"%{suite}%"]) if suite else ("", [])
    rows = db.execute(f"select {COLUMNS} from runs {where} order by id desc limit ?", [*params, int(limit)]).fetchall()
    return [_summary(db, r) for r in rows]


def suite_trend(db: Database, suite_path: str, limit: int = RUN_LIMIT) -> list[RunSummary]:
    """Runs of one suite (same stored path), oldest first: the trend of pass rate, cost and errors."""
    close_orphaned_runs(db)
    rows = db.execute(
        f"select {COLUMNS} from (select {COLUMNS} from runs where suite_path is ? order by id desc limit ?)"
        " order by id",
        [suite_path, int(limit)],
    ).fetchall()
    return [_summary(db, r) for r in rows]


def count_runs(db: Database) -> int:
    return int(db.execute("select count(*) from runs").fetchone()[0])
