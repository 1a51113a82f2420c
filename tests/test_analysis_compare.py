from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis.comparison import compare_runs
from workbench.errors import UsageError
from workbench.store.db import open_db


def named_cases(*names: str) -> list[dict]:
    return [{"description": n, "vars": {"text": n}} for n in names]


def build(db_path: Path) -> tuple[object, int, int]:
    db = open_db(db_path)
    base_tests = named_cases("alpha", "beta", "gamma", "delta", "gone")
    base = make_run(
        db,
        [
            R(0, 0, i, ok=ok, cost=0.001, tokens_in=100, output=f"base {n}")
            for i, (n, ok) in enumerate(
                zip(["alpha", "beta", "gamma", "delta", "gone"], [True, True, False, True, True], strict=True)
            )
        ],
        prompts=[prompt("summary", "v1", "old {{text}}")],
        tests=base_tests,
        label="main",
    )
    # HEAD: same family/version name with edited text; tests reordered, "gone" removed, "fresh" added
    head_tests = named_cases("fresh", "delta", "gamma", "beta", "alpha")
    head_results = [
        R(0, 0, 0, ok=True, cost=0.002, tokens_in=150, output="head fresh"),
        R(0, 0, 1, ok=True, guardrail_fail=True, cost=0.002, tokens_in=150, output="head delta ssn"),
        R(0, 0, 2, ok=True, cost=0.002, tokens_in=150, output="head gamma"),
        R(0, 0, 3, ok=False, cost=0.002, tokens_in=150, output="head beta"),
        R(0, 0, 4, error="HTTP 500", cost=None, tokens_in=150, output=""),
    ]
    head = make_run(db, head_results, prompts=[prompt("summary", "v1", "new {{text}} !")], tests=head_tests, label="pr")
    return db, base, head


def test_regressions_improvements_guardrails_errors_matched_by_identity(db_path: Path) -> None:
    db, base, head = build(db_path)
    c = compare_runs(db, "main", "pr")  # type: ignore[arg-type]
    assert (c.base_id, c.head_id) == (base, head)
    assert c.matched == 4
    # beta passed -> failed, delta passed -> guardrail failure, alpha passed -> error: 3 regressions
    assert c.regressed == 3 and c.improved == 1
    assert c.new_guardrail_failures == 1 and c.new_errors == 1
    # equal drops: in HEAD test order
    assert [r.description for r in c.regressions] == ["delta", "beta", "alpha"]
    beta = next(r for r in c.regressions if r.description == "beta")
    assert (beta.base_output, beta.head_output) == ("base beta", "head beta")
    alpha = next(r for r in c.regressions if r.description == "alpha")
    assert alpha.head_error == "HTTP 500"
    assert [i.description for i in c.improvements] == ["gamma"]
    # tests present in one run only are reported, never counted as passes
    assert [t["description"] for t in c.tests_only_in_base] == ["gone"]
    assert [t["description"] for t in c.tests_only_in_head] == ["fresh"]
    assert not c.same_tests
    assert c.base_matched_pass_rate == pytest.approx(3 / 4)
    assert c.head_matched_pass_rate == pytest.approx(1 / 4)
    assert c.base.pass_rate == pytest.approx(4 / 5) and c.head.pass_rate == pytest.approx(2 / 5)
    assert c.pass_rate_delta == pytest.approx(-0.4)


def test_pair_deltas(db_path: Path) -> None:
    db, base, head = build(db_path)
    c = compare_runs(db, base, head)  # type: ignore[arg-type]
    (pair,) = c.pairs
    assert pair.name == "summary/v1 · none · model-a"
    assert pair.delta("mean_tokens_in") == pytest.approx(50)
    assert pair.delta("mean_cost") == pytest.approx(0.001)
    assert pair.delta("guardrail_failures") == 1
    assert pair.to_dict()["delta"]["prompt_tokens"] == pair.head.prompt_tokens - pair.base.prompt_tokens  # type: ignore[union-attr]
    assert c.head.cost_per_request == pytest.approx(0.002)


def test_pairs_only_in_one_run_and_unknown_run(db_path: Path) -> None:
    db = open_db(db_path)
    a = make_run(db, [R(0, 0, 0), R(0, 1, 0)], providers=["x", "y"])
    b = make_run(db, [R(0, 0, 0)], providers=["x"])
    c = compare_runs(db, a, b)
    assert [(p.model, p.base is not None, p.head is not None) for p in c.pairs] == [
        ("x", True, True),
        ("y", True, False),
    ]
    assert c.same_tests and c.regressed == 0
    with pytest.raises(UsageError, match="run '99' not found"):
        compare_runs(db, a, 99)


def test_run_totals_from_stored_pair_totals_match_the_results(db_path: Path) -> None:
    """A finished run's totals are sums of its stored pair totals; they equal the totals computed
    from its results, and a pair whose token counts are all 0 falls back to the results."""
    from workbench.analysis.comparison import _totals, _totals_from_pairs, _totals_from_results
    from workbench.store.pair_totals import load

    db = open_db(db_path)
    run = make_run(
        db,
        [
            R(0, 0, 0, cost=0.002, tokens_in=150, tokens_out=30),
            R(0, 0, 1, cost=0.004, tokens_in=90, tokens_out=10, cached=True, guardrail_fail=True),
            R(0, 1, 0, ok=False, cost=0.001, tokens_in=70, tokens_out=5),
            R(0, 1, 1, error="HTTP 500", cost=None, tokens_in=0, tokens_out=0),
        ],
        providers=["a", "b"],
    )
    stored = load(db, run)
    assert stored is not None and len(stored) == 2
    from_pairs = _totals_from_pairs(stored)
    assert from_pairs is not None
    expected = asdict(_totals_from_results(db, run))
    assert asdict(from_pairs) == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in expected.items()}
    assert expected["results"] == 4 and expected["errors"] == 1 and expected["guardrail_failures"] == 1
    assert expected["cost_per_request"] == pytest.approx(0.007 / 3)  # uncached; the error has no price
    assert _totals(db, run) == from_pairs
    # Every token count of a pair is 0: its mean (0) does not say how many were recorded.
    zero = make_run(db, [R(0, 0, 0, tokens_in=0, tokens_out=0), R(0, 0, 1, tokens_in=0, tokens_out=0)])
    assert _totals_from_pairs(load(db, zero) or []) is None
    assert _totals(db, zero) == _totals_from_results(db, zero)
