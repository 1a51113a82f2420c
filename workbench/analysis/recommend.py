"""The cheapest acceptable (prompt version, variant, model) pair, and why.

Acceptable = not a test double (`providers/test_doubles.py`: echo, scripted providers, anything
marked `test_double`), pass rate >= target, no guardrail failures, no errors (each switch
configurable; a suite's `workbench: acceptance:` block sets the defaults). The pick is the acceptable pair with
the lowest expected (uncached) cost per request; ties on cost go to the higher pass rate, then
score, then latency. The pick is "clearly better" than the runner-up only when their 95 % Wilson
intervals do not overlap; otherwise the report says the quality difference is within the noise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats
from workbench.analysis.projection import Projection, avalanche, project
from workbench.analysis.router_figures import RouterSummary
from workbench.analysis.stats import intervals_overlap
from workbench.analysis.system_metrics import DEFAULT_GROWTH_WARN, SystemMetrics, growth_warnings, system_metrics
from workbench.errors import SuiteError
from workbench.store import queries

if TYPE_CHECKING:
    from typing import Unpack  # Python 3.11; annotations are not evaluated at run time (3.10 works)

COST_EPSILON = 1e-12
RATE_EPSILON = 1e-12  # 27/30 must meet a 0.9 target despite float rounding


@dataclass(frozen=True)
class Acceptance:
    min_pass_rate: float = 0.9
    allow_guardrail_failures: bool = False
    allow_errors: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **overrides: Any) -> Acceptance:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_workbench_block(cls, block: dict[str, Any] | None, file: str | None = None) -> Acceptance:
        """Read `workbench: acceptance: {min_pass_rate, allow_guardrail_failures, allow_errors}`."""
        acc = (block or {}).get("acceptance") or {}
        if not isinstance(acc, dict):
            raise SuiteError(file, "workbench.acceptance", "expected a mapping")
        out = cls()
        rate = acc.get("min_pass_rate")
        if rate is not None:
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise SuiteError(file, "workbench.acceptance.min_pass_rate", "expected a number between 0 and 1")
            out = replace(out, min_pass_rate=float(rate))
        for key in ("allow_guardrail_failures", "allow_errors"):
            if key in acc:
                if not isinstance(acc[key], bool):
                    raise SuiteError(file, f"workbench.acceptance.{key}", "expected true or false")
                out = replace(out, **{key: acc[key]})
        return out


def acceptance_from_suite_file(path: str | Path | None) -> Acceptance:
    """Defaults from a suite file's `workbench:` block; plain defaults when it is missing."""
    if not path:
        return Acceptance()
    p = Path(path)
    if not p.is_file():
        return Acceptance()
    text = p.read_text(encoding="utf-8")
    if "workbench" not in text:  # no block: skip parsing a large generated suite (seconds for tens of MB)
        return Acceptance()
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SuiteError(str(p), None, f"invalid YAML ({str(e).splitlines()[0]})") from None
    block = data.get("workbench") if isinstance(data, dict) else None
    return Acceptance.from_workbench_block(block if isinstance(block, dict) else None, str(p))


def run_acceptance(db: Database, run_id: int) -> Acceptance:
    """The acceptance defaults a run was made with: the `workbench: acceptance:` block stored in its
    config, or, for runs stored before it was kept there, its suite file's block (read now)."""
    row = db.execute("select config, suite_path from runs where id = ?", [run_id]).fetchone()
    if row is None:
        return Acceptance()
    try:
        config = json.loads(row[0] or "{}")
    except ValueError:
        config = {}
    if isinstance(config, dict) and "acceptance" in config:
        return Acceptance.from_workbench_block({"acceptance": config["acceptance"]}, row[1])
    return acceptance_from_suite_file(row[1])


@dataclass
class Excluded:
    pair: PairStats
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"pair": self.pair.name, "reasons": self.reasons}


@dataclass
class Recommendation:
    run_ids: list[int]
    acceptance: Acceptance
    pairs: list[PairStats]
    acceptable: list[PairStats]  # cheapest first
    excluded: list[Excluded]
    frontier: list[PairStats]  # Pareto frontier of cost vs pass rate, cheapest first
    pick: PairStats | None = None
    runner_up: PairStats | None = None
    tie: bool = False  # pick and runner-up cost the same
    intervals_overlap: bool | None = None
    clearly_better: bool | None = None
    verdict: str = ""
    requests_per_day: float | None = None
    projections: list[Projection] = field(default_factory=list)
    avalanche: list[Projection] = field(default_factory=list)  # the pick at context x1, x2, x4
    # A trained router for the run's suite (set by workbench.routing.routed_recommendation), else None.
    routing: RouterSummary | None = None
    metrics: list[SystemMetrics] = field(default_factory=list)  # per pair, same order as `pairs`
    warnings: list[str] = field(default_factory=list)  # prompt-token growth above the warning level
    prices: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # model -> the price used

    @property
    def evaluation_model_cost(self) -> float | None:
        """What the evaluated calls cost (cache hits at $0); None when a price is unknown."""
        costs = [p.actual_cost for p in self.pairs]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    @property
    def evaluation_grader_cost(self) -> float | None:
        costs = [p.grader_cost for p in self.pairs]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    @property
    def evaluation_cost(self) -> float | None:
        """The cost of this evaluation (model calls + grading), as opposed to serving's $/request."""
        m, g = self.evaluation_model_cost, self.evaluation_grader_cost
        return None if m is None or g is None else m + g

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_ids": self.run_ids,
            "acceptance": self.acceptance.to_dict(),
            "pick": self.pick.to_dict() if self.pick else None,
            "runner_up": self.runner_up.to_dict() if self.runner_up else None,
            "tie": self.tie,
            "intervals_overlap": self.intervals_overlap,
            "clearly_better": self.clearly_better,
            "verdict": self.verdict,
            "acceptable": [p.name for p in self.acceptable],
            "excluded": [e.to_dict() for e in self.excluded],
            "frontier": [p.name for p in self.frontier],
            "pairs": [p.to_dict() for p in self.pairs],
            "requests_per_day": self.requests_per_day,
            "projections": [p.to_dict() for p in self.projections],
            "avalanche": [p.to_dict() for p in self.avalanche],
            "routing": self.routing.to_dict() if self.routing else None,
            "evaluation_cost": self.evaluation_cost,
            "evaluation_model_cost": self.evaluation_model_cost,
            "evaluation_grader_cost": self.evaluation_grader_cost,
            "prices": self.prices,
            "metrics": [m.to_dict() for m in self.metrics],
            "warnings": self.warnings,
        }


def exclusion_reasons(pair: PairStats, acceptance: Acceptance) -> list[str]:
    reasons = [pair.test_double] if pair.test_double else []
    if pair.pass_rate + RATE_EPSILON < acceptance.min_pass_rate:
        reasons.append(
            f"pass rate {pair.pass_rate:.1%} ({pair.passes}/{pair.n}) below target {acceptance.min_pass_rate:.1%}"
        )
    if pair.guardrail_failures and not acceptance.allow_guardrail_failures:
        reasons.append(f"{pair.guardrail_failures} guardrail failure{'s' * (pair.guardrail_failures != 1)}")
    if pair.errors and not acceptance.allow_errors:
        reasons.append(f"{pair.errors} error{'s' * (pair.errors != 1)}")
    if pair.mean_cost is None:
        if pair.unknown_cost:
            reasons.append(
                f"price unknown ({pair.unknown_cost} result{'s' * (pair.unknown_cost != 1)} without a price)"
            )
        else:
            reasons.append("price unknown (no priced results)")
    return reasons


def _rank(p: PairStats) -> tuple[Any, ...]:
    return (p.mean_cost, -p.pass_rate, -(p.mean_score or 0.0), p.mean_latency_ms or 0.0, p.key)


def pareto_frontier(pairs: Sequence[PairStats]) -> list[PairStats]:
    """Pairs no other pair beats on both cost (lower) and pass rate (higher); cheapest first."""
    priced = sorted((p for p in pairs if p.mean_cost is not None), key=_rank)
    frontier: list[PairStats] = []
    best = -1.0
    for p in priced:
        if p.pass_rate > best:
            frontier.append(p)
            best = p.pass_rate
    return frontier


def compare_pick(pick: PairStats, runner: PairStats) -> tuple[bool, bool, str]:
    """(intervals overlap, pick clearly better, one-sentence verdict)."""
    overlap = intervals_overlap(pick.interval, runner.interval)
    span = f"{pick.interval[0]:.0%}–{pick.interval[1]:.0%} vs {runner.interval[0]:.0%}–{runner.interval[1]:.0%}"
    if not overlap and pick.pass_rate > runner.pass_rate:
        return (
            False,
            True,
            f"clearly better than the runner-up: cheaper, and its pass-rate interval ({span}) lies above",
        )
    if not overlap:
        return (
            False,
            False,
            f"cheaper, but the runner-up's pass rate is clearly higher ({span}); pay more if quality matters more",
        )
    return (
        True,
        False,
        f"not clearly better than the runner-up: the pass-rate intervals overlap ({span}), "
        "so the quality difference is within the uncertainty of this many tests",
    )


def recommend(
    db: Database,
    run_ids: Sequence[int],
    acceptance: Acceptance | None = None,
    requests_per_day: float | None = None,
    cache_hit_rate: float | None = None,
    with_named_scores: bool = False,
    growth_warn: float = DEFAULT_GROWTH_WARN,
) -> Recommendation:
    """Recommend a pair over the results of `run_ids` (one run, or several pooled)."""
    acceptance = acceptance or Acceptance()
    pairs = pair_stats(db, run_ids, with_named_scores=with_named_scores)
    acceptable: list[PairStats] = []
    excluded: list[Excluded] = []
    for p in pairs:
        reasons = exclusion_reasons(p, acceptance)
        if reasons:
            excluded.append(Excluded(p, reasons))
        else:
            acceptable.append(p)
    acceptable.sort(key=_rank)
    rec = Recommendation(
        run_ids=list(run_ids),
        acceptance=acceptance,
        pairs=pairs,
        acceptable=acceptable,
        excluded=excluded,
        frontier=pareto_frontier(pairs),
        requests_per_day=requests_per_day,
    )
    rec.metrics = system_metrics(db, pairs)
    rec.warnings = growth_warnings(rec.metrics, growth_warn)
    rec.prices = {p.model: p.price for p in pairs}
    if not acceptable:
        rec.verdict = _nothing_acceptable(pairs, acceptance)
    else:
        rec.pick = acceptable[0]
        if len(acceptable) > 1:
            rec.runner_up = acceptable[1]
            assert rec.pick.mean_cost is not None and rec.runner_up.mean_cost is not None
            rec.tie = abs(rec.runner_up.mean_cost - rec.pick.mean_cost) <= COST_EPSILON
            rec.intervals_overlap, rec.clearly_better, rec.verdict = compare_pick(rec.pick, rec.runner_up)
            if rec.tie:
                rec.verdict = "tie on cost with the runner-up (picked by pass rate, then score); " + rec.verdict
        else:
            rec.verdict = "the only acceptable pair"
    if requests_per_day is not None:
        rec.projections = [
            project(p, requests_per_day, cache_hit_rate)
            for p in [*acceptable, *(e.pair for e in excluded)]
            if p.mean_cost is not None
        ]
        if rec.pick:
            rec.avalanche = avalanche(rec.pick, requests_per_day, cache_hit_rate)
    return rec


def _nothing_acceptable(pairs: Sequence[PairStats], acceptance: Acceptance) -> str:
    """Why no pair qualifies, precisely: the best real pair and what excludes it."""
    if not pairs:
        return "no results to judge"
    criteria = (
        f"pass rate >= {acceptance.min_pass_rate:.0%}"
        f"{'' if acceptance.allow_guardrail_failures else ', no guardrail failures'}"
        f"{'' if acceptance.allow_errors else ', no errors'}, a known price, not a test double"
    )
    real = [p for p in pairs if not p.test_double]
    doubles = len(pairs) - len(real)
    if not real:
        return f"no pair meets the criteria ({criteria}): every pair runs on a test double ({pairs[0].test_double})"
    best = max(real, key=lambda p: (p.pass_rate, -(p.mean_cost or 0.0)))
    why = "; ".join(exclusion_reasons(best, acceptance))
    skipped = f"; {doubles} test-double pair{'s' * (doubles != 1)} not considered" if doubles else ""
    return (
        f"no pair meets the criteria ({criteria}); the best real pair is {best.name} "
        f"(pass rate {best.pass_rate:.1%}), excluded: {why}{skipped}"
    )


class RecommendArgs(TypedDict, total=False):
    """What `recommend_for` (and `workbench.recommend`) take after the database, all optional.

    run: id or label [default: the newest run of `suite`, else the newest run].
    suite: the suite file whose `workbench: acceptance:` block gives the defaults (else the run's).
    requests_per_day, cache_hit_rate: monthly projections.
    min_pass_rate, allow_guardrail_failures, allow_errors: override the acceptance (None: keep).
    """

    run: str | int | None
    suite: str | Path | None
    requests_per_day: float | None
    cache_hit_rate: float | None
    min_pass_rate: float | None
    allow_guardrail_failures: bool | None
    allow_errors: bool | None


def recommend_for(db: Database, **args: Unpack[RecommendArgs]) -> Recommendation:
    """Resolve a run (by id/label, or the newest run of a suite, or the newest run) and the
    acceptance defaults (the `workbench:` block of SUITE when given, else the one the run was made
    with), apply the overrides, recommend."""
    run, suite = args.get("run"), args.get("suite")
    run_id = queries.resolve_run(db, run) if run is not None else queries.latest_run(db, suite)
    base = acceptance_from_suite_file(suite) if suite is not None else run_acceptance(db, run_id)
    acceptance = base.with_overrides(
        min_pass_rate=args.get("min_pass_rate"),
        allow_guardrail_failures=args.get("allow_guardrail_failures"),
        allow_errors=args.get("allow_errors"),
    )
    return recommend(db, [run_id], acceptance, args.get("requests_per_day"), args.get("cache_hit_rate"))
