"""Repeats as clusters: a test repeated k times is one cluster, not k independent samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from analysis_data import R, make_run
from ci_project import project, wb

from workbench.analysis.pairs import pair_stats, repeat_lines
from workbench.analysis.recommend import Acceptance, recommend
from workbench.analysis.stats import cluster_effective_n, cluster_interval, wilson_interval
from workbench.store.db import open_db


def _deterministic(repeats: int) -> list[R]:
    """model-a (cheap) fails tests 0 and 1 every time; model-b (dear) passes all 10."""
    out = []
    for t in range(10):
        for r in range(repeats):
            out.append(R(0, 0, t, ok=t >= 2, repeat=r, cost=0.001))
            out.append(R(0, 1, t, ok=True, repeat=r, cost=0.01))
    return out


def test_deterministic_repeats_do_not_make_a_difference_clear(tmp_path: Path) -> None:
    """Defect 3: 8/10 vs 10/10 is not a clear difference; 40/50 vs 50/50 of the same answers used to be."""
    db = open_db(tmp_path / "w.db")
    acceptance = Acceptance(min_pass_rate=0.8)
    once = recommend(db, [make_run(db, _deterministic(1), providers=["model-a", "model-b"])], acceptance)
    five = recommend(db, [make_run(db, _deterministic(5), providers=["model-a", "model-b"])], acceptance)
    assert once.intervals_overlap is True
    assert five.pick is not None and five.runner_up is not None
    assert (five.pick.model, five.pick.passes, five.pick.n) == ("model-a", 40, 50)
    assert five.intervals_overlap is True and five.verdict == once.verdict
    assert five.pick.interval == wilson_interval(8, 10)  # worth 10 tests, not 50 results
    assert (five.pick.tests, five.pick.repeats, five.pick.pass_k, five.pick.flaky_tests) == (10, 5, 0.8, 0)
    assert five.pick.effective_n == 10


def test_flaky_repeats_pass_k_and_effective_n(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    # 4 tests x 4 repeats: t0 always passes, t1 passes 3 of 4, t2 passes 1 of 4, t3 never
    wins = {0: 4, 1: 3, 2: 1, 3: 0}
    run = make_run(db, [R(0, 0, t, ok=r < wins[t], repeat=r) for t in range(4) for r in range(4)])
    (p,) = pair_stats(db, [run])
    assert (p.passes, p.n, p.tests, p.repeats, p.flaky_tests, p.pass_k) == (8, 16, 4, 4, 2, 0.25)
    f = np.array([1.0, 0.75, 0.25, 0.0])
    spread = float(((f - f.mean()) ** 2).sum())
    assert abs(p.effective_n - max(4.0, min(16.0, 0.25 * 16 / spread))) < 1e-9
    assert repeat_lines(db, run) == [
        f"summary/v1 · none · model-a: 4 tests x 4 repeats: pass^4 25.0%, 2 flaky tests;"
        f" worth {p.effective_n:.1f} independent samples of 16"
    ]


def test_cluster_interval_rules() -> None:
    assert cluster_interval(20, 20, 17, 17) == wilson_interval(17, 20)  # no repeats: plain Wilson
    assert cluster_effective_n(10, 50, 8, 8) == 10  # all-or-nothing tests: T
    assert cluster_effective_n(10, 50, 10, 10) == 10  # all passed: the spread says nothing, T
    assert cluster_effective_n(4, 8, 2.0, 2.0 * 0.25) == 8  # every test exactly half: within-test noise, N


def test_cluster_interval_keeps_its_coverage_where_the_naive_one_fails() -> None:
    """Simulation: 30 tests x 5 repeats whose pass probabilities vary by test (Beta(0.8, 0.2)).
    The cluster interval covers the true rate about 95 % of the time; counting 150 results as
    independent covers it about 75 % of the time."""
    rng = np.random.default_rng(1)
    tests, k, truth = 30, 5, 0.8
    cluster = naive = 0
    trials = 1500
    for _ in range(trials):
        x = rng.binomial(k, rng.beta(0.8, 0.2, tests))
        f = x / k
        lo, hi = cluster_interval(tests, tests * k, float(f.sum()), float((f * f).sum()))
        cluster += lo <= truth <= hi
        lo, hi = wilson_interval(int(x.sum()), tests * k)
        naive += lo <= truth <= hi
    assert cluster / trials > 0.92
    assert naive / trials < 0.82


def test_run_summary_shows_repeats(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    res = wb("run", suite, "--db", db, "--repeat", "3", "--no-progress")
    assert res.exit_code == 0
    assert (
        "Repeats:\n  greet/v1 · none · echo: 3 tests x 3 repeats: pass^3 100.0%, 0 flaky tests;"
        " worth 3.0 independent samples of 9\n" in res.stdout
    )
    wb("run", suite, "--db", db, "--repeat", "3", "-q", "--label", "again")
    cmp = wb("compare", "1", "again", "--db", db)
    assert "  greet/v1 · none · echo: HEAD 3 tests x 3 repeats: pass^3 100.0%, 0 flaky tests" in cmp.stdout
