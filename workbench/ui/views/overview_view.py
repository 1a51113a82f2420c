"""Overview: every run with its totals, and the trend across runs of one suite."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from workbench.analysis.trend import RunSummary
from workbench.format import fmt_cost, fmt_rate
from workbench.ui import data, html_table, state, svg_charts, widgets
from workbench.ui.html_table import NOWRAP, Cell
from workbench.ui.metric_row import Metric, show_metrics

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
    show_metrics(
        [
            Metric("Runs", len(runs)),
            Metric(f"Latest run ({latest.name})", fmt_rate(latest.pass_rate), help="pass rate"),
            Metric("Results", latest.results),
            Metric("Cost", fmt_cost(latest.cost)),
            Metric("Cache hits", fmt_rate(latest.cache_hit_ratio)),
        ]
    )

    tok = widgets.token()
    target_of: dict[int, float | None] = {r.id: data.suite_acceptance(tok, r.id).min_pass_rate for r in runs}
    rows = [
        {
            "run": r.id,
            "label": r.label or "",
            "pass rate": widgets.rate_cell(r.pass_rate, target_of[r.id]),
            "suite": r.suite,
            # Date over time, each whole (a hyphen would otherwise break the date to fit).
            "started": Cell((r.started_at or "").replace("T", "\n")[:19], style=NOWRAP),
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
    points = data.suite_trend(tok, suite)
    if len(points) < 2:
        st.caption("Only one run of this suite so far: run it again to see a trend.")
    for p in points:
        if p.id not in target_of:
            target_of[p.id] = data.suite_acceptance(tok, p.id).min_pass_rate
    widgets.svg(trend_svg(points, target_of))


def trend_svg(points: list[RunSummary], targets: Mapping[int, float | None]) -> str:
    """Pass rate per run (each point green at or above its run's target, red below) with the
    newest run's target dashed, and cost per request below it when any run has a price."""
    newest = targets.get(points[-1].id) if points else None
    return svg_charts.trend(
        [
            svg_charts.RunPoint(
                category=str(p.id),
                rate=p.pass_rate,
                cost=p.cost_per_request,
                color=svg_charts.verdict_color(p.pass_rate, targets.get(p.id)),
                rate_tip=[
                    ("run", p.name),
                    ("started", p.started_at or ""),
                    ("pass rate", fmt_rate(p.pass_rate)),
                    ("target", fmt_rate(targets.get(p.id))),
                    ("cost", fmt_cost(p.cost)),
                    ("errors", f"{p.errors:,}"),
                    ("guardrail failures", f"{p.guardrail_failures:,}"),
                ],
                cost_tip=[("run", p.name), ("cost", fmt_cost(p.cost)), ("$ per request", fmt_cost(p.cost_per_request))],
            )
            for p in points
        ],
        target=newest,
        target_label=f"target {fmt_rate(newest)}",
    )
