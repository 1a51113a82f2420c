"""Versions: per prompt family, its versions, a highlighted diff of two, the deltas and flipped tests."""

from __future__ import annotations

import streamlit as st

from workbench.analysis.diff import changed_excerpts
from workbench.errors import WorkbenchError
from workbench.format import fmt_cost, fmt_rate
from workbench.md_escape import md
from workbench.ui import data, state, widgets
from workbench.ui.html_table import PROSE, Cell, show_table
from workbench.ui.views import optimize_view


def render() -> None:
    st.title("Versions")
    runs = widgets.require_runs()
    if runs is None:
        return
    tok = widgets.token()
    families = data.families(tok)
    if not families:
        st.info(
            "No prompt families yet: put versions under prompts/<family>/<version>.md and run a suite that uses them."
        )
        return
    names = sorted(families)
    family = st.selectbox("Prompt family", names, index=state.index_of(names, state.get_str("family")), key="w_family")
    state.put("family", family, names[0])
    versions = families[family]
    renamed = {"tokens": "tokens (template)", "id": "prompt version id"}
    show_table([{renamed.get(k, k): v for k, v in row.items()} for row in versions], max_height=None)
    st.caption("The newest stored copy of each version; the diff below shows the texts the chosen run used.")
    optimize_view.render_optimizations(tok, family)
    labels = [v["version"] for v in versions]
    if len(labels) < 2:
        st.info(f"{md(family)} has one version so far: add another to see a diff.")
        return
    c = st.columns(2)
    v1 = c[0].selectbox("From", labels, index=state.index_of(labels, state.get_str("v1"), len(labels) - 2), key="w_v1")
    v2 = c[1].selectbox("To", labels, index=state.index_of(labels, state.get_str("v2"), len(labels) - 1), key="w_v2")
    state.put("v1", v1)
    state.put("v2", v2)
    if v1 == v2:
        st.info("Pick two different versions.")
        return
    holding = data.runs_with_versions(tok, family, v1, v2)
    by_id = {r.id: r for r in runs}
    run_id: int | None = None
    if holding:
        run_id = st.selectbox(
            "Results from run",
            holding,
            index=state.index_of(holding, state.get_int("run"), 0),
            format_func=lambda i: widgets.run_label(by_id[i]) if i in by_id else f"#{i}",
            key="w_vrun",
        )
        state.put("run", run_id, holding[0])
    try:
        diff = data.version_diff(tok, family, v1, v2, run_id)
    except WorkbenchError as e:
        st.error(str(e))
        return
    st.subheader(md(f"{family}/{v1} → {family}/{v2}"))
    st.caption(f"Template tokens: {diff.v1.tokens} → {diff.v2.tokens} ({diff.token_delta:+d})")
    if diff.unified:
        # Word by word: a prompt is prose, and a line diff would mark a paragraph for one word.
        st.markdown(widgets.diff_html(diff.words()), unsafe_allow_html=True)
    else:
        st.caption("Identical text.")

    if diff.run_id is None:
        st.info("No run includes both versions, so there are no result deltas yet.")
        return
    st.subheader(f"What the change did (run #{diff.run_id})")
    show_table(
        [
            {
                "variant": d.variant,
                "model": d.model,
                f"pass rate {v1}": fmt_rate(d.before.pass_rate) if d.before else "-",
                f"pass rate {v2}": fmt_rate(d.after.pass_rate) if d.after else "-",
                "Δ pass rate": widgets.delta_text(d.pass_rate, "rate"),
                "Δ mean score": widgets.delta_text(d.score, "float"),
                "Δ tokens in": widgets.delta_text(d.tokens_in, "int"),
                "Δ tokens out": widgets.delta_text(d.tokens_out, "int"),
                "Δ cost / request": widgets.delta_text(d.cost, "cost"),
                f"cost / request {v2}": fmt_cost(d.after.mean_cost) if d.after else "-",
                "Δ guardrail failures": widgets.delta_text(d.guardrail_failures, "int"),
            }
            for d in diff.deltas
        ],
        max_height=None,
    )
    st.subheader(f"Flipped tests: {diff.broke} broke, {diff.fixed} fixed")
    if diff.flips_total > len(diff.flips):
        st.caption(f"Showing {len(diff.flips)} of {diff.flips_total}.")
    # The clusters toggle is drawn below the flips, whose links carry the URL: write its value first
    # (after a click on it, the session holds it before the script reaches it).
    if "w_clusters" in st.session_state:
        state.put("clusters", bool(st.session_state["w_clusters"]), False)
    if diff.flips:
        i = widgets.table_with_details(
            [
                {
                    "": f.direction,
                    "test": f"#{f.test_idx} {f.description or ''}",
                    "variant": f.variant,
                    "model": f.model,
                    "repeat": f.repeat,
                    # the part that changed, marked [-removed-] / {+inserted+}; click for both in full
                    f"{v1} output": Cell(ex[0], style=PROSE),
                    f"{v2} output": Cell(ex[1], style=PROSE),
                }
                for f in diff.flips
                for ex in [changed_excerpts(f.before_output, f.after_output, width=100, context=30)]
            ],
            key=f"flips_{diff.run_id}_{family}_{v1}_{v2}",
            url_key="flip",
            link_column="test",
            page_key="fpage",
            hint="Click a test to see both outputs in full.",
        )
        if i is not None:
            f = diff.flips[i]
            head = st.columns([6, 1])
            head[0].markdown(
                f"**{f.direction}** · test #{f.test_idx} {md(f.description or '')} · {md(f.variant)} · {md(f.model)}"
            )
            with head[1]:
                widgets.close_button("flip", "close_flip")
            a, b = st.columns(2)
            a.markdown(f"**{md(v1)}** ({'pass' if f.before_pass else 'fail'})")
            a.code(f.before_output or "", language=None, wrap_lines=True)
            b.markdown(f"**{md(v2)}** ({'pass' if f.after_pass else 'fail'})")
            b.code(f.after_output or "", language=None, wrap_lines=True)
    clusters_section(tok, diff.run_id, family, v2)


def clusters_section(tok: str, run_id: int, family: str, version: str) -> None:
    st.subheader(f"Failure modes of {md(family)}/{md(version)}")
    if not st.toggle("Cluster the failures (TF-IDF + k-means)", key="w_clusters", value=state.get_bool("clusters")):
        state.put("clusters", False, False)
        return
    state.put("clusters", True, False)
    try:
        report = data.failure_clusters(tok, run_id, family, version)
    except WorkbenchError as e:
        st.info(str(e))
        return
    st.caption(f"{report.failures} failures of {report.results} results · {report.k} clusters ({report.method})")
    show_table(
        [
            {
                "cluster": c.id,
                "failures": c.size,
                "terms": ", ".join(c.terms),
                "example reason": c.example.reason,
                "by prompt · model": ", ".join(f"{k}: {v}" for k, v in c.by_group.items()),
            }
            for c in report.clusters
        ],
        max_height=None,
    )
