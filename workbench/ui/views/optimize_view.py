"""The Optimize view on the Versions page: what `workbench optimize` found for a family."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.format import fmt_cost, fmt_rate
from workbench.md_escape import md
from workbench.store.optimizations import StoredOptimization
from workbench.ui import data, html_table, svg_charts, widgets
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
    chart = candidates_svg(r["candidates"], set(r["frontier"]))
    if chart is not None:
        widgets.svg(chart)
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


def candidates_svg(candidates: list[dict[str, Any]], frontier: set[int]) -> str | None:
    """Template tokens vs pass rate of every verified candidate, kept green and dropped red, each
    labelled with its number, the frontier dashed. None: no candidate with a pass rate."""
    points = [
        svg_charts.Point(
            x=c["tokens"],
            y=c["pass_rate"],
            label=f"#{c['n']}",
            color=svg_charts.PASS if c["accepted"] else svg_charts.FAIL,
            tooltip=[
                ("candidate", f"#{c['n']}"),
                ("tokens", f"{c['tokens']:,}"),
                ("pass rate", f"{c['pass_rate']:.0%}"),
                ("change", str(c["origin"])),
            ],
            on_line=c["n"] in frontier,
        )
        for c in candidates
        if c["pass_rate"] is not None
    ]
    if not points:
        return None
    legend = [
        svg_charts.Legend("kept", svg_charts.PASS),
        svg_charts.Legend("dropped", svg_charts.FAIL),
        svg_charts.Legend("frontier", "#555555", "dash"),
    ]
    return svg_charts.scatter(
        points,
        svg_charts.Axis("template tokens", "int"),
        svg_charts.Axis("pass rate", "pct", domain=(0.0, 1.0)),
        legend=legend,
        height=240,
    )
