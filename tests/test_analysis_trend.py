"""Run summaries for the overview and the trend across runs of one suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run

from workbench.analysis.trend import count_runs, list_run_summaries, suite_trend
from workbench.store.db import open_db


def test_runs_and_trend(db_path: Path) -> None:
    db = open_db(db_path)
    assert list_run_summaries(db) == [] and count_runs(db) == 0
    a1 = make_run(db, [R(0, 0, 0), R(0, 0, 1, ok=False)], suite_path="suites/a.yaml", label="first")
    b1 = make_run(db, [R(0, 0, 0, guardrail_fail=True)], suite_path="suites/b.yaml")
    a2 = make_run(db, [R(0, 0, 0), R(0, 0, 1, cost=None)], suite_path="suites/a.yaml")
    runs = list_run_summaries(db)
    assert [r.id for r in runs] == [a2, b1, a1]
    first = runs[2]
    assert (first.name, first.suite, first.results, first.passes, first.pass_rate) == ("#1 first", "a.yaml", 2, 1, 0.5)
    assert first.cost == pytest.approx(0.002) and first.cost_per_request == pytest.approx(0.001)
    assert runs[1].guardrail_failures == 1 and runs[2].guardrail_failures == 0
    assert runs[0].cost is None and runs[0].cost_per_request is None  # unknown price stays unknown
    trend = suite_trend(db, "suites/a.yaml")
    assert [(t.id, t.pass_rate) for t in trend] == [(a1, 0.5), (a2, 1.0)]
    assert [t.id for t in suite_trend(db, "suites/a.yaml", limit=1)] == [a2]
    assert suite_trend(db, "suites/none.yaml") == []
    assert count_runs(db) == 3
