"""The body of `workbench recommend` (its flags and help: `workbench/cli/recommend.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench import open_results, recommend
from workbench.analysis.pairs import describe_repeats
from workbench.analysis.recommend import Recommendation
from workbench.analysis.router_figures import RouterSummary
from workbench.analysis.system_metrics import metric_line
from workbench.errors import UsageError
from workbench.format import fmt_cost, fmt_ms, fmt_price, fmt_rate, fmt_spend


def command(
    run: str | None,
    suite: Path | None,
    min_pass_rate: float | None,
    allow_guardrail_failures: bool | None,
    allow_errors: bool | None,
    requests_per_day: float | None,
    cache_hit_rate: float | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """`workbench recommend` (help: the declaration)."""
    if run is not None and suite is not None:
        raise UsageError("pass --run or --suite, not both")
    database = open_results(db)
    rec = recommend(
        database,
        run=run,
        suite=suite,
        requests_per_day=requests_per_day,
        cache_hit_rate=cache_hit_rate,
        min_pass_rate=min_pass_rate,
        allow_guardrail_failures=allow_guardrail_failures,
        allow_errors=allow_errors,
    )
    if as_json:
        click.echo(json.dumps(rec.to_dict(), indent=2))
        return
    render(rec)


def render(rec: Recommendation) -> None:
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=True)
    a = rec.acceptance
    rules = [f"pass rate >= {fmt_rate(a.min_pass_rate)}"]
    rules.append("guardrail failures allowed" if a.allow_guardrail_failures else "no guardrail failures")
    rules.append("errors allowed" if a.allow_errors else "no errors")
    runs = ", ".join(str(r) for r in rec.run_ids)
    console.print(f"Run {runs}: {len(rec.pairs)} pairs; acceptable = {', '.join(rules)}")
    console.print()
    if rec.pick:
        p = rec.pick
        console.print(
            f"[bold]Pick:[/bold] {escape(p.name)}  {fmt_cost(p.mean_cost)}/request, pass rate "
            f"{fmt_rate(p.pass_rate)} ({p.passes}/{p.n}, 95% CI {fmt_rate(p.interval[0])}–{fmt_rate(p.interval[1])})"
        )
        if rec.runner_up:
            r = rec.runner_up
            console.print(
                f"[bold]Runner-up:[/bold] {escape(r.name)}  {fmt_cost(r.mean_cost)}/request, pass rate "
                f"{fmt_rate(r.pass_rate)} ({r.passes}/{r.n}, 95% CI {fmt_rate(r.interval[0])}–{fmt_rate(r.interval[1])})"
            )
        for who, pair in (("Pick", p), ("Runner-up", rec.runner_up)):
            clusters = describe_repeats(pair) if pair else None
            if clusters:  # repeats count once per test: say what they were worth
                console.print(f"  {who}: {escape(clusters)}")
        console.print(f"[bold]Verdict:[/bold] {escape(rec.verdict)}")
    else:
        console.print(f"[bold]No recommendation:[/bold] {escape(rec.verdict)}")
    console.print()

    status = {id(p): "acceptable" for p in rec.acceptable}
    if rec.pick:
        status[id(rec.pick)] = "PICK"
    if rec.runner_up:
        status[id(rec.runner_up)] = "runner-up"
    frontier = {id(p) for p in rec.frontier}
    table = Table(title="Pairs (cheapest first; * = on the cost/pass-rate Pareto frontier)")
    for col in ("pair", "pass rate", "95% CI", "score", "tokens in/out", "$/request", "$/pass", "p95", "status"):
        table.add_column(col, justify="left" if col in ("pair", "status") else "right")
    ordered = sorted(rec.pairs, key=lambda p: (p.mean_cost is None, p.mean_cost or 0.0, -p.pass_rate, p.key))
    for p in ordered:
        table.add_row(
            escape(p.name) + (" *" if id(p) in frontier else ""),
            f"{fmt_rate(p.pass_rate)} ({p.passes}/{p.n})",
            f"{fmt_rate(p.interval[0])}–{fmt_rate(p.interval[1])}",
            "-" if p.mean_score is None else f"{p.mean_score:.2f}",
            f"{p.mean_tokens_in or 0:.0f}/{p.mean_tokens_out or 0:.0f}",
            fmt_cost(p.mean_cost),
            fmt_cost(p.cost_per_pass, unknown="-"),
            fmt_ms(p.p95_latency_ms),
            status.get(id(p), "excluded"),
        )
    console.print(table)
    if rec.excluded:
        console.print()
        console.print("[bold]Excluded:[/bold]")
        for e in rec.excluded:
            console.print(f"  {escape(e.pair.name)}: {escape('; '.join(e.reasons))}")
    console.print()
    console.print(
        "[bold]Cost of this evaluation:[/bold] "
        f"{escape(fmt_spend(rec.evaluation_model_cost, rec.evaluation_grader_cost))}"
        " ($/request above is the cost of serving: the model call alone)"
    )
    console.print("[bold]Prices used:[/bold]")
    for model, price in rec.prices.items():
        console.print(f"  {escape(model)}: {escape(fmt_price(price))}")
    if rec.metrics:
        console.print("[bold]System metrics:[/bold]")
        for m in rec.metrics:
            console.print(f"  {escape(metric_line(m))}")
    for w in rec.warnings:
        console.print(escape(w))
    if rec.projections:
        console.print()
        proj = Table(title=f"Monthly projection at {rec.requests_per_day:,.0f} requests/day (30 days)")
        hit = rec.projections[0].cache_hit_rate
        cached_col = "with cache" if hit is None else f"with cache ({fmt_rate(hit)} hits)"
        for col in ("pair", "$/request", "per month", cached_col, "as a batch (--batch)", "eval cache hits (info)"):
            proj.add_column(col, justify="left" if col == "pair" else "right")
        for pr in sorted(rec.projections, key=lambda x: x.monthly_cost or 0.0):
            proj.add_row(
                escape(pr.pair),
                fmt_cost(pr.cost_per_request),
                fmt_cost(pr.monthly_cost),
                fmt_cost(pr.monthly_cost_cached, unknown="- (give --cache-hit-rate)")
                if pr.monthly_cost is not None
                else "unknown",
                fmt_cost(pr.monthly_cost_batch, unknown="- (no batch API)"),
                fmt_rate(pr.eval_cache_hit_rate),
            )
        console.print(proj)
    if rec.avalanche:
        parts = [
            f"x{pr.context_growth:g} {fmt_cost(pr.monthly_cost)}{' (approx.)' if pr.approximate else ''}"
            for pr in rec.avalanche
        ]
        console.print(f"Token avalanche (pick, context x1/x2/x4, per month): {', '.join(parts)}")
    if rec.routing:
        console.print()
        for line in routed_lines(rec.routing):
            console.print(escape(line))


def routed_lines(s: RouterSummary) -> list[str]:
    """The "single cheapest acceptable model vs routed" section (workbench.routing.router_summary)."""
    r, single = s.routed, s.single_cheapest_acceptable
    models = s.models or [s.cheap_model, s.strong_model]
    lo, hi = r.pass_rate_ci
    lines = [
        f"Routed (trained router {s.name!r}, id {s.id}: {' -> '.join(models)},"
        f" {s.tests} tests, cross-validated) at {s.requests_per_day:,.0f} requests/day:",
    ]
    if single is None:
        lines.append(f"  single cheapest acceptable model: none meets {fmt_rate(s.min_pass_rate)}")
    else:
        lines.append(
            f"  single cheapest acceptable model: {single.model}  pass {fmt_rate(single.pass_rate)}"
            f"  {fmt_cost(single.cost_per_request)}/request  {fmt_cost(single.monthly_cost)}/month"
        )
    mix = (
        ", ".join(f"{fmt_rate(v)} to {m}" for m, v in (r.shares or {}).items())
        if len(models) > 2
        else f"{fmt_rate(r.strong_share)} to {s.strong_model}"
    )
    lines.append(
        f"  routed ({r.label}: {mix}; stored threshold {r.threshold:.3f}):"
        f"  pass {fmt_rate(r.pass_rate)} (95% CI {fmt_rate(lo)}–{fmt_rate(hi)})"
        f"  {fmt_cost(r.cost_per_request)}/request  {fmt_cost(r.monthly_cost)}/month"
    )
    if s.monthly_saving is not None:
        lines.append(f"  projected saving: {fmt_cost(s.monthly_saving)}/month")
    choice = "the router" if s.choice == "routed" else "a single model"
    lines.append(f"  Ship: {choice}. {s.verdict}")
    return lines
