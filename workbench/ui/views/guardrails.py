"""Guardrails: failures by metric, by prompt version and by model, with the offending outputs."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from workbench.analysis.guardrails import PAGE_SIZE, GuardrailCount
from workbench.ui import data, state, widgets

ALL = "(all)"


def _chart(rows: list[GuardrailCount], title: str) -> alt.Chart:
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


def render() -> None:
    st.title("Guardrails")
    runs = widgets.require_runs()
    if runs is None:
        return
    run = widgets.pick_run(runs)
    tok = widgets.token()
    s = data.guardrail_summary(tok, run.id)
    c = st.columns(3)
    c[0].metric("Guardrail checks", f"{s.checks:,}")
    c[1].metric("Failed checks", f"{s.failures:,}")
    c[2].metric("Results affected", f"{s.failed_results:,}")
    if not s.checks:
        st.info(
            "This run has no guardrail assertions. Mark one with `metric: guardrail/<name>` "
            "(or use type `guardrails` / `moderation`)."
        )
        return
    if not s.failures:
        st.success("No guardrail failures in this run.")
        return
    cols = st.columns(3)
    for col, rows, title in (
        (cols[0], s.by_metric, "By metric"),
        (cols[1], s.by_prompt, "By prompt version"),
        (cols[2], s.by_model, "By model"),
    ):
        col.altair_chart(_chart(rows, title), width="stretch", height=max(120, 32 * len(rows) + 70))

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
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "metric": g.metric,
                    "test": f"#{g.test_idx} {g.description or ''}",
                    "prompt": g.prompt,
                    "variant": g.variant,
                    "model": g.model,
                    "reason": g.reason or "",
                    "output": (g.output or "")[:160],
                }
                for g in failures
            ]
        ),
        hide_index=True,
    )
    labels = [
        f"{g.metric} · test #{g.test_idx} {g.description or ''} · {g.prompt} · {g.variant} · {g.model}"
        for g in failures
    ]
    i = st.selectbox(
        "Offending output of",
        range(len(labels)),
        index=min(state.get_int("item", 0) or 0, len(labels) - 1),
        format_func=lambda k: labels[k],
        key="w_gitem",
    )
    state.put("item", i, 0)
    g = failures[i]
    st.markdown(f"**{g.type}** ({g.metric}): {g.reason or ''}")
    st.code(g.output or "", language=None, wrap_lines=True)
