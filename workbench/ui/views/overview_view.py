"""Overview: every run with its totals, and the trend across runs of one suite."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

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
    df = pd.DataFrame(
        [
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
    )
    base = alt.Chart(df).encode(x=alt.X("id:O", title="run"))
    rate = base.mark_line(point=True).encode(
        y=alt.Y("pass rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=["run", "started", alt.Tooltip("pass rate:Q", format=".1%"), "cost", "errors", "guardrail failures"],
    )
    trend: alt.Chart | alt.VConcatChart = rate.properties(title="Pass rate", height=240, width="container")
    if df["cost per request"].notna().any():
        costs = base.mark_bar(opacity=0.6).encode(
            y=alt.Y("cost per request:Q", title="$ per request", axis=alt.Axis(format="$.2~g")), tooltip=["run", "cost"]
        )
        # One chart with two panels: one Vega view to draw instead of two.
        trend = alt.vconcat(trend, costs.properties(title="Cost per request", height=160, width="container"))
    widgets.chart(trend)
