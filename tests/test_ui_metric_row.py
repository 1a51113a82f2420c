"""Headline figures drawn as one static HTML block (workbench/ui/metric_row.py)."""

from __future__ import annotations

from ui_tables import parse_metrics

from workbench.ui.metric_row import Metric, metrics_html


def test_figures_keep_label_value_help_and_order() -> None:
    shown = parse_metrics(
        metrics_html(
            [Metric("Runs", 12345), Metric("Cost", "$0.0000188", help="model calls + grading"), Metric("X", None)]
        )
    )
    assert [(m.label, m.value, m.help) for m in shown] == [
        ("Runs", "12,345", None),
        ("Cost", "$0.0000188", "model calls + grading"),
        ("X", "-", None),
    ]
    assert all(m.delta is None for m in shown)


def test_delta_colour_follows_its_sign_unless_told() -> None:
    shown = parse_metrics(
        metrics_html(
            [
                Metric("Pass rate", "91.0%", delta="+3.0 pp"),
                Metric("Regressed", 4, delta="-4"),
                Metric("Cost", "$1", delta="±$0"),
                Metric("Tokens", 10, delta="+5", good=False),
            ]
        )
    )
    assert [(m.delta, m.delta_kind) for m in shown] == [
        ("↑ +3.0 pp", "good"),
        ("↓ -4", "bad"),
        ("±$0", "same"),
        ("↑ +5", "bad"),
    ]


def test_user_text_is_escaped() -> None:
    hostile = '<script>alert(1)</script> & "q" <img src=x onerror=y>'
    body = metrics_html([Metric(hostile, hostile, delta=hostile, help=hostile)])
    assert "<script>" not in body and "<img" not in body
    [m] = parse_metrics(body)
    assert (m.label, m.value, m.help) == (hostile, hostile, hostile)
