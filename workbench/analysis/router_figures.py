"""The router summary's types: "single cheapest acceptable model" vs "routed", at a volume.

`routing/router_summary.py routing_summary` makes a `RouterSummary` from a trained router's
stored evaluation; `workbench route eval`, `workbench recommend` (`Recommendation.routing`) and
the UI read it by attribute. `to_dict()` is the JSON shape (`route eval --json`, `recommend
--json`), key for key as before these types existed. They live in analysis/ because the
recommendation (analysis/recommend.py) carries one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.types import JSON


@dataclass(frozen=True)
class CurvePoint:
    """One threshold of the router's cross-validated curve (routing/evaluate.py `points`)."""

    threshold: float
    strong_share: float  # two models: share sent to the strong one; cascades: mean position by cost
    pass_rate: float
    pass_rate_ci: list[float]  # 95 %, bootstrap over tests
    cost_per_request: float | None  # None: a price is unknown
    pgr: float | None  # performance gap recovered; None when the models do not differ
    random_pass_rate: float  # random routing at the same share
    gain_over_random: float
    gain_over_random_ci: list[float]
    shares: dict[str, float] | None = None  # cascades: the share each model gets

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurvePoint:
        return cls(
            threshold=d["threshold"],
            strong_share=d["strong_share"],
            pass_rate=d["pass_rate"],
            pass_rate_ci=list(d["pass_rate_ci"]),
            cost_per_request=d["cost_per_request"],
            pgr=d["pgr"],
            random_pass_rate=d["random_pass_rate"],
            gain_over_random=d["gain_over_random"],
            gain_over_random_ci=list(d["gain_over_random_ci"]),
            shares=dict(d["shares"]) if d.get("shares") is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "threshold": self.threshold,
            "strong_share": self.strong_share,
            "pass_rate": self.pass_rate,
            "pass_rate_ci": self.pass_rate_ci,
            "cost_per_request": self.cost_per_request,
            "pgr": self.pgr,
            "random_pass_rate": self.random_pass_rate,
            "gain_over_random": self.gain_over_random,
            "gain_over_random_ci": self.gain_over_random_ci,
        }
        if self.shares is not None:
            out["shares"] = self.shares
        return out


@dataclass(frozen=True)
class RoutedFigures(CurvePoint):
    """What routing delivers: the nested cross-validation's outer-fold figures (pass rate, share per
    model, cost, PGR; threshold chosen without the fold), or, for a router stored before nested CV,
    the curve's point at the chosen threshold (`source` says which; `label` says it in words)."""

    source: str | None = None  # "nested cross-validation" or "in-sample, optimistic"
    monthly_cost: float | None = None  # at the summary's requests per day
    label: str | None = None  # e.g. "nested CV, 5 outer folds, mean of 5 seeds"
    cost_ci: list[float] | None = None  # nested: 95 %, bootstrap over tests
    shares_ci: dict[str, list[float]] | None = None  # nested: 95 % per model

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.source is not None:
            out["source"] = self.source
        out["monthly_cost"] = self.monthly_cost
        for key in ("label", "cost_ci", "shares_ci"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class SingleModel:
    """The single cheapest model that meets the target on its own."""

    model: str
    pass_rate: float
    cost_per_request: float | None
    monthly_cost: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "pass_rate": self.pass_rate,
            "cost_per_request": self.cost_per_request,
            "monthly_cost": self.monthly_cost,
        }


@dataclass(frozen=True)
class OracleFigures:
    """The bound: every input sent to the cheapest model that passes it."""

    pass_rate: float
    strong_share: float
    cost_per_request: float | None
    monthly_cost: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass_rate": self.pass_rate,
            "strong_share": self.strong_share,
            "cost_per_request": self.cost_per_request,
            "monthly_cost": self.monthly_cost,
        }


@dataclass(frozen=True)
class RouterSummary:
    """Single cheapest acceptable model vs the routed models, with the projected monthly saving."""

    choice: str  # "routed" or "single"
    name: str
    id: int
    created_at: str
    cheap_model: str
    strong_model: str
    models: list[str]  # every model, cheapest first (two for a cheap/strong router)
    threshold: float
    tests: int
    min_pass_rate: float
    requests_per_day: float
    costs_known: bool
    single_cheapest_acceptable: SingleModel | None
    routed: RoutedFigures
    in_sample: CurvePoint  # the curve's point at the chosen threshold (optimistic)
    nested: dict[str, JSON] | None  # the stored evaluation's nested-CV block, as stored (routing/nested_cv.py)
    routed_meets_target: bool
    oracle: OracleFigures
    monthly_saving: float | None  # None: a price is unknown or no single model meets the target
    beats_random: bool
    area_gain_over_random: float
    area_gain_ci: list[float]
    apgr: float | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "choice": self.choice,
            "name": self.name,
            "id": self.id,
            "created_at": self.created_at,
            "cheap_model": self.cheap_model,
            "strong_model": self.strong_model,
            "models": self.models,
            "threshold": self.threshold,
            "tests": self.tests,
            "min_pass_rate": self.min_pass_rate,
            "requests_per_day": self.requests_per_day,
            "costs_known": self.costs_known,
            "single_cheapest_acceptable": (
                self.single_cheapest_acceptable.to_dict() if self.single_cheapest_acceptable else None
            ),
            "routed": self.routed.to_dict(),
            "in_sample": self.in_sample.to_dict(),
            "nested": self.nested,
            "routed_meets_target": self.routed_meets_target,
            "oracle": self.oracle.to_dict(),
            "monthly_saving": self.monthly_saving,
            "beats_random": self.beats_random,
            "area_gain_over_random": self.area_gain_over_random,
            "area_gain_ci": self.area_gain_ci,
            "apgr": self.apgr,
            "verdict": self.verdict,
        }
