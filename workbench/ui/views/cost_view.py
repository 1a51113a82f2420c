"""Cost: by model, prompt version and variant; cost per passing test; monthly projection; $ saved by variants."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.analysis.cost import CostGroup
from workbench.analysis.projection import DAYS_PER_MONTH
from workbench.format import fmt_cost, fmt_price, fmt_rate
from workbench.ui import data, html_table, state, svg_charts, widgets
from workbench.ui.html_table import Cell
from workbench.ui.metric_row import Metric, show_metrics

DEFAULT_RPD = 10_000.0


def group_rows(groups: list[CostGroup]) -> list[dict[str, Any]]:
    return [
        {
            "name": g.name,
            "results": g.n,
            "pass rate": g.pass_rate,
            "cost / request": fmt_cost(g.mean_cost),
            "cost / passing test": fmt_cost(g.cost_per_pass) if g.passes else "- (no passes)",
            "spent": fmt_cost(g.spent),
            "tokens in": g.tokens_in,
            "tokens out": g.tokens_out,
            "cache hits": fmt_rate(g.cache_hit_rate),
            "usd_per_request": g.mean_cost,
        }
        for g in groups
    ]


# The group table's columns (group_rows also carries the chart's number, `usd_per_request`).
GROUP_COLUMNS = [
    "name",
    "results",
    "pass rate",
    "cost / request",
    "cost / passing test",
    "spent",
    "tokens in",
    "tokens out",
    "cache hits",
]
GROUP_TITLES = {
    "pass rate": "green at or above the suite's acceptance target, red below",
    "cost / request": "mean cost of one uncached request",
    "cost / passing test": "spent / passing tests",
    "cache hits": "share of results answered from the response cache in this run",
}


def _fixed(value: float | None, digits: int = 2) -> Cell:
    """A number with a fixed count of decimals, right-aligned like the table's other numbers."""
    return Cell(None if value is None else f"{value:.{digits}f}", style="text-align: right; white-space: nowrap")


def cost_svg(groups: list[CostGroup]) -> str | None:
    """$ per request of each priced group as horizontal bars, most first. None: no priced group."""
    bars = [
        svg_charts.Bar(
            label=r["name"],
            value=r["usd_per_request"],
            text=r["cost / request"],
            tooltip=[(k, r[k]) for k in ("cost / request", "cost / passing test", "spent")],
        )
        for r in group_rows(groups)
        if r["usd_per_request"] is not None
    ]
    return svg_charts.bars(bars, svg_charts.Axis("$ per request (uncached)", "usd"), row=32) if bars else None


def render() -> None:
    st.title("Cost")
    runs = widgets.require_runs()
    if runs is None:
        return
    run = widgets.pick_run(runs)
    tok = widgets.token()
    hit = data.run_cache_hit_rate(tok, run.id)
    show_metrics(
        [
            Metric("Spent by this run", fmt_cost(run.total_cost), help="model calls + grading"),
            Metric("Cost per request", fmt_cost(run.cost_per_request)),
            Metric("Measured cache hit rate", fmt_rate(hit)),
            Metric("of which grading", fmt_cost(run.grader_cost)),
        ]
    )

    dims = {"model": "By model", "version": "By prompt version", "variant": "By variant"}
    keys = list(dims)
    dim = st.radio(
        "Group cost",
        keys,
        index=state.index_of(keys, state.get_str("by", "model")),
        format_func=dims.__getitem__,
        horizontal=True,
        key="w_by",
    )
    state.put("by", dim, "model")
    groups = data.cost_by(tok, run.id, dim)
    chart = cost_svg(groups)
    if chart is not None:
        widgets.svg(chart)
    target = data.suite_acceptance(tok, run.id).min_pass_rate
    html_table.show_table(
        [{**r, "pass rate": widgets.rate_cell(r["pass rate"], target)} for r in group_rows(groups)],
        GROUP_COLUMNS,
        header_titles=GROUP_TITLES,
    )

    st.subheader("Monthly projection")
    rpd = st.number_input(
        "Requests per day",
        min_value=0.0,
        value=state.get_float("rpd", DEFAULT_RPD),
        step=1000.0,
        format="%.0f",
        key="w_rpd",
    )
    state.put("rpd", int(rpd) if float(rpd).is_integer() else rpd, DEFAULT_RPD)
    hit_pct = st.number_input(
        "Production cache hit rate (%)",
        min_value=0.0,
        max_value=100.0,
        value=state.get_float("hit", 0.0),
        step=5.0,
        key="w_hit",
        help="The share of production requests your cache will answer. The evaluation's own hit rate "
        "(a re-run hits 100 %) is shown for information only.",
    )
    state.put("hit", hit_pct, 0.0)
    rec = data.recommendation(tok, run.id, data.suite_acceptance(tok, run.id), float(rpd), hit_pct / 100)
    pick = rec.pick.name if rec.pick else None
    proj = [
        {
            "pair": p.pair + ("  ★ recommended" if p.pair == pick else ""),
            "cost / request": fmt_cost(p.cost_per_request),
            f"per month ({DAYS_PER_MONTH} days), no cache": fmt_cost(p.monthly_cost),
            f"per month with {hit_pct:g} % cache hits": fmt_cost(p.monthly_cost_cached),
            "eval cache hit rate (information)": fmt_rate(p.eval_cache_hit_rate),
        }
        for p in rec.projections
    ]
    if not proj:
        st.info("No pair has a known price to project.")
    else:
        st.caption("Acceptable pairs first, cheapest first (the recommended one starred), then the others by name.")
        html_table.show_table(proj)

    st.subheader("Prices used and system metrics")
    st.caption(
        "Each model's price as this run recorded it (compute prices: $/hour x measured busy time). "
        "Serving cost is $/request; grading is what evaluating cost."
    )
    html_table.show_table([{"model": m, "price": fmt_price(p)} for m, p in rec.prices.items()])
    if rec.metrics:
        html_table.show_table(
            [
                {
                    "pair": m.pair,
                    "tokens / passing output": "-" if m.tokens_per_pass is None else f"{m.tokens_per_pass:,.0f}",
                    "$ / passing test": fmt_cost(m.cost_per_pass, unknown="-"),
                    "retry rate": fmt_rate(m.retry_rate),
                    "fallback rate": fmt_rate(m.fallback_rate),
                    "fallback share of spend": fmt_rate(m.fallback_spend_share),
                    "cache hit ratio": fmt_rate(m.cache_hit_ratio),
                    "grading share of spend": fmt_rate(m.grader_share),
                    "prompt tokens vs previous version": "-"
                    if m.prompt_growth is None
                    else f"{m.prompt_growth:+.0%} vs {m.previous_version}",
                }
                for m in rec.metrics
            ]
        )
    for w in rec.warnings:
        st.warning(w)

    st.subheader("$ saved by compression variants")
    savings = data.variant_savings(tok, run.id)
    if not savings:
        st.caption(
            'This run has no variants besides `none`. Add `workbench: variants: [none, "llmlingua:0.5"]` to a suite '
            "to measure what compression saves."
        )
    else:
        html_table.show_table(
            [
                {
                    "prompt": s.prompt,
                    "model": s.model,
                    "variant": s.variant,
                    "tokens in (none → variant)": f"{s.baseline_tokens_in or 0:,.0f} → {s.variant_tokens_in or 0:,.0f}",
                    "cost / request (none → variant)": f"{fmt_cost(s.baseline_cost)} → {fmt_cost(s.variant_cost)}",
                    "saved / request": fmt_cost(s.saved_per_request),
                    "saved share": fmt_rate(s.saved_share),
                    "saved / month": fmt_cost(s.monthly_saved(float(rpd))),
                    "Δ pass rate": widgets.delta_text(s.pass_rate_delta, "rate"),
                }
                for s in savings
            ]
        )
    extra = data.compression_deltas(tok, run.id) if savings else None
    if extra:
        st.caption("Compression details (`workbench.analysis.variant_deltas.variant_deltas`)")
        html_table.show_table(
            [
                {
                    "pair": f"{d.prompt} · {d.variant} · {d.model}",
                    "compression ratio": _fixed(d.compression_ratio),
                    "tokens saved / request": d.tokens_saved_per_request,
                    "cost saved / request": fmt_cost(d.cost_saved_per_request),
                    "Δ pass rate": widgets.delta_text(d.pass_rate_delta, "rate"),
                    "compressor s / call": d.compressor_seconds,
                    "compressions cached": d.compressions_cached,
                    "acceptable": d.acceptable,
                }
                for d in extra
            ]
        )
