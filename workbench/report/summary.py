"""The end-of-run summary: one line per prompt x variant x provider.

`summary_rows` is the library function (the UI and `workbench runs RUN` use it too); it runs SQL
aggregates only, and latency percentiles are read with `order by ... limit/offset`, so a
100,000-result run is summarized without loading its results. `print_summary` renders a rich
table on a terminal and aligned plain text otherwise (CI logs, pipes).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, Any

from sqlite_utils import Database

from workbench.analysis.pairs import pair_stats, repeat_lines
from workbench.analysis.system_metrics import growth_threshold, growth_warnings, metric_line, system_metrics
from workbench.analysis.variant_deltas import format_deltas, variant_deltas
from workbench.format import fmt_cost, fmt_ms, fmt_price, fmt_rate, fmt_spend
from workbench.report.error_reasons import format_error_reasons
from workbench.report.source import load_run, variant_sort_key
from workbench.store.json_columns import loads
from workbench.store.orphaned_runs import close_orphaned_runs
from workbench.store.run_close import run_totals


@dataclass
class SummaryRow:
    prompt: str  # family/version, else the prompt label
    variant: str
    provider: str
    results: int
    passes: int
    failures: int
    errors: int
    guardrail_failures: int  # failed guardrail checks (assertions), counted as recommend and the UI count them
    tokens_in: int
    tokens_out: int
    cost: float | None  # None: some call had an unknown price
    latency_p50: float | None
    latency_p95: float | None
    cache_hits: int
    retries: int  # attempts beyond the first

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.results if self.results else None


def percentile(db: Database, where: str, params: list[Any], n: int, q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default) of latency_ms over `n` non-null rows."""
    if n == 0:
        return None
    pos = (n - 1) * q
    lo = int(pos)
    vals = [
        v
        for (v,) in db.execute(
            f"select latency_ms from results where {where} and latency_ms is not null"
            " order by latency_ms limit 2 offset ?",
            [*params, lo],
        )
    ]
    if not vals:
        return None
    if len(vals) == 1 or pos == lo:
        return float(vals[0])
    return float(vals[0] + (vals[1] - vals[0]) * (pos - lo))


def summary_rows(db: Database, run_id: int) -> list[SummaryRow]:
    info = load_run(db, run_id)
    prompts = {p.idx: p.display for p in info.prompts}
    providers = {p.idx: p.label for p in info.providers}
    keyed: list[tuple[tuple[Any, ...], SummaryRow]] = []
    for (
        qi,
        var,
        pi,
        n,
        ok,
        fail,
        err,
        guard,
        tin,
        tout,
        cost,
        unknown,
        cached,
        retries,
        n_lat,
    ) in db.execute(
        "select prompt_idx, variant, provider_idx, count(*), sum(success and error is null),"
        " sum(case when error is null and success = 0 then 1 else 0 end),"
        " sum(case when error is not null then 1 else 0 end),"
        " sum(coalesce(guardrail_failures, 0)),"
        " sum(tokens_in), sum(tokens_out), sum(cost), sum(case when cost is null and error is null then 1 else 0 end),"
        " sum(cached), sum(max(coalesce(attempts, 1) - 1, 0)), count(latency_ms)"
        " from results where run_id = ? group by prompt_idx, variant, provider_idx",
        [run_id],
    ):
        where = "run_id = ? and prompt_idx = ? and variant = ? and provider_idx = ?"
        params = [run_id, qi, var, pi]
        keyed.append(
            (
                (pi, qi, variant_sort_key(var)),
                SummaryRow(
                    prompt=prompts.get(qi, str(qi)),
                    variant=var,
                    provider=providers.get(pi, str(pi)),
                    results=n,
                    passes=ok or 0,
                    failures=fail or 0,
                    errors=err or 0,
                    guardrail_failures=guard or 0,
                    tokens_in=tin or 0,
                    tokens_out=tout or 0,
                    cost=None if unknown or (err and err == n and cost is None) else (cost or 0.0),
                    latency_p50=percentile(db, where, params, n_lat, 0.50),
                    latency_p95=percentile(db, where, params, n_lat, 0.95),
                    cache_hits=cached or 0,
                    retries=retries or 0,
                ),
            )
        )
    keyed.sort(key=lambda kr: kr[0])
    return [r for _, r in keyed]


HEADERS = (
    "prompt",
    "variant",
    "provider",
    "pass",
    "fail",
    "error",
    "pass rate",
    "guardrail fails",
    "tokens in",
    "tokens out",
    "cost",
    "p50",
    "p95",
    "cache hits",
    "retries",
)
NUMERIC = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}


def cells(row: SummaryRow) -> list[str]:
    return [
        row.prompt,
        row.variant,
        row.provider,
        str(row.passes),
        str(row.failures),
        str(row.errors),
        fmt_rate(row.pass_rate),
        str(row.guardrail_failures),
        f"{row.tokens_in:,}",
        f"{row.tokens_out:,}",
        fmt_cost(row.cost),
        fmt_ms(row.latency_p50),
        fmt_ms(row.latency_p95),
        str(row.cache_hits),
        str(row.retries),
    ]


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS)]

    def line(values: list[str] | tuple[str, ...]) -> str:
        parts = [
            v.rjust(w) if i in NUMERIC else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(HEADERS), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def totals_line(db: Database, run_id: int, wall_s: float | None) -> str:
    close_orphaned_runs(db)  # a run killed with `kill -9` reads `interrupted`
    run = db.execute(
        "select results, passes, failures, errors, pass_rate, cost, status, grader_cost from runs where id = ?",
        [run_id],
    ).fetchone()
    n, ok, fail, err, rate, cost, status, grader = run
    if n is None:  # totals not computed yet (a run in progress): count live
        t = run_totals(db, run_id)
        n, ok, fail, err, rate, cost, grader = (
            t.results,
            t.passes,
            t.failures,
            t.errors,
            t.pass_rate,
            t.cost,
            t.grader_cost,
        )
    text = (
        f"Run {run_id} ({status}): {n} results, {ok} passed, {fail} failed, {err} errors;"
        f" pass rate {fmt_rate(rate)}; cost {fmt_spend(cost, grader)}"
    )
    retries, fallbacks = db.execute(
        "select sum(max(coalesce(attempts, 1) - 1, 0)), sum(fallback_used is not null) from results where run_id = ?",
        [run_id],
    ).fetchone()
    if retries or fallbacks:  # provider faults survived: say so, they cost time and money
        text += f"; {retries or 0} retries, {fallbacks or 0} fallbacks"
    if wall_s is not None:
        text += f"; {wall_s:.1f} s"
    return text


def cost_lines(db: Database, run_id: int) -> list[str]:
    """The prices the run used, each pair's system metrics, and prompt-growth warnings (issue 15)."""
    pairs = pair_stats(db, [run_id], with_named_scores=False)
    if not pairs:
        return []
    prices = {p.model: p.price for p in pairs}
    lines = ["Prices: " + "; ".join(f"{m}: {fmt_price(price)}" for m, price in prices.items())]
    metrics = system_metrics(db, pairs)
    lines += ["System metrics:", *(f"  {metric_line(m)}" for m in metrics)]
    config = loads(db.execute("select config from runs where id = ?", [run_id]).fetchone()[0]) or {}
    block = config.get("workbench_block") if isinstance(config, dict) else None
    lines += growth_warnings(metrics, growth_threshold(block if isinstance(block, dict) else None))
    return lines


def print_summary(db: Database, run_id: int, *, wall_s: float | None = None, file: IO[str] | None = None) -> None:
    out = file or sys.stdout
    rows = [cells(r) for r in summary_rows(db, run_id)]
    if out.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Run {run_id}")
        for i, h in enumerate(HEADERS):
            table.add_column(h, justify="right" if i in NUMERIC else "left")
        for r in rows:
            table.add_row(*r)
        console = Console(file=out)
        console.print(table)
        console.print(totals_line(db, run_id, wall_s))
    else:
        out.write(plain_table(rows) + "\n" + totals_line(db, run_id, wall_s) + "\n")

    reasons = format_error_reasons(db, run_id)
    if reasons:  # the reason of every ERROR row, not only its count (issue 17)
        out.write("".join(f"{line}\n" for line in reasons))

    repeats = repeat_lines(db, run_id)
    if repeats:  # repeats of one test are one cluster (issue 16): pass^k and flakiness per pair
        out.write("Repeats:\n" + "".join(f"  {line}\n" for line in repeats))

    deltas = format_deltas(variant_deltas(db, run_id))
    if deltas:  # compression variants: quality cost and savings against `none` (issue 5)
        out.write("Compression variants vs none:\n" + "".join(f"  {line}\n" for line in deltas))
    out.write("".join(f"{line}\n" for line in cost_lines(db, run_id)))
