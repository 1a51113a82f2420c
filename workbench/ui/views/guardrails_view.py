"""Guardrails: failures by metric, by prompt version and by model, with the offending outputs."""

from __future__ import annotations

import streamlit as st

from workbench.analysis.guardrails import PAGE_SIZE, GuardrailCount
from workbench.md_escape import md
from workbench.ui import data, state, svg_charts, widgets
from workbench.ui.html_table import PROSE, Cell
from workbench.ui.metric_row import Metric, show_metrics

ALL = "(all)"


def failures_svg(rows: list[GuardrailCount], title: str) -> str:
    """Failed checks per group as horizontal red bars, most first."""
    return svg_charts.bars(
        [
            svg_charts.Bar(
                label=r.name,
                value=r.failures,
                text=f"{r.failures:,}",
                color=svg_charts.FAIL,
                tooltip=[("failures", f"{r.failures:,}"), ("results affected", f"{r.results:,}")],
            )
            for r in rows
        ],
        svg_charts.Axis("failed guardrail checks", "int"),
        title=title,
    )


def render() -> None:
    st.title("Guardrails")
    runs = widgets.require_runs()
    if runs is None:
        return
    run = widgets.pick_run(runs)
    tok = widgets.token()
    s = data.guardrail_summary(tok, run.id)
    show_metrics(
        [
            Metric("Guardrail checks", s.checks),
            Metric("Failed checks", s.failures),
            Metric("Results affected", s.failed_results),
        ]
    )
    if not s.checks:
        st.info(
            "This run has no guardrail assertions. Mark one with `metric: guardrail/<name>` "
            "(or use type `guardrails` / `moderation`)."
        )
        return
    if not s.failures:
        st.success("No guardrail failures in this run.")
        return
    # One chart at a time (a chart is the costliest element to draw): the grouping is in the URL.
    groups = {
        "metric": ("By metric", s.by_metric),
        "prompt": ("By prompt version", s.by_prompt),
        "model": ("By model", s.by_model),
    }
    keys = list(groups)
    by = (
        st.segmented_control(
            "Failed guardrail checks",
            keys,
            default=keys[state.index_of(keys, state.get_str("by", "metric"))],
            format_func=lambda k: groups[k][0],
            key="w_gby",
        )
        or "metric"
    )
    state.put("by", by, "metric")
    title, rows = groups[by]
    widgets.svg(failures_svg(rows, title))

    st.subheader("Offending outputs")
    f = st.columns(3)
    choices = []
    for col, key, label, rows in (
        (f[0], "metric", "Metric", s.by_metric),
        (f[1], "prompt", "Prompt version", s.by_prompt),
        (f[2], "model", "Model", s.by_model),
    ):
        options = [ALL, *(r.name for r in rows)]
        value = col.selectbox(label, options, index=state.index_of(options, state.get_str(key, ALL)), key=f"w_g{key}")
        state.put(key, value, ALL)
        choices.append(None if value == ALL else value)
    page = state.get_int("gpage", 1) or 1
    total, failures = data.guardrail_failures(
        tok, run.id, choices[0], choices[1], choices[2], PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if pages > 1:
        page = int(st.number_input(f"Page (of {pages})", 1, pages, min(page, pages), key="w_gpage"))
        state.put("gpage", page, 1)
        total, failures = data.guardrail_failures(
            tok, run.id, choices[0], choices[1], choices[2], PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
    st.caption(f"{total:,} failed guardrail checks match.")
    if not failures:
        return
    i = widgets.table_with_details(
        [
            {
                "metric": g.metric,
                "test": f"#{g.test_idx} {g.description or ''}",
                "prompt": g.prompt,
                "variant": g.variant,
                "model": g.model,
                "reason": Cell(g.reason or "", style=PROSE),
                "output": Cell((g.output or "")[:160], style=PROSE),
            }
            for g in failures
        ],
        key=f"gfail_{run.id}_{choices}_{page}",
        url_key="item",
        link_column="test",
        hint="Click a test to see the whole offending output.",
    )
    if i is None:
        return
    g = failures[i]
    head = st.columns([6, 1])
    head[0].markdown(
        f"**{md(g.type)}** ({md(g.metric)}) · test #{g.test_idx} {md(g.description or '')} · {md(g.prompt)} · "
        f"{md(g.variant)} · {md(g.model)}: {md(g.reason or '')}"
    )
    with head[1]:
        widgets.close_button("item", "close_item")
    st.code(g.output or "", language=None, wrap_lines=True)
