"""Recommendation: pass rate vs cost per request for every pair, the Pareto frontier, the pick."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.analysis.pairs import PairStats
from workbench.analysis.recommend import Recommendation
from workbench.analysis.router_figures import RouterSummary
from workbench.errors import WorkbenchError
from workbench.format import fmt_cost, fmt_rate
from workbench.md_escape import md
from workbench.ui import data, html_table, state, svg_charts, widgets
from workbench.ui.html_table import NOWRAP, Cell
from workbench.ui.metric_row import Metric, show_metrics

ROLE_STYLE = {"pick": f"{widgets.PASS_BG}; font-weight: 600; {NOWRAP}", "runner-up": f"font-weight: 600; {NOWRAP}"}
# Room for the reasons while the table still fits a 1400 px window.
WHY_WIDTH = "min-width: 11rem"
PAIR_TITLES = {
    "pair": "prompt version · compression variant · model",
    "95% interval": "Wilson score interval of the pass rate",
    "n": "results (test cases) of the pair",
    "cost / request": "mean cost of one uncached request",
    "cost / pass": "spent / passing tests",
}


def _role(p: PairStats, rec: Recommendation) -> str:
    if rec.pick is not None and p.key == rec.pick.key:
        return "pick"
    if rec.runner_up is not None and p.key == rec.runner_up.key:
        return "runner-up"
    if any(p.key == a.key for a in rec.acceptable):
        return "acceptable"
    return "excluded"


def point_labels(pairs: list[Any]) -> dict[tuple[str, str, str], str]:
    """Short chart labels: the pair name without the parts every pair shares (one family, one
    variant or one model), so each point can carry its label without covering the others."""
    parts = [(p.prompt, p.variant, p.model) for p in pairs]
    families = {pr.split("/", 1)[0] for pr, _, _ in parts}
    keep_variant = len({v for _, v, _ in parts}) > 1
    keep_model = len({m for _, _, m in parts}) > 1
    out = {}
    for p, (prompt, variant, model) in zip(pairs, parts, strict=True):
        shown = [prompt.split("/", 1)[-1] if len(families) == 1 and "/" in prompt else prompt]
        shown += [variant] if keep_variant else []
        shown += [model] if keep_model else []
        out[p.key] = " · ".join(shown)
    return out


# Roles in the verdict hues: the pick and the other acceptable pairs green, the excluded red.
ROLE_COLORS = {
    "pick": svg_charts.PASS_DARK,
    "runner-up": svg_charts.BLUE,
    "acceptable": svg_charts.LIGHT_GREEN,
    "excluded": svg_charts.FAIL,
}


def scatter(rec: Recommendation, log_x: bool, target: float | None = None) -> str | None:
    """Cost vs pass rate of every priced pair as an SVG: 95 % interval bars, points coloured by
    role and square on the Pareto frontier, the frontier as a dashed line, the acceptance target
    dotted, every point labelled (the pick in bold). None: no pair with a price to place (on a log
    axis, a positive one)."""
    frontier = {p.key for p in rec.frontier}
    short = point_labels(rec.pairs)
    points = []
    for p in rec.pairs:
        if p.mean_cost is None or (log_x and p.mean_cost <= 0):
            continue
        role = _role(p, rec)
        points.append(
            svg_charts.Point(
                x=p.mean_cost,
                y=p.pass_rate,
                label=short[p.key],
                color=ROLE_COLORS[role],
                tooltip=[
                    ("pair", p.name),
                    ("cost", fmt_cost(p.mean_cost)),
                    ("pass rate", fmt_rate(p.pass_rate)),
                    ("95% low", fmt_rate(p.interval[0])),
                    ("95% high", fmt_rate(p.interval[1])),
                    ("n", f"{p.n:,}"),
                    ("role", role),
                ],
                low=p.interval[0],
                high=p.interval[1],
                emphasis=role == "pick",
                square=p.key in frontier,
                on_line=p.key in frontier,
            )
        )
    if not points:
        return None
    roles = {_role(p, rec) for p in rec.pairs}
    legend = [svg_charts.Legend(r, c) for r, c in ROLE_COLORS.items() if r in roles]
    legend += [
        svg_charts.Legend("on the Pareto frontier", svg_charts.GREY, "square"),
        svg_charts.Legend("Pareto frontier", "#555555", "dash"),
    ]
    return svg_charts.scatter(
        points,
        svg_charts.Axis("$ per request (uncached)", "usd", log=log_x),
        svg_charts.Axis("pass rate", "pct", domain=(0.0, 1.0)),
        legend=legend,
        target=target,
        target_label=f"target {fmt_rate(target)}",
    )


def unplotted_note(rec: Recommendation, log_x: bool) -> str | None:
    """Which pairs the chart leaves out and why: an unknown price, or $0 on a log axis."""
    unknown = sum(1 for p in rec.pairs if p.mean_cost is None)
    free = sum(1 for p in rec.pairs if p.mean_cost == 0) if log_x else 0
    parts = [f"{unknown} pair{'s' * (unknown != 1)} with an unknown price"] if unknown else []
    if free:
        parts.append(f"{free} pair{'s' * (free != 1)} at $0 per request (no place on a log axis)")
    return f"Not plotted: {' and '.join(parts)}." if parts else None


def render() -> None:
    st.title("Recommendation")
    runs = widgets.require_runs()
    if runs is None:
        return
    run = widgets.pick_run(runs)
    tok = widgets.token()
    defaults = data.suite_acceptance(tok, run.id)
    c = st.columns(3)
    target = c[0].slider(
        "Acceptance target (pass rate)",
        0.0,
        1.0,
        state.get_float("target", defaults.min_pass_rate),
        0.01,
        key="w_target",
    )
    allow_g = c[1].checkbox(
        "Tolerate guardrail failures",
        value=state.get_bool("guardok", defaults.allow_guardrail_failures),
        key="w_guardok",
    )
    allow_e = c[2].checkbox("Tolerate errors", value=state.get_bool("errok", defaults.allow_errors), key="w_errok")
    state.put("target", round(target, 2), defaults.min_pass_rate)
    state.put("guardok", allow_g, defaults.allow_guardrail_failures)
    state.put("errok", allow_e, defaults.allow_errors)
    acceptance = defaults.with_overrides(min_pass_rate=target, allow_guardrail_failures=allow_g, allow_errors=allow_e)
    rec = data.recommendation(tok, run.id, acceptance, None)

    if rec.pick is not None:
        p = rec.pick
        st.success(
            f"**Recommended: {p.name}** — pass rate {fmt_rate(p.pass_rate)} ({p.passes}/{p.n}, 95% "
            f"{p.interval[0]:.0%}–{p.interval[1]:.0%}) at {fmt_cost(p.mean_cost)} per request."
        )
        if rec.clearly_better is False:
            st.warning(f"The pick is {md(rec.verdict)}.")
        elif rec.verdict:
            st.caption(f"The pick is {md(rec.verdict)}.")
    else:
        st.error(md(rec.verdict) if rec.verdict else "No acceptable pair.")

    log_x = st.toggle("Log cost axis", value=state.get_bool("logx"), key="w_logx")
    state.put("logx", log_x, False)
    chart = scatter(rec, log_x, acceptance.min_pass_rate)
    note = unplotted_note(rec, log_x)
    if chart is None:
        st.info(note or "No pair has a known price, so there is nothing to plot on the cost axis.")
    else:
        widgets.svg(chart)
        st.caption(
            "Error bars: 95 % Wilson intervals. Dashed line: the Pareto frontier (no pair is both cheaper and"
            " better). Dotted line: the acceptance target. Hover a point for its figures."
            + (f" {note}" if note else "")
        )

    why = {e.pair.key: "; ".join(e.reasons) for e in rec.excluded}
    # Acceptable pairs first in the pick's ranking (cheapest, then pass rate), then the excluded ones.
    ordered = [*rec.acceptable, *(e.pair for e in rec.excluded)]
    st.caption(
        "Acceptable pairs first, in the order they are ranked for the pick (cheapest first), then the excluded"
        " ones by name with why. Pass rate: green at or above the acceptance target, red below."
    )
    html_table.show_table(
        [
            {
                # prompt · variant over the model, each line whole: a model's hyphens never break it.
                "pair": Cell(f"{p.prompt} · {p.variant}\n{p.model}", style=NOWRAP, title=p.name),
                "role": Cell(role, style=ROLE_STYLE.get(role, NOWRAP)),
                "pass rate": widgets.rate_cell(p.pass_rate, acceptance.min_pass_rate),
                "95% interval": Cell(f"{p.interval[0]:.0%}–{p.interval[1]:.0%}", style=NOWRAP),
                "n": p.n,
                "cost / request": fmt_cost(p.mean_cost),
                "cost / pass": fmt_cost(p.cost_per_pass) if p.passes else "- (no passes)",
                "mean score": p.mean_score,
                "guardrail failures": p.guardrail_failures,
                "errors": p.errors,
                "why excluded": Cell(why[p.key], style=WHY_WIDTH) if p.key in why else "",
            }
            for p in ordered
            for role in [_role(p, rec)]
        ],
        header_titles=PAIR_TITLES,
    )
    routing_section(tok)


def routing_section(tok: str) -> None:
    names = data.routers(tok)
    if not names:
        return
    st.subheader("Trained router: single cheapest acceptable model vs routed")
    name = st.selectbox("Router", names, index=state.index_of(names, state.get_str("router")), key="w_router")
    state.put("router", name, names[0])
    rpd = st.number_input(
        "Requests per day", min_value=0.0, value=state.get_float("rpd", 10_000.0), step=1000.0, key="w_rrpd"
    )
    try:
        s = data.routing(tok, name, float(rpd))
    except WorkbenchError as e:
        st.info(str(e))
        return
    single, routed = s.single_cheapest_acceptable, s.routed
    chain = " → ".join(s.models or [s.cheap_model, s.strong_model])
    show_metrics(
        [
            Metric(
                f"Single: {single.model if single else 'none'}",
                fmt_cost(single.monthly_cost) + " / month" if single else "no single model meets the target",
            ),
            Metric(
                f"Routed ({chain}), {routed.label or ''}",
                fmt_cost(routed.monthly_cost) + " / month",
                help=f"pass rate {fmt_rate(routed.pass_rate)}",
            ),
            Metric("Monthly saving", fmt_cost(s.monthly_saving)),
        ]
    )
    st.caption(md(routed_caption(s)))
    (st.success if s.choice == "routed" else st.info)(f"Choice: **{s.choice}** — {s.verdict}")


def routed_caption(s: RouterSummary) -> str:
    """The routed figures with what they are: nested CV's outer folds, or the in-sample point (optimistic)."""
    routed, in_sample = s.routed, s.in_sample
    lo, hi = routed.pass_rate_ci
    shares = routed.shares or {s.cheap_model: 1 - routed.strong_share, s.strong_model: routed.strong_share}
    mix = ", ".join(f"{fmt_rate(v)} to {m}" for m, v in shares.items())
    text = (
        f"Routed ({routed.label or ''}): pass {fmt_rate(routed.pass_rate)}"
        f" (95% CI {fmt_rate(lo)}–{fmt_rate(hi)}), {fmt_cost(routed.cost_per_request)}/request; {mix}."
    )
    if s.nested:
        text += (
            f" The chosen threshold's point on the curve (in-sample, optimistic): pass"
            f" {fmt_rate(in_sample.pass_rate)}, {fmt_cost(in_sample.cost_per_request)}/request."
        )
    return text
