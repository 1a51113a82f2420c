from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis.compare import compare_runs
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
