"""derivedMetrics: mathjs-style expressions over summed named scores and __count."""

from __future__ import annotations

import math

import pytest

from workbench.analysis.derived_metrics import evaluate_derived_metrics, evaluate_expression


def test_expressions() -> None:
    s = {"a": 3.0, "b": 4.0}
    assert evaluate_expression("a + b * 2", s) == 11
    assert evaluate_expression("(a + b) / 2", s) == 3.5
    assert evaluate_expression("a ^ 2", s) == 9
    assert evaluate_expression("sqrt(a^2 + b^2)", s) == 5
    assert evaluate_expression("max(a, b) - min(a, b)", s) == 1
    assert evaluate_expression("a > b ? 1 : 0", s) == 0
    assert evaluate_expression("-a % 2", s) == 1  # mathjs mod: x - y * floor(x / y)
    assert evaluate_expression("a / 0", s) == math.inf
    with pytest.raises(NameError):
        evaluate_expression("missing + 1", s)
    with pytest.raises(ValueError):
        evaluate_expression("__import__('os')", s)


def test_derived_metrics_chain_and_count() -> None:
    derived = [
        {"name": "precision", "value": "tp / (tp + fp)"},
        {"name": "recall", "value": "tp / (tp + fn)"},
        {"name": "f1", "value": "2 * precision * recall / (precision + recall)"},
        {"name": "avg_tone", "value": "tone / __count"},
        {"name": "broken", "value": "nope * 2"},
    ]
    out = evaluate_derived_metrics({"tp": 8, "fp": 2, "fn": 8, "tone": 3}, 4, derived)
    assert out["precision"] == pytest.approx(0.8)
    assert out["recall"] == pytest.approx(0.5)
    assert out["f1"] == pytest.approx(2 * 0.8 * 0.5 / 1.3)
    assert out["avg_tone"] == pytest.approx(0.75)
    assert out["broken"] == 0.0  # a failing expression leaves the metric at 0
