"""Overview: every run with its totals, and the trend across runs of one suite."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.analysis.trend import RunSummary
from workbench.format import fmt_cost, fmt_rate
from workbench.ui import data, html_table, state, widgets
from workbench.ui.html_table import Cell

RUN_HEADER_TITLES = {
    "pass rate": "share of test cases that passed; green at or above the suite's acceptance target",
    "cost": "spent on model calls (grading not included; the Cost page adds it)",
    "guardrail failures": "failed guardrail checks",
    "cache hit ratio": "share of results answered from the response cache",
}


def render() -> None:
    st.title("Overview")
    runs = widgets.require_runs()
    if runs is None:
        return
    latest = runs[0]
    c = st.columns([1, 1.4, 1, 1.4, 1])  # room for "$0.000123" and the latest run's name
    c[0].metric("Runs", len(runs))
    c[1].metric(f"Latest run ({latest.name})", fmt_rate(latest.pass_rate), help="pass rate")
    c[2].metric("Results", f"{latest.results:,}")
    c[3].metric("Cost", fmt_cost(latest.cost))
    c[4].metric("Cache hits", fmt_rate(latest.cache_hit_ratio))

    tok = widgets.token()
    rows = [
        {
            "run": r.id,
            "label": r.label or "",
            "pass rate": widgets.rate_cell(r.pass_rate, data.suite_acceptance(tok, r.id).min_pass_rate),
            "suite": r.suite,
            "started": (r.started_at or "").replace("T", " ")[:19],
            "status": r.status,
            "git sha": Cell((r.git_sha or "")[:10], title=r.git_sha or None),
            "results": r.results,
            "cost": fmt_cost(r.cost),
            "tokens in": r.tokens_in,
            "tokens out": r.tokens_out,
            "errors": r.errors,
            "guardrail failures": r.guardrail_failures,
            "cache hit ratio": fmt_rate(r.cache_hit_ratio),
        }
        for r in runs
    ]
    st.subheader("Runs")
    st.caption("Newest first. Pass rate: green at or above the run's acceptance target, red below.")
    html_table.show_table(rows, header_titles=RUN_HEADER_TITLES)

    suites = sorted({r.suite_path for r in runs if r.suite_path})
    if not suites:
        return
    st.subheader("Trend across runs of a suite")
    wanted = state.get_str("suite", latest.suite_path)
    suite = st.selectbox("Suite", suites, index=state.index_of(suites, wanted), key="w_suite")
    state.put("suite", suite, latest.suite_path)
    points = data.suite_trend(widgets.token(), suite)
    if len(points) < 2:
        st.caption("Only one run of this suite so far: run it again to see a trend.")
    widgets.chart(trend_chart(points))


def trend_chart(points: list[RunSummary]) -> dict[str, Any]:
    """Pass rate per run and, when any run has a price, cost per request below it: one Vega-Lite
    spec with two panels (one view to draw), written as a dict (building it with Altair was a third
    of the page's script CPU; tests/test_ui_chart_specs.py checks it equals Altair's)."""
    rows = [
        {
            "run": p.name,
            "id": p.id,
            "started": p.started_at,
            "pass rate": p.pass_rate,
            "cost per request": p.cost_per_request,
            "cost": fmt_cost(p.cost),
            "errors": p.errors,
            "guardrail failures": p.guardrail_failures,
        }
        for p in points
    ]
    x = {"field": "id", "type": "ordinal", "title": "run"}
    nominal = {"type": "nominal"}
    rate: dict[str, Any] = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": x,
            "y": {"field": "pass rate", "type": "quantitative", "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
            "tooltip": [
                {"field": "run", **nominal},
                {"field": "started", **nominal},
                {"field": "pass rate", "type": "quantitative", "format": ".1%"},
                {"field": "cost", **nominal},
                {"field": "errors", "type": "quantitative"},
                {"field": "guardrail failures", "type": "quantitative"},
            ],
        },
        "height": 240,
        "title": "Pass rate",
        "width": "container",
    }
    spec: dict[str, Any] = {
        "$schema": widgets.VEGA_LITE_SCHEMA,
        "config": {"view": {"continuousWidth": 300, "continuousHeight": 300}},
        "datasets": {"runs": rows},
        "data": {"name": "runs"},
    }
    if not any(r["cost per request"] is not None for r in rows):
        return {**spec, **rate}
    costs = {
        "mark": {"type": "bar", "opacity": 0.6},
        "encoding": {
            "x": x,
            "y": {
                "field": "cost per request",
                "type": "quantitative",
                "title": "$ per request",
                "axis": {"format": "$.2~g"},
            },
            "tooltip": [{"field": "run", **nominal}, {"field": "cost", **nominal}],
        },
        "height": 160,
        "title": "Cost per request",
        "width": "container",
    }
    return {**spec, "vconcat": [rate, costs]}
