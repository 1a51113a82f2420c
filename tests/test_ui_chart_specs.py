"""The Overview, Recommendation and Guardrails charts are Vega-Lite dicts written by hand (building
them with Altair was 25-40 % of those pages' script CPU). Each must be exactly the spec Altair built
from the same rows: the Altair builders the pages used before are kept here as the reference."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

pytest.importorskip("streamlit")

import altair as alt
import pandas as pd
from ui_data import build_ui_db

from workbench.analysis.cost import cost_by
from workbench.analysis.guardrails import GuardrailCount, guardrail_summary
from workbench.analysis.recommend import Acceptance, recommend, run_acceptance
from workbench.analysis.trend import RunSummary, list_run_summaries, suite_trend
from workbench.format import fmt_cost
from workbench.store.db import open_db
from workbench.ui.views.cost_view import cost_chart, groups_table
from workbench.ui.views.guardrails_view import _chart as guardrails_chart
from workbench.ui.views.overview_view import trend_chart
from workbench.ui.views.recommendation_view import scatter


def altair_scatter(rows: list[dict[str, Any]], log_x: bool) -> alt.LayerChart:
    df = pd.DataFrame(rows)
    x = alt.X(
        "cost per request:Q",
        title="$ per request (uncached)",
        scale=alt.Scale(type="log") if log_x else alt.Scale(zero=True),
        axis=alt.Axis(format="$.2~g"),
    )
    y = alt.Y("pass rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    colors = alt.Scale(
        domain=["pick", "runner-up", "acceptable", "excluded"], range=["#2ca02c", "#ff7f0e", "#1f77b4", "#9e9e9e"]
    )
    tooltip = [
        "pair",
        "cost",
        alt.Tooltip("pass rate:Q", format=".1%"),
        alt.Tooltip("low:Q", format=".1%", title="95% low"),
        alt.Tooltip("high:Q", format=".1%", title="95% high"),
        "n",
        "role",
    ]
    base = alt.Chart(df)
    bars = base.mark_errorbar(ticks=True).encode(
        x=x, y=alt.Y("low:Q", title="pass rate"), y2="high:Q", color=alt.Color("role:N", scale=colors)
    )
    points = base.mark_point(filled=True, size=120).encode(
        x=x,
        y=y,
        color=alt.Color("role:N", scale=colors, title=None),
        shape=alt.Shape("frontier:N", title="on Pareto frontier"),
        tooltip=tooltip,
    )
    line = (
        alt.Chart(df[df["frontier"]].sort_values("cost per request"))
        .mark_line(strokeDash=[6, 3], color="#555")
        .encode(x=x, y=y, order="cost per request:Q")
    )
    text = {"x": x, "y": y, "text": "label:N", "color": alt.Color("role:N", scale=colors, legend=None)}
    labels = base.transform_filter(alt.datum.role != "pick").mark_text(align="left", dx=9, dy=-9).encode(**text)
    pick = (
        base.transform_filter(alt.datum.role == "pick")
        .mark_text(align="left", dx=9, dy=-9, fontWeight="bold")
        .encode(**text)
    )
    return line + bars + points + labels + pick


def altair_bars(rows: list[GuardrailCount], title: str) -> alt.Chart:
    df = pd.DataFrame([{"name": r.name, "failures": r.failures, "results": r.results} for r in rows])
    return (
        alt.Chart(df)
        .mark_bar(color="#d62728")
        .encode(
            x=alt.X("failures:Q", title="failed guardrail checks"),
            y=alt.Y("name:N", sort="-x", title=None),
            tooltip=["name", "failures", alt.Tooltip("results:Q", title="results affected")],
        )
        .properties(title=title)
    )


def altair_trend(points: list[RunSummary]) -> alt.Chart | alt.VConcatChart:
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
        trend = alt.vconcat(trend, costs.properties(title="Cost per request", height=160, width="container"))
    return trend


def normalized(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its datasets named by first use (Altair names them by a hash of the rows)."""
    spec = json.loads(json.dumps(spec))
    names: dict[str, str] = {}
    for part in [spec, *spec.get("layer", [])]:
        if "data" in part:
            part["data"]["name"] = names.setdefault(part["data"]["name"], f"d{len(names)}")
    spec["datasets"] = {names[k]: v for k, v in spec["datasets"].items()}
    return spec


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("ui")
    assert build_ui_db(root, root / "wb.db") == [1, 2]
    return open_db(root / "wb.db")


@pytest.mark.parametrize("log_x", [False, True])
@pytest.mark.parametrize("run", [1, 2])
def test_recommendation_chart_is_altairs_spec(db: Any, run: int, log_x: bool) -> None:
    for acceptance in (run_acceptance(db, run), Acceptance(min_pass_rate=0.0, allow_guardrail_failures=True)):
        spec = scatter(recommend(db, [run], acceptance, None, None), log_x)
        assert spec is not None
        rows = spec["datasets"]["points"]
        assert len(rows) == 4 and {r["role"] for r in rows} - {"pick", "runner-up", "acceptable", "excluded"} == set()
        with alt.data_transformers.disable_max_rows():
            reference = altair_scatter(rows, log_x).to_dict(validate=False)
        assert normalized(spec) == normalized(reference)


def test_guardrails_chart_is_altairs_spec(db: Any) -> None:
    s = guardrail_summary(db, 1)
    for rows in (s.by_metric, s.by_prompt, s.by_model):
        assert rows
        reference = altair_bars(rows, "title").to_dict(validate=False)
        assert normalized(guardrails_chart(rows, "title")) == normalized(reference)


def test_overview_trend_is_altairs_spec(db: Any) -> None:
    [suite] = {r.suite_path for r in list_run_summaries(db)}
    points = suite_trend(db, suite)
    assert len(points) == 2 and all(p.cost_per_request for p in points)
    spec = trend_chart(points)
    assert len(spec["vconcat"]) == 2  # priced runs: the cost panel under the pass rate
    assert normalized(spec) == normalized(altair_trend(points).to_dict(validate=False))
    # No run with a price: the pass-rate chart alone.
    unpriced = [dataclasses.replace(p, cost=None) for p in points]
    spec = trend_chart(unpriced)
    assert "vconcat" not in spec and spec["title"] == "Pass rate"
    assert normalized(spec) == normalized(altair_trend(unpriced).to_dict(validate=False))


def altair_cost_bars(groups: list[Any]) -> alt.Chart:
    df = groups_table(groups)
    known = df[df["usd_per_request"].notna()]
    return (
        alt.Chart(known)
        .mark_bar()
        .encode(
            x=alt.X("usd_per_request:Q", title="$ per request (uncached)", axis=alt.Axis(format="$.2~g")),
            y=alt.Y("name:N", sort="-x", title=None),
            tooltip=["name", "cost / request", "cost / passing test", "spent"],
        )
    )


@pytest.mark.parametrize("dimension", ["model", "version", "variant"])
def test_cost_chart_is_altairs_spec(db: Any, dimension: str) -> None:
    groups = cost_by(db, 1, dimension)
    assert groups and all(g.mean_cost is not None for g in groups)
    assert normalized(cost_chart(groups) or {}) == normalized(altair_cost_bars(groups).to_dict(validate=False))
    # An unpriced group is left out of the chart, as the page's filter did; none priced: no chart.
    unpriced = [dataclasses.replace(g, mean_cost=None) for g in groups]
    spec = cost_chart(groups[:1] + unpriced[1:])
    assert spec is not None and [r["name"] for r in spec["datasets"]["groups"]] == [groups[0].name]
    assert normalized(spec) == normalized(altair_cost_bars(groups[:1] + unpriced[1:]).to_dict(validate=False))
    assert cost_chart(unpriced) is None
