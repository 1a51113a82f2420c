"""Overview: every run with its totals, and the trend across runs of one suite."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from workbench.analysis.trend import RunSummary
from workbench.format import fmt_cost, fmt_rate
from workbench.ui import data, state, widgets


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

    table = pd.DataFrame(
        [
            {
                "run": r.id,
                "label": r.label or "",
                "pass rate": r.pass_rate,
                "suite": r.suite,
                "started": (r.started_at or "").replace("T", " ")[:19],
                "status": r.status,
                "git sha": (r.git_sha or "")[:10],
                "results": r.results,
                "cost": fmt_cost(r.cost),
                "tokens in": r.tokens_in,
                "tokens out": r.tokens_out,
                "errors": r.errors,
                "guardrail failures": r.guardrail_failures,
                "cache hit ratio": r.cache_hit_ratio,
            }
            for r in runs
        ]
    )
    st.subheader("Runs")
    tok = widgets.token()
    targets: list[float | None] = [data.suite_acceptance(tok, r.id).min_pass_rate for r in runs]
    st.caption("Pass rate: green at or above the run's acceptance target, red below.")
    st.dataframe(
        widgets.style_rates(table, "pass rate", targets),
        hide_index=True,
        column_config={
            "cache hit ratio": st.column_config.NumberColumn("cache hit ratio", format="percent"),
            "tokens in": st.column_config.NumberColumn(format="localized"),
            "tokens out": st.column_config.NumberColumn(format="localized"),
        },
    )

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
