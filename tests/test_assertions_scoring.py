"""Row scoring rules of promptfoo 0.121.20: weights, thresholds, metrics, assert-set, not-, errors."""

from __future__ import annotations

from typing import Any

import pytest
from assertion_helpers import grade

from workbench.errors import AssertionConfigError

A = {"type": "contains", "value": "a"}
Z = {"type": "contains", "value": "zz"}


def test_no_assertions_pass_with_score_1() -> None:
    r = grade([], "x", threshold=5)
    assert (r.pass_, r.score, r.reason) == (True, 1.0, "No assertions")


def test_all_must_pass_and_weighted_mean() -> None:
    r = grade([A, {**Z, "weight": 3}], "abc")
    assert (r.pass_, r.score) == (False, 0.25)
    assert [c.pass_ for c in r.component_results] == [True, False]


def test_threshold_replaces_all_must_pass() -> None:
    assert grade([A, Z], "abc", threshold=0.5).pass_ is True
    assert grade([Z], "abc", threshold=0).pass_ is True  # score 0 >= 0
    assert grade([A], "abc", threshold=1.5).pass_ is False  # above 1 fails a passing row


def test_weight_zero_forces_pass_and_drops_from_mean() -> None:
    r = grade([A, {**Z, "weight": 0}], "abc")
    assert (r.pass_, r.score) == (True, 1.0)
    assert r.component_results[1].pass_ is True
    r = grade([{**Z, "weight": 0}], "abc")
    assert (r.pass_, r.score) == (True, 0.0)
    assert grade([{**Z, "weight": 0}], "abc", threshold=0.5).pass_ is False


def test_negative_weight_and_unclamped_scores() -> None:
    r = grade([{"type": "javascript", "value": "2.5"}, {**A, "weight": -0.5}], "abc")
    assert r.score == pytest.approx((2.5 - 0.5) / (1 - 0.5))
    r = grade([{"type": "javascript", "value": "2.5"}, {**A, "weight": -2}], "abc")
    assert r.score == 0.0  # total weight <= 0 gives score 0
    r = grade([{"type": "javascript", "value": "3"}, Z], "abc", threshold=1)
    assert (r.pass_, r.score) == (True, 1.5)


def test_named_scores_are_weight_normalized() -> None:
    r = grade(
        [
            {**A, "metric": "m"},
            {**Z, "metric": "m", "weight": 3},
            {**A, "metric": "w0", "weight": 0},
            {**A, "metric": "{{ t }}_x"},
        ],
        "abc",
        vars={"t": "tone"},
    )
    assert r.named_scores == {"m": 0.25, "w0": 0.0, "tone_x": 1.0}


def test_assert_set_flattening_threshold_and_weight() -> None:
    s = {"type": "assert-set", "threshold": 0.5, "assert": [A, Z], "metric": "set"}
    r = grade([s, A], "abc")
    top = r.component_results[0]
    assert top.metadata["assertSet"] is True and top.pass_ is True and top.score == 0.5
    assert [c.assertion["value"] for c in top.component_results] == ["a", "zz"]
    assert r.score == pytest.approx(0.75) and r.pass_ is True
    assert r.named_scores == {"set": 0.5}
    failing = {"type": "assert-set", "weight": 0, "assert": [Z]}
    r = grade([failing, A], "abc")  # weight 0 does not force an assert-set's pass
    assert (r.pass_, r.score) == (False, 1.0)
    r = grade([{"type": "assert-set", "assert": []}, A], "abc")  # empty set: pass, score 0
    assert (r.pass_, r.score) == (True, 0.5)


def _register(monkeypatch: pytest.MonkeyPatch, name: str, handler: Any) -> None:
    """A fresh registry (built-ins + this type) for one test; the original comes back afterwards."""
    from workbench.assertions import table
    from workbench.assertions.assertion_registry import AssertionType

    monkeypatch.setattr(table.assertion_types, "loaded", None)
    table.assertion_types().add(AssertionType(name, handler))


def test_default_not_inversion_for_plain_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.types import GradingResult

    _register(monkeypatch, "fake-metric", lambda ctx: GradingResult(True, 0.8, "ok"))
    r = grade([{"type": "not-fake-metric"}], "x").component_results[0]
    assert (r.pass_, r.score) == (False, pytest.approx(0.2))


def test_async_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.types import GradingResult

    async def graded(ctx: object) -> GradingResult:
        return GradingResult(False, 0.3, "meh")

    _register(monkeypatch, "fake-async", graded)
    r = grade([{"type": "fake-async", "threshold": 0.1}, A], "abc")
    assert (r.pass_, r.score) == (False, pytest.approx(0.65))


def test_unknown_type_and_missing_type_error_the_row() -> None:
    with pytest.raises(AssertionConfigError, match="Unknown assertion type: contans"):
        grade([A, {"type": "contans", "value": "a"}], "abc")
    with pytest.raises(AssertionConfigError):
        grade([{"value": "a"}], "abc")


def test_human_is_pending_and_not_scored() -> None:
    r = grade([{"type": "human"}, A], "abc")
    assert (r.pass_, r.score) == (True, 1.0)
    assert r.component_results[0].metadata["pending"] is True


def test_max_score_and_select_are_skipped_here() -> None:
    r = grade([{"type": "max-score"}, A], "abc")
    assert [c.assertion["type"] for c in r.component_results] == ["contains"]


def test_assert_scoring_function(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "score.py").write_text(
        "def get_assert(named_scores, context):\n"
        "    s = named_scores.get('m', 0)\n"
        "    return {'pass': s > 0.4, 'score': s * 2, 'reason': f\"custom {len(context['componentResults'])}\"}\n"
    )
    r = grade(
        [{**A, "metric": "m"}, {**Z, "metric": "m"}], "abc", base_dir=tmp_path, scoring_function="file://score.py"
    )
    assert (r.pass_, r.score, r.reason) == (True, 1.0, "custom 2")
    (tmp_path / "bad.py").write_text("def get_assert(s, c):\n    return 'nope'\n")
    r = grade([A], "abc", base_dir=tmp_path, scoring_function="file://bad.py")
    assert r.pass_ is False and r.reason.startswith("Scoring function error")


def test_file_value_for_plain_assertions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "expected.txt").write_text("hello\n")
    (tmp_path / "value.py").write_text("def get_assert(output, context):\n    return 'ell'\n")
    (tmp_path / "schema.json").write_text('{"type": "object"}')
    assert grade({"type": "contains", "value": "file://expected.txt"}, "say hello", base_dir=tmp_path).pass_
    assert grade({"type": "contains", "value": "file://value.py"}, "hello", base_dir=tmp_path).pass_
    assert grade({"type": "is-json", "value": "file://schema.json"}, "[]", base_dir=tmp_path).pass_ is False
