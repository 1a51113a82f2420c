"""Compare runs: a baseline vs a newer run — improved and regressed counts, worst regressions first."""

from __future__ import annotations

import streamlit as st

from workbench.analysis.comparison import TestChange
from workbench.analysis.evidence_plan import settle
from workbench.format import fmt_rate
from workbench.md_escape import md
from workbench.ui import data, state, widgets
from workbench.ui.html_table import PROSE, Cell, Value, show_table
from workbench.ui.metric_row import Metric, show_metrics

CHANGE_COLUMNS = ["pair", "test", "pass rate baseline", "pass rate newer", "newer output"]


def _changes_rows(changes: list[TestChange]) -> list[dict[str, Value]]:
    return [
        {
            "pair": c.pair,
            "test": c.description or c.test,
            "pass rate baseline": fmt_rate(c.base_pass_rate),
            "pass rate newer": fmt_rate(c.head_pass_rate),
            "newer output": Cell((c.head_output or "")[:120], style=PROSE),
        }
        for c in changes
    ]


def _details(kind: str, c: TestChange) -> None:
    """One change in full: both outputs and the newer rendered prompt."""
    st.divider()
    head = st.columns([6, 1])
    head[0].markdown(f"**{kind}** · {md(c.pair)} · {md(c.description or c.test)}")
    with head[1]:
        widgets.close_button("item", "close_item")
    if c.head_error:
        st.error(md(c.head_error))
    a, b = st.columns(2)
    a.markdown(f"**Baseline output** (pass rate {fmt_rate(c.base_pass_rate)})")
    a.code(c.base_output or "", language=None, wrap_lines=True)
    b.markdown(f"**Newer output** (pass rate {fmt_rate(c.head_pass_rate)})")
    b.code(c.head_output or "", language=None, wrap_lines=True)
    if c.prompt:
        with st.expander("Newer rendered prompt"):
            st.code(c.prompt, language=None, wrap_lines=True)


def render() -> None:
    st.title("Compare runs")
    runs = widgets.require_runs()
    if runs is None:
        return
    if len(runs) < 2:
        st.info("Only one run so far: run a suite again (e.g. after changing a prompt) to compare.")
        return
    c = st.columns(2)
    with c[1]:
        head = widgets.pick_run(runs, key="head", label="Newer run")
    same_suite = [r for r in runs if r.suite_path == head.suite_path and r.id < head.id]
    default_base = same_suite[0] if same_suite else next(r for r in runs if r.id != head.id)
    with c[0]:
        base = widgets.pick_run(runs, key="base", label="Baseline run", default_index=runs.index(default_base))
    if base.id == head.id:
        st.info("Pick two different runs.")
        return
    cmp = data.comparison(widgets.token(), base.id, head.id)
    rate_delta = (
        None
        if cmp.head_matched_pass_rate is None or cmp.base_matched_pass_rate is None
        else widgets.delta_text(cmp.head_matched_pass_rate - cmp.base_matched_pass_rate, "rate")
    )
    show_metrics(
        [
            Metric("Regressed", cmp.regressed, delta=f"-{cmp.regressed:,}" if cmp.regressed else None),
            Metric("Improved", cmp.improved),
            Metric("Pass rate (matched)", fmt_rate(cmp.head_matched_pass_rate), delta=rate_delta),
            Metric("New guardrail failures", cmp.new_guardrail_failures),
            Metric("New errors", cmp.new_errors),
        ]
    )
    st.markdown(f"**Verdict:** {cmp.significance.line()}")
    more = settle(cmp)
    if more:
        st.caption(more.line())
    st.caption(
        f"{cmp.matched:,} matched (test, pair) rows; {cmp.only_in_base_rows:,} only in the baseline"
        f" ({cmp.missing_passed:,} of them passed there); {cmp.only_in_head_rows:,} only in the newer run."
    )
    if not cmp.same_tests:
        st.caption(
            f"Tests only in the baseline: {len(cmp.tests_only_in_base)}; only in the newer run: "
            f"{len(cmp.tests_only_in_head)} (not counted as passes or failures)."
        )
    pairs = sorted(cmp.pairs, key=lambda p: (-p.regressed, p.improved, p.name))
    st.subheader("Pairs, most regressions first")
    show_table(
        [
            {
                "pair": f"{p.name} ({p.new_version})" if p.new_version else p.name,
                "in baseline": p.base is not None,
                "in newer": p.head is not None,
                "matched": p.matched,
                "regressed": p.regressed,
                "improved": p.improved,
                "verdict": p.significance.verdict,
                "McNemar p": round(p.significance.p_value, 4),
                "pass rate baseline": fmt_rate(p.base_matched_pass_rate),
                "pass rate newer": fmt_rate(p.head_matched_pass_rate),
                "Δ cost / request": widgets.delta_text(p.delta("mean_cost"), "cost"),
                "new guardrail failures": p.new_guardrail_failures,
                "new errors": p.new_errors,
            }
            for p in pairs
        ],
        max_height=None,
    )
    # One list at a time (regressions first), so the page draws one table of tests, not two.
    lists = {"regressed": (f"Regressions ({cmp.regressed:,})", cmp.regressions)}
    lists["improved"] = (f"Improvements ({cmp.improved:,})", cmp.improvements)
    keys = list(lists)
    default = "regressed" if cmp.regressions or not cmp.improvements else "improved"
    st.subheader("Changed tests")
    show = (
        st.segmented_control(
            "Changed tests",
            keys,
            default=keys[state.index_of(keys, state.get_str("show", default))],
            format_func=lambda k: lists[k][0],
            key="w_show",
            label_visibility="collapsed",
        )
        or default
    )
    state.put("show", show, default)
    changes = lists[show][1]
    total = cmp.regressed if show == "regressed" else cmp.improved
    if not changes:
        st.caption("None.")
        return
    if total > len(changes):
        st.caption(f"Showing the first {len(changes):,} of {total:,}.")
    i = widgets.table_with_details(
        _changes_rows(changes),
        columns=CHANGE_COLUMNS,
        key=f"changes_{base.id}_{head.id}_{show}",
        url_key="item",
        link_column="test",
        page_key="cpage",
        hint="Click a test to see both outputs and the newer rendered prompt.",
    )
    if i is not None:
        _details(show, changes[i])
