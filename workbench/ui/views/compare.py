"""Compare runs: a baseline vs a newer run — improved and regressed counts, worst regressions first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.analysis.compare import TestChange
from workbench.format import fmt_rate
from workbench.ui import data, state, widgets


def _change(c: TestChange, kind: str) -> None:
    title = (
        f"{kind} · {c.pair} · {c.description or c.test} · {fmt_rate(c.base_pass_rate)} → {fmt_rate(c.head_pass_rate)}"
    )
    with st.expander(title):
        if c.head_error:
            st.error(c.head_error)
        a, b = st.columns(2)
        a.markdown("**Baseline output**")
        a.code(c.base_output or "", language=None, wrap_lines=True)
        b.markdown("**Newer output**")
        b.code(c.head_output or "", language=None, wrap_lines=True)
        if c.prompt:
            st.markdown("**Newer rendered prompt**")
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
    if not cmp.regressions:
        st.caption("None.")
    for ch in cmp.regressions:
        _change(ch, "🔴 regressed")
    st.subheader(f"Improvements ({cmp.improved})")
    if not cmp.improvements:
        st.caption("None.")
    for ch in cmp.improvements:
        _change(ch, "🟢 improved")
    state.put("base", base.id)
