"""Statistics per pair: (prompt version, variant, model) over one run or a set of runs.

Repeats of one test are one cluster: the interval counts tests, not repeats (repeat_clusters).
Cost is the *uncached* cost per request (a cache hit's original price), so the cache does not skew the comparison between pairs; the
measured cache hit rate is kept apart and applied by `projection.project`. A pair whose priced
results include any unknown price has an unknown mean cost (None), never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis import repeat_clusters
from workbench.analysis.repricing import reprice_pooled
from workbench.analysis.stats import wilson_interval
from workbench.store import pair_totals, queries


@dataclass
class PairStats:
    prompt_version_id: int | None
    prompt: str  # "family/version" when known, else the prompt's label
    variant: str
    model: str  # the provider's display label
    n: int  # results (tests x repeats)
    passes: int
    errors: int
    pass_rate: float
    interval: tuple[float, float]  # 95 % Wilson; with repeats, over tests as clusters (repeat_clusters)
    mean_score: float | None
    guardrail_failures: int  # failed guardrail assertions
    guardrail_failed_results: int  # results with at least one
    mean_tokens_in: float | None
    mean_tokens_out: float | None
    mean_latency_ms: float | None
    p95_latency_ms: float | None
    mean_cost: float | None  # uncached USD per request; None = price unknown
    unknown_cost: int  # non-error results without a price
    actual_cost: float | None  # what the runs spent (cache hits at 0)
    cost_per_pass: float | None  # $ per passing output
    tokens_per_pass: float | None
    cache_hit_rate: float
    retry_share: float
    fallback_share: float
    input_price: float | None = None  # USD per input token, fitted from the results
    output_price: float | None = None
    named_scores: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int | None = None  # tokens of the raw template
    run_id: int | None = None
    # With repeats (analysis.repeat_clusters): tests, the most repeats of one test, tests whose
    # repeats disagreed, pass^k (share of tests passing every repeat), effective sample size.
    tests: int | None = None
    repeats: int = 1
    flaky_tests: int = 0
    pass_k: float | None = None
    effective_n: float | None = None
    test_double: str | None = None  # why the provider is a test double (never recommended)
    price: dict[str, Any] | None = None  # the price the (newest) run charged this model at
    grader_cost: float | None = 0.0  # grading spend over the pair's results; None = a grader price unknown
    fallback_cost_share: float | None = None  # share of the pair's (uncached) spend answered by fallbacks

    @property
    def grader_cost_per_request(self) -> float | None:
        return None if self.grader_cost is None or not self.n else self.grader_cost / self.n

    @property
    def price_label(self) -> str:
        """Which price this pair is costed at: `litellm:gpt-4o`, `suite`, `compute:cpu-small`, `unknown`."""
        return str((self.price or {}).get("source") or "unknown")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.prompt, self.variant, self.model)

    @property
    def name(self) -> str:
        return f"{self.prompt} · {self.variant} · {self.model}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["interval"] = list(self.interval)
        d["name"] = self.name
        return d


def prompt_display(info: dict[str, Any] | None, fallback: str) -> str:
    if not info:
        return fallback
    if info.get("family") and info.get("version"):
        return f"{info['family']}/{info['version']}"
    return str(info.get("label") or info.get("run_label") or fallback)


def fit_prices(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """Least-squares per-token prices from cost = a*tokens_in + b*tokens_out over priced results.

    Costs are linear in tokens, so two results with different in/out ratios recover the prices
    exactly; when every result has the same ratio the system is singular and we return None.
    """
    values = [row.get(k) for k in ("s_ii", "s_io", "s_oo", "s_ci", "s_co")]
    if any(v is None for v in values):
        return None, None
    s_ii, s_io, s_oo, s_ci, s_co = (float(v or 0.0) for v in values)
    det = s_ii * s_oo - s_io * s_io
    if s_ii <= 0 or abs(det) <= 1e-9 * s_ii * max(s_oo, 1.0):
        if s_oo == 0 and s_ii > 0:  # no output tokens at all: everything is input
            return s_ci / s_ii, 0.0
        return None, None
    a = (s_ci * s_oo - s_co * s_io) / det
    b = (s_co * s_ii - s_ci * s_io) / det
    return max(a, 0.0), max(b, 0.0)


def pair_stats(db: Database, run_ids: Sequence[int], *, with_named_scores: bool = True) -> list[PairStats]:
    """Every pair in the runs, sorted by prompt, variant and model.

    `with_named_scores=False` skips the named-metric means (a JSON scan of every result) for
    callers that do not show them."""
    if not run_ids:
        return []
    if len(run_ids) == 1:
        # A finished run's sums are stored once (pair_totals); other runs are aggregated here.
        aggregates = pair_totals.pair_rows(db, run_ids[0])
        p95: dict[tuple[Any, ...], float] = {
            (r["prompt_version_id"], r["variant"], r["provider_label"]): float(r["p95_latency_ms"])
            for r in aggregates
            if r["p95_latency_ms"] is not None
        }
    else:
        aggregates = queries.pair_aggregates(db, run_ids)
        reprice_pooled(db, run_ids, aggregates)  # one price per pair: the newest run's
        p95 = queries.pair_p95_latency(db, run_ids)
    named = queries.pair_named_scores(db, run_ids) if with_named_scores else {}
    names = queries.prompt_names(db, run_ids)
    facts = queries.provider_facts(db, run_ids)
    out: list[PairStats] = []
    for r in aggregates:
        k = (r["prompt_version_id"], r["variant"], r["provider_label"])
        info = names.get(r["prompt_version_id"])
        n, passes = int(r["n"]), int(r["passes"])
        unknown = int(r["unknown_cost"] or 0)
        priced = int(r["priced"] or 0)
        mean_cost = None if unknown or not priced else float(r["sum_cost"]) / priced
        tokens = (r["sum_tokens_in"] or 0) + (r["sum_tokens_out"] or 0)
        a, b = fit_prices(r) if mean_cost is not None else (None, None)
        out.append(
            PairStats(
                prompt_version_id=r["prompt_version_id"],
                prompt=prompt_display(info, f"prompt {r['prompt_idx']}"),
                variant=r["variant"] or "none",
                model=r["provider_label"] or "?",
                n=n,
                passes=passes,
                errors=int(r["errors"] or 0),
                pass_rate=passes / n if n else 0.0,
                interval=wilson_interval(passes, n),
                mean_score=r["mean_score"],
                guardrail_failures=int(r["guardrail_failures"] or 0),
                guardrail_failed_results=int(r["guardrail_failed_results"] or 0),
                mean_tokens_in=r["mean_tokens_in"],
                mean_tokens_out=r["mean_tokens_out"],
                mean_latency_ms=r["mean_latency_ms"],
                p95_latency_ms=p95.get(k),
                mean_cost=mean_cost,
                unknown_cost=unknown,
                actual_cost=None if unknown else r["actual_cost"],
                cost_per_pass=(mean_cost * priced / passes) if mean_cost is not None and passes else None,
                tokens_per_pass=tokens / passes if passes else None,
                cache_hit_rate=float(r["cache_hit_rate"] or 0.0),
                retry_share=float(r["retry_share"] or 0.0),
                fallback_share=float(r["fallback_share"] or 0.0),
                input_price=a,
                output_price=b,
                named_scores=named.get(k, {}),
                prompt_tokens=(info or {}).get("tokens"),
                run_id=r["run_id"],
                test_double=(facts.get(r["provider_label"]) or {}).get("test_double"),
                price=(facts.get(r["provider_label"]) or {}).get("price"),
                grader_cost=None if r.get("grader_unknown") else float(r.get("grader_cost") or 0.0),
                fallback_cost_share=(
                    float(r.get("fallback_cost") or 0.0) / float(r["sum_cost"])
                    if mean_cost is not None and r["sum_cost"]
                    else None
                ),
            )
        )
    apply_repeat_clusters(db, run_ids, out)
    out.sort(key=lambda p: p.key)
    return out


def apply_repeat_clusters(db: Database, run_ids: Sequence[int], pairs: list[PairStats]) -> None:
    """Give each pair its tests, pass^k, flaky count and cluster-aware interval (repeats only)."""
    if not run_ids or not pairs or not repeat_clusters.has_repeats(db, run_ids):
        return
    clusters = repeat_clusters.pair_clusters(db, run_ids)
    for p in pairs:
        c = clusters.get((p.prompt_version_id, p.variant, p.model))
        if c is None or c.results == c.tests:
            continue
        p.tests, p.repeats, p.flaky_tests, p.pass_k = c.tests, c.max_repeats, c.flaky, c.pass_k
        p.effective_n = c.effective_n
        p.interval = c.interval


def describe_repeats(p: PairStats) -> str | None:
    """e.g. `10 tests x 5 repeats: pass^5 80.0%, 2 flaky tests; worth 10.0 independent samples of 50`."""
    if p.tests is None or p.pass_k is None:
        return None
    k = p.repeats
    worth = f"{p.effective_n:.1f}" if p.effective_n is not None else "?"
    return (
        f"{p.tests} tests x {k} repeats: pass^{k} {p.pass_k:.1%}, {p.flaky_tests} flaky test"
        f"{'s' * (p.flaky_tests != 1)}; worth {worth} independent samples of {p.n}"
    )


def repeat_lines(db: Database, run_id: int) -> list[str]:
    """One line per pair of a run with repeats (the run summary), else nothing."""
    if not repeat_clusters.has_repeats(db, [run_id]):
        return []
    return [f"{p.name}: {d}" for p in pair_stats(db, [run_id], with_named_scores=False) if (d := describe_repeats(p))]
