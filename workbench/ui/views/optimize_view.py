"""The Optimize view on the Versions page: what `workbench optimize` found for a family."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from workbench.format import fmt_cost, fmt_rate
from workbench.md_escape import md
from workbench.store.optimizations import StoredOptimization
from workbench.ui import data, html_table, widgets
from workbench.ui.html_table import PROSE, Cell, Value


def render_optimizations(tok: str, family: str) -> None:
    found = data.optimizations(tok, family)
    if not found:
        st.caption(f"No optimization of {md(family)} yet: `workbench optimize {family}/VERSION --suite SUITE`.")
        return
    with st.expander(
        f"Optimize: {len(found)} search{'es' * (len(found) != 1)} for a cheaper {md(family)}", expanded=True
    ):
        labels = {o.id: f"#{o.id} · {o.family}/{o.version} · {o.created_at}" for o in found}
        chosen = st.selectbox("Optimization", list(labels), format_func=labels.__getitem__, key="w_optimization")
        show(next(o for o in found if o.id == chosen))


def show(o: StoredOptimization) -> None:
    r = o.result
    original, winner = r["original"], r["winner"]
    if o.written:
        st.success(
            f"Wrote `{o.written}`: {original['tokens']} → {winner['tokens']} template tokens, "
            f"pass {winner['passes']}/{winner['total']} (original {original['passes']}/{original['total']}), "
            f"{winner['broken']} test cells broken."
        )
    elif winner["n"] == original["n"]:
        st.info(f"No cheaper version of {md(o.family)}/{md(o.version)} held the suite.")
    month = r.get("savings_per_month")
    per_request = r.get("savings_per_request")
    st.caption(
        f"Verified on `{o.suite}` with {', '.join(r['models'])} · {len(r['candidates'])} candidates · "
        f"spent {fmt_cost(r['spent'])}"
        + (f" · saves {fmt_cost(per_request)}/request" if per_request is not None else "")
        + (f", {fmt_cost(month)}/month at {r['requests_per_day']:,.0f} requests/day" if month is not None else "")
        + (f" · stopped early: {r['stopped']}" if r.get("stopped") else "")
    )
    frontier = set(r["frontier"])
    rows = [
        {
            "candidate": f"#{c['n']}",
            "tokens": c["tokens"],
            "pass rate": c["pass_rate"],
            "kept": c["accepted"],
            "frontier": c["n"] in frontier,
            "change": Cell(c["origin"], style=PROSE) if len(c["origin"]) > 40 else c["origin"],
        }
        for c in r["candidates"]
        if c["pass_rate"] is not None
    ]
    if rows:
        import altair as alt  # heavy third-party: only this chart is built with Altair (see widgets)

        alt.utils.schemapi.disable_debug_mode()  # no schema validation per object: the tests validate
        frame = pd.DataFrame(rows)
        base = alt.Chart(frame).encode(
            x=alt.X("tokens:Q", title="template tokens"),
            y=alt.Y("pass rate:Q", title="pass rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        )
        points = base.mark_circle(size=90).encode(
            color=alt.Color("kept:N", scale=alt.Scale(domain=[True, False], range=["#1a7f37", "#cf222e"])),
            tooltip=["candidate", "tokens", alt.Tooltip("pass rate:Q", format=".0%"), "change"],
        )
        labels = base.mark_text(align="left", dx=7, dy=-7, fontSize=11).encode(text="candidate")
        line = base.transform_filter(alt.datum.frontier).mark_line(strokeDash=[4, 3], color="#57606a")
        widgets.chart(line + points + labels, height=240)
    st.markdown(f"**{md(o.family)}/{md(o.version)} → the winner** (removed words struck through)")
    st.markdown(widgets.diff_html([(op, text) for op, text in r["diff"]]), unsafe_allow_html=True)
    st.caption("Every candidate in the order the search tried it, the original first.")
    html_table.show_table([_evidence(c) for c in r["candidates"]])


def _evidence(c: dict[str, Any]) -> dict[str, Value]:
    return {
        "#": c["n"],
        "change": Cell(c["origin"], style=PROSE) if len(c["origin"]) > 40 else c["origin"],
        "tokens": c["tokens"],
        "pass": f"{c['passes']}/{c['total']}",
        "pass rate": fmt_rate(c["pass_rate"]),
        "broken": c["broken"],
        "verdict": Cell("kept", style=widgets.PASS_BG) if c["accepted"] else Cell("dropped", style=widgets.FAIL_BG),
        "why": Cell(c["reason"], style=PROSE) if c["reason"] else c["reason"],
        "run": c["run_id"],
        "cost": fmt_cost(c["cost"]),
    }
