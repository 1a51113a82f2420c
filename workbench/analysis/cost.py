"""Where the money goes in a run: cost by model, prompt version and variant, and what variants save.

`cost_by` groups the run's results by one dimension in SQLite. Per-request costs are *uncached*
(a cache hit's original price, as in `pairs`), `spent` is what the run actually paid (cache hits
at 0). Any non-error result without a price makes the group's costs unknown (None), never $0.
`variant_savings` compares each variant (e.g. `llmlingua:0.5`) with the `none` variant of the
same prompt version and model, from `pair_stats`, so the numbers match the recommendation.
`projections` is `projection.project` for every pair at a volume.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats, prompt_display
from workbench.analysis.projection import DAYS_PER_MONTH, Projection, project
from workbench.errors import UsageError
from workbench.store import pair_totals, queries

Dimension = Literal["model", "version", "variant"]
DIMENSIONS: dict[str, str] = {"model": "provider_label", "version": "prompt_version_id", "variant": "variant"}


@dataclass
class CostGroup:
    name: str
    n: int
    passes: int
    errors: int
    unknown: int  # non-error results without a price
    tokens_in: int
    tokens_out: int
    mean_cost: float | None  # uncached $ per request
    spent: float | None  # $ actually paid (cache hits at 0)
    cost_per_pass: float | None  # uncached $ per passing result
    cache_hit_rate: float

    @property
    def pass_rate(self) -> float:
        return self.passes / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pass_rate": self.pass_rate}


@dataclass
class VariantSaving:
    prompt: str
    model: str
    variant: str
    baseline_cost: float | None  # the `none` variant's $ per request
    variant_cost: float | None
    saved_per_request: float | None
    saved_share: float | None  # of the baseline cost
    baseline_tokens_in: float | None
    variant_tokens_in: float | None
    baseline_pass_rate: float
    variant_pass_rate: float

    @property
    def pass_rate_delta(self) -> float:
        return self.variant_pass_rate - self.baseline_pass_rate

    def monthly_saved(self, requests_per_day: float, days: int = DAYS_PER_MONTH) -> float | None:
        """$ per month saved by serving this variant instead of `none` at that volume (uncached)."""
        return None if self.saved_per_request is None else self.saved_per_request * requests_per_day * days

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pass_rate_delta": self.pass_rate_delta}


def cost_by(db: Database, run_id: int, dimension: str) -> list[CostGroup]:
    """Cost per group of `dimension` (model, version or variant), most expensive first.

    A finished run's groups are sums of its stored pair totals (a pair lies in exactly one group of
    each dimension); other runs are grouped from their results in SQLite. Both give the same rows."""
    column = DIMENSIONS.get(dimension)
    if column is None:
        raise UsageError(f"cost dimension must be one of {', '.join(DIMENSIONS)}, got {dimension!r}")
    stored = pair_totals.load(db, run_id)
    rows = _group_pair_rows(stored, column) if stored is not None else _group_results(db, run_id, column)
    names = queries.prompt_names(db, [run_id]) if dimension == "version" else {}
    out = []
    for key, prompt_idx, n, passes, errors, unknown, tin, tout, ucost, priced, spent, hit in rows:
        known = not unknown and priced and ucost is not None
        mean = ucost / priced if known and ucost is not None else None
        if dimension == "version":
            name = prompt_display(names.get(key), f"prompt {prompt_idx}")
        else:
            name = str(key) if key is not None else ("none" if dimension == "variant" else "?")
        out.append(
            CostGroup(
                name=name,
                n=int(n),
                passes=int(passes),
                errors=int(errors or 0),
                unknown=int(unknown or 0),
                tokens_in=int(tin),
                tokens_out=int(tout),
                mean_cost=mean,
                spent=None if unknown else spent,
                cost_per_pass=(ucost / passes) if known and ucost is not None and passes else None,
                cache_hit_rate=float(hit or 0.0),
            )
        )
    out.sort(key=lambda g: (g.mean_cost is None, -(g.mean_cost or 0.0), g.name))  # unknown last
    return out


GroupRow = tuple[Any, int, int, int, int, int, int, int, float | None, int, float | None, float]


def _group_results(db: Database, run_id: int, column: str) -> list[GroupRow]:
    uc = queries.UNCACHED_COST
    sql = f"""
        select {column}, min(prompt_idx), count(*), coalesce(sum(success), 0), sum(error is not null),
               sum(error is null and {uc} is null), coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0),
               sum({uc}), count({uc}), sum(cost), avg(cached)
        from results where run_id = ? group by {column}
    """
    return [tuple(r) for r in db.execute(sql, [run_id]).fetchall()]


def _group_pair_rows(rows: list[dict[str, Any]], column: str) -> list[GroupRow]:
    """`_group_results` from the stored per-pair sums."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[column], []).append(r)
    out: list[GroupRow] = []
    for key, members in groups.items():
        t = pair_totals.combine(members)
        n = t["n"]
        out.append(
            (
                key,
                min(int(r["prompt_idx"]) for r in members),
                n,
                t["passes"],
                t["errors"],
                t["unknown_cost"],
                t["sum_tokens_in"],
                t["sum_tokens_out"],
                t["sum_cost"],
                t["priced"],
                t["actual_cost"],
                t["cache_hits"] / n if n else 0.0,
            )
        )
    return out


def variant_savings(db: Database, run_id: int, pairs: list[PairStats] | None = None) -> list[VariantSaving]:
    """Each non-`none` variant against the `none` variant of the same prompt version and model."""
    pairs = pairs if pairs is not None else pair_stats(db, [run_id], with_named_scores=False)
    baselines = {(p.prompt, p.model): p for p in pairs if p.variant == "none"}
    out = []
    for p in pairs:
        base = baselines.get((p.prompt, p.model))
        if p.variant == "none" or base is None:
            continue
        saved = None
        if base.mean_cost is not None and p.mean_cost is not None:
            saved = base.mean_cost - p.mean_cost
        out.append(
            VariantSaving(
                prompt=p.prompt,
                model=p.model,
                variant=p.variant,
                baseline_cost=base.mean_cost,
                variant_cost=p.mean_cost,
                saved_per_request=saved,
                saved_share=(saved / base.mean_cost) if saved is not None and base.mean_cost else None,
                baseline_tokens_in=base.mean_tokens_in,
                variant_tokens_in=p.mean_tokens_in,
                baseline_pass_rate=base.pass_rate,
                variant_pass_rate=p.pass_rate,
            )
        )
    return out


def run_cache_hit_rate(db: Database, run_id: int) -> float:
    """The share of the run's results served from the cache (stored with a finished run)."""
    row = db.execute("select status, results, cache_hit_ratio from runs where id = ?", [run_id]).fetchone()
    if row and row[0] != "running" and row[1] and row[2] is not None:
        return float(row[2])
    row = db.execute("select avg(cached) from results where run_id = ?", [run_id]).fetchone()
    return float(row[0] or 0.0) if row else 0.0


def projections(
    pairs: list[PairStats], requests_per_day: float, cache_hit_rate: float | None = None
) -> list[Projection]:
    """Monthly projection of every pair at `requests_per_day`; `cache_hit_rate` is production's (None: no cached figure)."""
    return [project(p, requests_per_day, cache_hit_rate) for p in pairs]
