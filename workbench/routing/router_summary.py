"""`routing_summary`: "single cheapest acceptable model" vs "routed", in $ per month at a volume.

The numbers come from the router's stored evaluation (no retraining), so `workbench route eval`,
`workbench recommend` and the UI show the same figures. "Routed" is the nested cross-validation's
outer-fold figures (`nested_cv.py`), for two models and cascades alike; the threshold curve's
chosen point is kept as `in_sample`, labelled "in-sample, optimistic".
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from workbench.analysis.router_figures import CurvePoint, OracleFigures, RoutedFigures, RouterSummary, SingleModel
from workbench.errors import UsageError
from workbench.routing.stored_routers import router_row

DAYS_PER_MONTH = 30
NESTED = "nested cross-validation"  # `RoutedFigures.source`: outer-fold figures, threshold chosen without them
IN_SAMPLE = "in-sample, optimistic"  # the curve's chosen point, measured on the data that chose it
DEFAULT_REQUESTS_PER_DAY = 1000.0


def routing_summary(
    db: Database,
    name: str | None = None,
    requests_per_day: float = DEFAULT_REQUESTS_PER_DAY,
    router_id: int | None = None,
) -> RouterSummary:
    """Single cheapest acceptable model vs the routed pair, with the projected monthly saving.

    `monthly_saving` is None when a price is unknown or no single model meets the target; the
    `verdict` says in words whether the router beats random routing (with its 95 % interval).
    `choice` is "routed" only when the router beats random routing and its point meets the target
    with a non-trivial split; otherwise "single" (ship the single cheapest acceptable model).
    """
    if requests_per_day < 0:
        raise UsageError(f"--requests-per-day must be >= 0, got {requests_per_day}")
    row = router_row(db, name, router_id)
    report = row["metrics"]
    models = {"cheap": row["cheap_model"], "strong": row["strong_model"]}

    def monthly(cost: float | None) -> float | None:
        return None if cost is None else requests_per_day * DAYS_PER_MONTH * cost

    in_sample = CurvePoint.from_dict(_point_at(report["points"], float(row["threshold"])))
    nested = report.get("nested")
    # The reported figures: from the nested CV's outer folds (threshold chosen without them). The
    # curve's point is chosen on the data it is measured on; it stands in (labelled) only for a
    # router stored before nested CV covered it.
    routed = RoutedFigures(
        **vars(in_sample), source=IN_SAMPLE, label=f"{IN_SAMPLE}: trained before nested CV, train again"
    )
    if nested:
        n_seeds = len(nested["seeds"])
        routed = replace(
            routed,
            **{k: nested[k] for k in ("strong_share", "pass_rate", "pass_rate_ci", "cost_per_request")},
            shares=nested.get("shares", routed.shares),
            cost_ci=nested.get("cost_ci"),
            shares_ci=nested.get("shares_ci"),
            source=NESTED,
            label=f"nested CV, {nested['folds']} outer folds, mean of {n_seeds} seed{'s' * (n_seeds != 1)}",
            pgr=(nested["pass_rate"] - report["cheap"]["pass_rate"]) / report["gap"] if report["gap"] > 0 else None,
        )
    routed = replace(routed, monthly_cost=monthly(routed.cost_per_request))
    single = report.get("single_cheapest_acceptable")
    single_out = None
    if single is not None:
        single_out = SingleModel(
            model=models.get(single["model"], single["model"]),  # a cascade stores the model's name
            pass_rate=single["pass_rate"],
            cost_per_request=single["cost_per_request"],
            monthly_cost=monthly(single["cost_per_request"]),
        )
    meets = routed.pass_rate >= report["min_pass_rate"] - 1e-12
    saving = None
    if single_out and single_out.monthly_cost is not None and routed.monthly_cost is not None:
        saving = single_out.monthly_cost - routed.monthly_cost
    oracle = report["oracle"]
    # "single" when routing is trivial (all on one model), unproven (not better than random) or misses
    # the target.
    trivial = routed.strong_share in (0.0, 1.0)
    choice = "single" if trivial or not report["beats_random"] or not meets else "routed"
    return RouterSummary(
        choice=choice,
        name=row["name"],
        id=row["id"],
        created_at=row["created_at"],
        cheap_model=models["cheap"],
        strong_model=models["strong"],
        models=row["models"],
        threshold=row["threshold"],
        tests=report["tests"],
        min_pass_rate=report["min_pass_rate"],
        requests_per_day=requests_per_day,
        costs_known=report["costs_known"],
        single_cheapest_acceptable=single_out,
        routed=routed,
        in_sample=in_sample,
        nested=nested,
        routed_meets_target=meets,
        oracle=OracleFigures(
            pass_rate=oracle["pass_rate"],
            strong_share=oracle["strong_share"],
            cost_per_request=oracle["cost_per_request"],
            monthly_cost=monthly(oracle["cost_per_request"]),
        ),
        monthly_saving=saving,
        beats_random=report["beats_random"],
        area_gain_over_random=report["area_gain_over_random"],
        area_gain_ci=report["area_gain_ci"],
        apgr=report["apgr"],
        verdict=report["verdict"],
    )


def _point_at(points: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    return dict(min(points, key=lambda p: abs(p["threshold"] - threshold)))


def router_for_run(db: Database, run_id: int) -> int | None:
    """The newest router trained on this run's suite (or on this run), by id; None when there is none.

    A router belongs to the run's suite when it was trained on the run itself, or on a run of the
    same suite file (same resolved path or same content hash), or with `--suite` naming that file.
    """
    if "routers" not in db.table_names():
        return None
    suite_of = {
        int(rid): (_resolved(path), sha)
        for rid, path, sha in db.execute("select id, suite_path, suite_sha256 from runs").fetchall()
    }
    if run_id not in suite_of:
        return None
    path, sha = suite_of[run_id]
    for router_id, suite_path, run_ids_json in db.execute(
        "select id, suite_path, run_ids from routers order by id desc"
    ).fetchall():
        trained_on = [int(r) for r in json.loads(run_ids_json or "[]")]
        if run_id in trained_on:
            return int(router_id)
        if path is not None and suite_path and _resolved(suite_path) == path:
            return int(router_id)
        for r in trained_on:
            other_path, other_sha = suite_of.get(r, (None, None))
            if (sha and other_sha == sha) or (path is not None and other_path == path):
                return int(router_id)
    return None


def _resolved(path: str | None) -> str | None:
    from pathlib import Path

    return str(Path(path).resolve()) if path else None
