"""The body of `workbench route` (its flags and help: `workbench/cli/route.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from workbench.analysis.router_figures import CurvePoint, RouterSummary
from workbench.errors import UsageError
from workbench.format import fmt_cost, fmt_rate
from workbench.routing.predict import load_router, predict
from workbench.routing.router_summary import IN_SAMPLE, NESTED, routing_summary
from workbench.routing.stored_routers import list_routers, router_row
from workbench.routing.train import train_router
from workbench.store.db import open_db


def _db(path: Path | None, create: bool = False) -> Any:
    return open_db(path, create=create)


def train(
    suite: Path | None,
    runs: tuple[str, ...],
    cheap: str | None,
    strong: str | None,
    models: str | None,
    name: str | None,
    min_pass_rate: float,
    seed: int,
    nested_seeds: int,
    db: Path | None,
) -> None:
    """`workbench route train` (help: the declaration)."""
    run_refs = [r.strip() for chunk in runs for r in chunk.split(",") if r.strip()]
    trained = train_router(
        _db(db),
        cheap=cheap,
        strong=strong,
        models=[m.strip() for m in models.split(",") if m.strip()] if models is not None else None,
        suite_path=suite,
        runs=run_refs or None,
        name=name,
        min_pass_rate=min_pass_rate,
        seed=seed,
        nested_seeds=nested_seeds,
    )
    rep = trained.report
    chain = " -> ".join(rep.get("models") or [trained.cheap_model, trained.strong_model])
    click.echo(
        f"Trained router {trained.name!r} (id {trained.id}): {chain}, {rep['tests']} tests from"
        f" runs {', '.join(map(str, rep['run_ids']))}, {trained.fitted}; threshold {trained.threshold:.3f}."
    )
    click.echo(rep["verdict"])
    click.echo(f"See `workbench route eval --name {trained.name!r}` for the full evaluation.")


def eval_(name: str | None, router_id: int | None, requests_per_day: float, as_json: bool, db: Path | None) -> None:
    """`workbench route eval_` (help: the declaration)."""
    database = _db(db)
    summary = routing_summary(database, name, requests_per_day, router_id=router_id)
    report = router_row(database, router_id=summary.id)["metrics"]
    if as_json:
        click.echo(json.dumps({"summary": summary.to_dict(), "evaluation": report}, indent=2))
        return
    click.echo(render_eval(summary, report))


def render_eval(summary: RouterSummary, report: dict[str, Any]) -> str:
    def ci(pair: list[float]) -> str:
        return f"{pair[0] * 100:.1f}-{pair[1] * 100:.1f}%"

    def pp(x: float) -> str:
        return f"{x * 100:+.1f} pp"

    cheap, strong = summary.cheap_model, summary.strong_model
    cascade = len(summary.models or []) > 2
    lines = [
        f"Router {summary.name!r} (id {summary.id}, {summary.created_at}):"
        f" {' -> '.join(summary.models or [cheap, strong])}",
        f"{report['tests']} tests, runs {', '.join(map(str, report['run_ids']))}; {report['folds']}-fold CV grouped by"
        f" test; 95 % intervals: bootstrap over tests ({report['bootstrap']['samples']} samples).",
        "",
        f"  {'cheap alone':<14}{fmt_rate(report['cheap']['pass_rate']):>8}  {fmt_cost(report['cheap']['cost_per_request'])}/request",
        f"  {'strong alone':<14}{fmt_rate(report['strong']['pass_rate']):>8}  {fmt_cost(report['strong']['cost_per_request'])}/request",
        f"  {'oracle (bound)':<14}{fmt_rate(report['oracle']['pass_rate']):>8}  {fmt_cost(report['oracle']['cost_per_request'])}/request"
        f"  ({fmt_rate(report['oracle']['strong_share'])} to strong)",
        "",
        *(_cascade_header(report) if cascade else []),
        f"  {'threshold':>9} {'position' if cascade else 'to strong':>9} {'pass rate':>9} {'95% CI':>13} {'$/request':>10} {'PGR':>6}"
        f" {'random':>8} {'gain vs random (95% CI)':>30}",
    ]  # fmt: skip
    chosen = summary.routed.threshold
    for p in _display_points(report["points"], chosen):
        lo, hi = p["gain_over_random_ci"]
        mark = " <" if p["threshold"] == chosen else ""
        pgr = "-" if p["pgr"] is None else f"{p['pgr']:.2f}"
        gain = f"{pp(p['gain_over_random'])} ({pp(lo)} to {pp(hi)})"
        lines.append(
            f"  {p['threshold']:>9.3f} {fmt_rate(p['strong_share']):>9} {fmt_rate(p['pass_rate']):>9}"
            f" {ci(p['pass_rate_ci']):>13} {fmt_cost(p['cost_per_request']):>10} {pgr:>6}"
            f" {fmt_rate(p['random_pass_rate']):>8} {gain:>30}{mark}"
        )
    apgr = "-" if summary.apgr is None else f"{summary.apgr:.2f}"
    lo, hi = summary.area_gain_ci
    lines += [
        "",
        f"APGR {apgr} (random routing: 0.50); mean gain over random {pp(summary.area_gain_over_random)}"
        f" (95 % CI {pp(lo)} to {pp(hi)}).",
    ]
    r = summary.routed
    target = fmt_rate(summary.min_pass_rate)
    lines += routed_figure_lines(summary, report.get("nested"), cascade)
    single = summary.single_cheapest_acceptable
    rpd = f"{summary.requests_per_day:,.0f}"
    if single is None:
        lines.append(f"Neither model alone meets the {target} target.")
    else:
        lines.append(
            f"Single cheapest acceptable model: {single.model} (pass {fmt_rate(single.pass_rate)},"
            f" {fmt_cost(single.cost_per_request)}/request)."
        )
    lines.append(
        f"At {rpd} requests/day: routed {fmt_cost(r.monthly_cost)}/month"
        + ("" if r.source == NESTED else f" ({IN_SAMPLE})")
        + (f" vs {single.model} {fmt_cost(single.monthly_cost)}/month" if single else "")
        + (f", saving {fmt_cost(summary.monthly_saving)}/month." if summary.monthly_saving is not None else ".")
    )
    lines.append(f"Ship: {'the router' if summary.choice == 'routed' else 'a single model'}. {summary.verdict}")
    return "\n".join(lines)


def routed_figure_lines(summary: RouterSummary, nested: dict[str, Any] | None, cascade: bool) -> list[str]:
    """The chosen threshold's in-sample point (labelled optimistic), then the nested CV's outer-fold
    figures (the reported ones) and their spread over the seeds. `nested`: the stored evaluation's block."""

    def ci(pair: list[float]) -> str:
        return f"{pair[0] * 100:.1f}-{pair[1] * 100:.1f}%"

    def mix(figures: CurvePoint) -> str:
        if cascade and figures.shares:
            return ", ".join(f"{fmt_rate(v)} to {m}" for m, v in figures.shares.items())
        return f"{fmt_rate(figures.strong_share)} to {summary.strong_model}"

    r, p = summary.routed, summary.in_sample
    target = fmt_rate(summary.min_pass_rate)
    status = "meets" if summary.routed_meets_target else "misses"
    if not nested:
        return [
            f"Chosen threshold {r.threshold:.3f} ({IN_SAMPLE}: picked on the data it is measured on; this router"
            f" predates nested cross-validation, train it again for honest figures; {status} the {target} target):"
            f" {mix(p)}, pass {fmt_rate(p.pass_rate)} ({ci(p.pass_rate_ci)}), {fmt_cost(p.cost_per_request)}/request."
        ]
    n_seeds = len(nested["seeds"])
    lines = [
        f"Chosen threshold {r.threshold:.3f}; its point on the curve above ({IN_SAMPLE}: picked on the data it is"
        f" measured on): {mix(p)}, pass {fmt_rate(p.pass_rate)}, {fmt_cost(p.cost_per_request)}/request.",
        f"Nested CV ({nested['folds']} outer folds, threshold chosen inside each; mean of {n_seeds}"
        f" seed{'s' * (n_seeds != 1)}): {mix(r)}, pass {fmt_rate(r.pass_rate)} ({ci(r.pass_rate_ci)}),"
        f" {fmt_cost(r.cost_per_request)}/request ({status} the {target} target).",
    ]
    if n_seeds > 1:
        rng = nested["range"]
        if cascade and rng.get("shares"):
            spread = ", ".join(f"{fmt_rate(a)}-{fmt_rate(b)} to {m}" for m, (a, b) in rng["shares"].items())
        else:
            spread = f"{fmt_rate(rng['strong_share'][0])}-{fmt_rate(rng['strong_share'][1])} to {summary.strong_model}"
        cost = rng["cost_per_request"]
        lines.append(
            f"  over the seeds: pass {fmt_rate(rng['pass_rate'][0])}-{fmt_rate(rng['pass_rate'][1])}, {spread}"
            + (f", {fmt_cost(cost[0])}-{fmt_cost(cost[1])}/request" if cost else "")
            + f"; {nested['seeds_meeting_target']} of {n_seeds} meet the target."
        )
    return lines


def _cascade_header(report: dict[str, Any]) -> list[str]:
    lines = [
        f"  {'alone: ' + s['model']:<40}{fmt_rate(s['pass_rate']):>8}  {fmt_cost(s['cost_per_request'])}/request"
        for s in report["model_stats"]
    ]
    lines.append(
        "  Cascade: each input goes to the cheapest model whose P(pass) >= threshold, else the last one;"
        " position = the chosen model's place between the cheapest (0) and the last (1) by cost."
    )
    return [*lines, ""]


def _display_points(points: list[dict[str, Any]], chosen: float, rows: int = 11) -> list[dict[str, Any]]:
    """At most ~`rows` points spread over the strong share, always with both ends and the chosen one."""
    if len(points) <= rows:
        return points
    picked = {0, len(points) - 1}
    for k in range(1, rows - 1):
        target = k / (rows - 1)
        picked.add(min(range(len(points)), key=lambda i: abs(points[i]["strong_share"] - target)))
    picked.add(min(range(len(points)), key=lambda i: abs(points[i]["threshold"] - chosen)))
    return [points[i] for i in sorted(picked)]


def predict_(
    name: str | None,
    router_id: int | None,
    file: Path | None,
    vars_json: str | None,
    as_json: bool,
    db: Path | None,
    text: str | None,
) -> None:
    """`workbench route predict_` (help: the declaration)."""
    if (text is None) == (file is None):
        raise UsageError("give the input as TEXT or --file F (one of them)")
    body = file.read_text(encoding="utf-8") if file is not None else str(text)
    variables: dict[str, Any] = {}
    if vars_json:
        try:
            variables = json.loads(vars_json)
        except ValueError as e:
            raise UsageError(f"--vars: not valid JSON ({e})") from e
        if not isinstance(variables, dict):
            raise UsageError("--vars: expected a JSON object")
    router = load_router(_db(db), name, router_id)
    decision = predict(router, body, variables)
    if as_json:
        out = {"router": router.name, "id": router.id, **decision.__dict__}
        if decision.p_pass is None:  # two models: p_pass_cheap says it all
            del out["p_pass"]
        click.echo(json.dumps(out, indent=2))
        return
    probs = (
        "P(pass): " + ", ".join(f"{m} {p:.3f}" for m, p in decision.p_pass.items())
        if decision.p_pass is not None
        else f"P(cheap passes) = {decision.p_pass_cheap:.3f}"
    )
    click.echo(
        f"{decision.model}  ({probs}, threshold {decision.threshold:.3f}, router {router.name!r} id {router.id})"
    )


def list_(as_json: bool, db: Path | None) -> None:
    """`workbench route list_` (help: the declaration)."""
    rows = list_routers(_db(db))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No routers yet: train one with `workbench route train --cheap A --strong B`.")
        return
    click.echo(f"{'id':>4}  {'name':<24} {'cheap -> strong':<36} {'tests':>5} {'threshold':>9}  beats random  created")
    for r in rows:
        pair = f"{r['cheap_model']} -> {r['strong_model']}"
        click.echo(
            f"{r['id']:>4}  {r['name']:<24} {pair:<36} {r['tests'] or 0:>5} {r['threshold']:>9.3f}"
            f"  {'yes' if r['beats_random'] else 'no':<12}  {r['created_at']}"
        )
