from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_data import make_run, pair_results

from workbench.analysis.recommend import (
    Acceptance,
    acceptance_from_suite_file,
    recommend,
    recommend_for,
    run_acceptance,
)
from workbench.errors import SuiteError, UsageError
from workbench.store.db import open_db

ALL = [True] * 20
NINETEEN = [True] * 19 + [False]
EIGHTEEN = [True] * 18 + [False] * 2


def names(pairs: list) -> list[str]:
    return [p.model for p in pairs]


def test_pick_is_cheapest_acceptable_and_exclusions_say_why(db_path: Path) -> None:
    db = open_db(db_path)
    results = (
        pair_results(0, 0, ALL, cost=0.010)  # pricey, perfect
        + pair_results(0, 1, NINETEEN, cost=0.002)  # acceptable, cheapest acceptable
        + pair_results(0, 2, [True] * 10 + [False] * 10, cost=0.0001)  # cheapest, too weak
        + pair_results(0, 3, ALL, cost=0.001, guardrail_fail=False)  # guardrail failure below
        + pair_results(0, 4, ALL, cost=None)  # price unknown
        + pair_results(0, 5, ALL, cost=0.0005)  # one error below
    )
    results[3 * 20 + 4].guardrail_fail = True
    results[5 * 20 + 7].error = "timeout"
    run = make_run(db, results, providers=["pricey", "cheap", "weak", "leaky", "mystery", "flaky"])
    rec = recommend(db, [run])
    assert rec.pick is not None and rec.pick.model == "cheap"
    assert rec.runner_up is not None and rec.runner_up.model == "pricey"
    assert names(rec.acceptable) == ["cheap", "pricey"]
    reasons = {e.pair.model: e.reasons for e in rec.excluded}
    assert reasons == {
        "weak": ["pass rate 50.0% (10/20) below target 90.0%"],
        "leaky": ["1 guardrail failure"],
        "mystery": ["price unknown (20 results without a price)"],
        "flaky": ["1 error"],
    }
    # 19/20 vs 20/20: the intervals overlap, so the pick is not clearly better
    assert rec.intervals_overlap is True and rec.clearly_better is False
    assert rec.verdict.startswith("not clearly better than the runner-up: the pass-rate intervals overlap")
    # frontier: weak ($0.0001, 50%), flaky ($0.0005, 95%), pricey ($0.01, 100%); leaky and cheap
    # (95% at a higher price than flaky) are dominated; mystery has no price
    assert names(rec.frontier) == ["weak", "flaky", "pricey"]


def test_switches_admit_guardrail_failures_and_errors(db_path: Path) -> None:
    db = open_db(db_path)
    results = pair_results(0, 0, ALL, cost=0.01) + pair_results(0, 1, ALL, cost=0.001)
    results[20].guardrail_fail = True  # model 1, test 0: fails (guardrail), 19/20 passes
    results[21].error = "boom"  # model 1, test 1: error, 18/20
    run = make_run(db, results, providers=["safe", "risky"])
    assert recommend(db, [run]).pick.model == "safe"  # type: ignore[union-attr]
    only_guardrails = Acceptance(allow_guardrail_failures=True)
    rec = recommend(db, [run], only_guardrails)
    assert rec.pick.model == "safe"  # type: ignore[union-attr]
    assert {e.pair.model: e.reasons for e in rec.excluded} == {"risky": ["1 error"]}
    rec = recommend(db, [run], Acceptance(allow_guardrail_failures=True, allow_errors=True))
    assert rec.pick.model == "risky"  # type: ignore[union-attr]
    assert rec.pick.pass_rate == pytest.approx(0.9)  # type: ignore[union-attr]
    rec = recommend(db, [run], Acceptance(min_pass_rate=0.95, allow_guardrail_failures=True, allow_errors=True))
    assert rec.pick.model == "safe"  # type: ignore[union-attr]


def test_clearly_better_when_intervals_do_not_overlap(db_path: Path) -> None:
    db = open_db(db_path)
    n = 200
    results = pair_results(0, 0, [True] * n, cost=0.001) + pair_results(0, 1, [True] * 180 + [False] * 20, cost=0.002)
    run = make_run(db, results, providers=["best", "worse"])
    rec = recommend(db, [run])
    assert rec.pick.model == "best" and rec.runner_up.model == "worse"  # type: ignore[union-attr]
    assert rec.intervals_overlap is False and rec.clearly_better is True
    assert rec.verdict.startswith("clearly better than the runner-up")


def test_cheaper_pick_with_clearly_higher_quality_runner_up(db_path: Path) -> None:
    db = open_db(db_path)
    n = 400
    results = pair_results(0, 0, [True] * 360 + [False] * 40, cost=0.001)
    results += pair_results(0, 1, [True] * n, cost=0.002)
    run = make_run(db, results, providers=["cheap", "perfect"])
    rec = recommend(db, [run])
    assert rec.pick.model == "cheap"  # type: ignore[union-attr]
    assert rec.clearly_better is False and rec.intervals_overlap is False
    assert "runner-up's pass rate is clearly higher" in rec.verdict


def test_tie_on_cost_goes_to_higher_pass_rate(db_path: Path) -> None:
    db = open_db(db_path)
    results = pair_results(0, 0, NINETEEN, cost=0.001) + pair_results(0, 1, ALL, cost=0.001)
    run = make_run(db, results, providers=["a", "b"])
    rec = recommend(db, [run])
    assert rec.tie is True
    assert rec.pick.model == "b" and rec.runner_up.model == "a"  # type: ignore[union-attr]
    assert rec.verdict.startswith("tie on cost with the runner-up")


def test_nothing_acceptable(db_path: Path) -> None:
    db = open_db(db_path)
    run = make_run(db, pair_results(0, 0, [True] * 10 + [False] * 10), providers=["only"])
    rec = recommend(db, [run])
    assert rec.pick is None and rec.runner_up is None
    assert rec.verdict == (
        "no pair meets the criteria (pass rate >= 90%, no guardrail failures, no errors, a known price,"
        " not a test double); the best real pair is summary/v1 · none · only (pass rate 50.0%),"
        " excluded: pass rate 50.0% (10/20) below target 90.0%"
    )


def test_projections_for_pick_and_alternatives(db_path: Path) -> None:
    db = open_db(db_path)
    results = pair_results(0, 0, ALL, cost=0.002) + pair_results(0, 1, ALL, cost=None)
    run = make_run(db, results, providers=["priced", "unpriced"])
    rec = recommend(db, [run], requests_per_day=1000, cache_hit_rate=0.25)
    assert [p.pair for p in rec.projections] == ["summary/v1 · none · priced"]
    proj = rec.projections[0]
    assert proj.monthly_cost == pytest.approx(1000 * 30 * 0.002)
    assert proj.monthly_cost_cached == pytest.approx(1000 * 30 * 0.002 * 0.75)
    assert [a.context_growth for a in rec.avalanche] == [1.0, 2.0, 4.0]


def test_suite_block_sets_defaults_and_flags_override(db_path: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("prompts: [x]\nworkbench:\n  acceptance:\n    min_pass_rate: 0.8\n    allow_errors: true\n")
    assert acceptance_from_suite_file(suite) == Acceptance(0.8, False, True)
    db = open_db(db_path)
    results = pair_results(0, 0, ALL, cost=0.01) + pair_results(0, 1, [True] * 17 + [False] * 3, cost=0.001)
    run = make_run(db, results, providers=["strong", "ok"], suite_path=str(suite), label="main")
    assert recommend_for(db, run="main").pick.model == "ok"  # type: ignore[union-attr]
    assert recommend_for(db, suite=suite).pick.model == "ok"  # type: ignore[union-attr]
    assert recommend_for(db, run=str(run), min_pass_rate=0.9).pick.model == "strong"  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="run 'nope' not found"):
        recommend_for(db, run="nope")


def test_run_keeps_the_acceptance_it_was_made_with(db_path: Path, tmp_path: Path) -> None:
    """`workbench run` stores the suite's acceptance block in the run's config: recommending for the
    run later needs no suite file (moved, edited or huge); older runs fall back to the file."""
    from workbench.run.config import RunConfig
    from workbench.run.engine import run_suite
    from workbench.suite import load as load_suite

    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "prompts: ['Say {{x}}']\nproviders: [echo]\ntests:\n  - vars: {x: hi}\n    assert: [{type: contains, value: hi}]\n"
        "workbench:\n  acceptance:\n    min_pass_rate: 0.5\n    allow_errors: true\n"
    )
    db = open_db(db_path)
    run = run_suite(load_suite(suite), RunConfig(), db).run_id
    assert json.loads(db.execute("select config from runs where id = ?", [run]).fetchone()[0])["acceptance"] == {
        "min_pass_rate": 0.5,
        "allow_errors": True,
    }
    suite.write_text("prompts: ['Say {{x}}']\n")  # edited afterwards: the run still knows its block
    assert run_acceptance(db, run) == Acceptance(0.5, False, True)
    assert recommend_for(db, run=run).acceptance == Acceptance(0.5, False, True)
    assert recommend_for(db, run=run, suite=suite).acceptance == Acceptance()  # an explicit suite wins
    # A run stored before the block was kept in its config: the suite file is read.
    db.execute("update runs set config = '{}' where id = ?", [run])
    suite.write_text("prompts: [x]\nworkbench:\n  acceptance:\n    allow_guardrail_failures: true\n")
    assert run_acceptance(db, run) == Acceptance(0.9, True, False)


def test_bad_acceptance_block_is_a_suite_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("workbench:\n  acceptance:\n    min_pass_rate: 90\n")
    with pytest.raises(SuiteError) as e:
        acceptance_from_suite_file(suite)
    assert str(e.value) == f"{suite}: workbench.acceptance.min_pass_rate: expected a number between 0 and 1"
