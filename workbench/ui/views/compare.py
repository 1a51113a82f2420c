"""Compare runs: a baseline vs a newer run — improved and regressed counts, worst regressions first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.analysis.compare import TestChange
from workbench.format import fmt_rate
from workbench.ui import data, state, widgets


def _changes_table(changes: list[TestChange]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pair": c.pair,
                "test": c.description or c.test,
                "pass rate baseline": fmt_rate(c.base_pass_rate),
                "pass rate newer": fmt_rate(c.head_pass_rate),
                "newer output": (c.head_output or "")[:120],
            }
            for c in changes
        ],
        columns=["pair", "test", "pass rate baseline", "pass rate newer", "newer output"],
    )


def _drilldown(changes: list[tuple[str, TestChange]]) -> None:
    """One change in full: both outputs and the newer rendered prompt (choice kept in the URL)."""
    if not changes:
        return
    labels = [f"{kind} · {c.pair} · {c.description or c.test}" for kind, c in changes]
    i = st.selectbox(
        "Drill into a test",
        range(len(labels)),
        index=min(state.get_int("item", 0) or 0, len(labels) - 1),
        format_func=lambda k: labels[k],
        key="w_item",
    )
    state.put("item", i, 0)
    c = changes[i][1]
    if c.head_error:
        st.error(c.head_error)
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
    m = st.columns(5)
    m[0].metric("Regressed", cmp.regressed, delta=-cmp.regressed if cmp.regressed else None)
    m[1].metric("Improved", cmp.improved)
    m[2].metric(
        "Pass rate (matched)",
        fmt_rate(cmp.head_matched_pass_rate),
        delta=widgets.delta_text(
            None
            if cmp.head_matched_pass_rate is None or cmp.base_matched_pass_rate is None
            else cmp.head_matched_pass_rate - cmp.base_matched_pass_rate,
            "rate",
        ),
    )
    m[3].metric("New guardrail failures", cmp.new_guardrail_failures)
    m[4].metric("New errors", cmp.new_errors)
    if not cmp.same_tests:
        st.caption(
            f"Tests only in the baseline: {len(cmp.tests_only_in_base)}; only in the newer run: "
            f"{len(cmp.tests_only_in_head)} (not counted as passes or failures)."
        )
    pairs = sorted(cmp.pairs, key=lambda p: (-p.regressed, p.improved, p.name))
    st.subheader("Pairs, most regressions first")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "pair": p.name,
                    "in baseline": p.base is not None,
                    "in newer": p.head is not None,
                    "matched": p.matched,
                    "regressed": p.regressed,
                    "improved": p.improved,
                    "pass rate baseline": fmt_rate(p.base_matched_pass_rate),
                    "pass rate newer": fmt_rate(p.head_matched_pass_rate),
                    "Δ cost / request": widgets.delta_text(p.delta("mean_cost"), "cost"),
                    "new guardrail failures": p.new_guardrail_failures,
                    "new errors": p.new_errors,
                }
                for p in pairs
            ]
        ),
        hide_index=True,
    )
    st.subheader(f"Regressions ({cmp.regressed})")
    if cmp.regressions:
        st.dataframe(_changes_table(cmp.regressions), hide_index=True)
    else:
        st.caption("None.")
    st.subheader(f"Improvements ({cmp.improved})")
    if cmp.improvements:
        st.dataframe(_changes_table(cmp.improvements), hide_index=True)
    else:
        st.caption("None.")
    _drilldown([("regressed", c) for c in cmp.regressions] + [("improved", c) for c in cmp.improvements])
    state.put("base", base.id)
