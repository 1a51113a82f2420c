"""Train a cheap/strong router from stored results and save it as a versioned artifact.

Training = evaluate first (grouped cross-validation, see `evaluate.py`), take the threshold that
meets the acceptance target at the lowest cost, then fit the final classifier on every input and
store it with its evaluation in the `routers` table (migration m002). A name trained again gets
a new row; the newest row of a name is the one `load_router` returns.

The artifact is joblib (pickle) bytes. Unpickling runs code: load routers only from databases
you trust.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.analysis.oracle_routing import routing_bound
from workbench.analysis.recommend import Acceptance
from workbench.errors import UsageError, WorkbenchError
from workbench.routing.cascade import evaluate_cascade
from workbench.routing.dataset import RoutingDataset, load_dataset, resolve_runs
from workbench.routing.evaluate import N_BOOTSTRAP, evaluate_dataset
from workbench.routing.features import fit_classifier
from workbench.routing.nested_cv import nested_evaluation
from workbench.store.busy_retry import with_retry
from workbench.store.timestamps import now_iso
from workbench.store.transaction import transaction

ARTIFACT_FORMAT = 1


@dataclass
class TrainedRouter:
    id: int  # cheap_model/strong_model: the first and last model (of a cascade: report["models"])
    name: str
    cheap_model: str
    strong_model: str
    threshold: float
    fitted: str  # "constant" | "logistic" | "logistic+sigmoid-calibration"
    report: dict[str, Any]


def build_dataset(
    db: Database, *, suite_path: str | Path | None, runs: Sequence[str | int] | None, cheap: str, strong: str
) -> RoutingDataset:
    if cheap == strong:
        raise UsageError(f"--cheap and --strong are the same model ({cheap!r})")
    run_ids = resolve_runs(db, suite_path, runs)
    full = load_dataset(db, run_ids, str(suite_path) if suite_path else None)
    data = full.restrict([cheap, strong])
    if not data.inputs:
        raise UsageError(f"no test has results for both {cheap!r} and {strong!r} in runs {run_ids}")
    return data


def train_router(
    db: Database,
    *,
    cheap: str | None = None,
    strong: str | None = None,
    models: Sequence[str] | None = None,
    suite_path: str | Path | None = None,
    runs: Sequence[str | int] | None = None,
    name: str | None = None,
    min_pass_rate: float = 0.9,
    seed: int = 0,
    n_boot: int | None = None,
    nested_seeds: int = 1,
) -> TrainedRouter:
    """Evaluate, fit on everything, store. Returns the stored router with its report.

    The report's `nested` block (`nested_cv.py`: threshold chosen inside, figures from outer folds,
    over `nested_seeds` fold assignments) is what summaries report, for two models and cascades alike.

    Either `cheap` and `strong`, or `models` (two or more; more than two trains a cascade, see
    `cascade.py`, ordered by measured cost when every price is known).
    """
    if not 0 <= min_pass_rate <= 1:
        raise UsageError(f"--min-pass-rate must be in [0, 1], got {min_pass_rate}")
    if models is not None and (cheap is not None or strong is not None):
        raise UsageError("give --models, or --cheap and --strong, not both")
    if models is None:
        if cheap is None or strong is None:
            raise UsageError("give --cheap and --strong (or --models A,B,C)")
        models = [cheap, strong]
    else:
        if len(models) < 2 or len(set(models)) != len(models):
            raise UsageError(f"--models needs two or more different models, got {', '.join(models) or 'none'}")
        models = _cost_order(db, models, suite_path, runs)
    if len(models) > 2:
        return _train_cascade(
            db, list(models), suite_path=suite_path, runs=runs, name=name, min_pass_rate=min_pass_rate,
            seed=seed, n_boot=n_boot, nested_seeds=nested_seeds,
        )  # fmt: skip
    cheap, strong = models

    data = build_dataset(db, suite_path=suite_path, runs=runs, cheap=cheap, strong=strong)
    report = evaluate_dataset(data, cheap, strong, min_pass_rate=min_pass_rate, seed=seed, n_boot=n_boot or N_BOOTSTRAP)
    report["oracle_all_pairs"] = _oracle_all_pairs(db, data.run_ids, min_pass_rate)
    report["nested"] = nested_evaluation(
        data, [cheap, strong], min_pass_rate=min_pass_rate, seed=seed, seeds=nested_seeds, n_boot=n_boot or N_BOOTSTRAP
    )
    threshold = choose_threshold(report)
    records, labels, groups = data.expanded(cheap)
    estimator, fitted = fit_classifier(records, labels, groups)
    report["fitted"] = fitted
    report["threshold"] = threshold
    name = name or f"{cheap}->{strong}"
    router_id = save_router(
        db,
        name=name,
        suite_path=data.suite_path,
        run_ids=data.run_ids,
        models=[cheap, strong],
        threshold=threshold,
        metrics=report,
        estimator=estimator,
        fitted=fitted,
    )
    return TrainedRouter(router_id, name, cheap, strong, threshold, fitted, report)


def _train_cascade(
    db: Database,
    models: list[str],
    *,
    suite_path: str | Path | None,
    runs: Sequence[str | int] | None,
    name: str | None,
    min_pass_rate: float,
    seed: int,
    n_boot: int | None,
    nested_seeds: int,
) -> TrainedRouter:
    run_ids = resolve_runs(db, suite_path, runs)
    data = load_dataset(db, run_ids, str(suite_path) if suite_path else None).restrict(models)
    if not data.inputs:
        raise UsageError(f"no test has results for all of {', '.join(models)} in runs {run_ids}")
    report = evaluate_cascade(data, models, min_pass_rate=min_pass_rate, seed=seed, n_boot=n_boot or N_BOOTSTRAP)
    report["oracle_all_pairs"] = _oracle_all_pairs(db, data.run_ids, min_pass_rate)
    report["nested"] = nested_evaluation(
        data, models, min_pass_rate=min_pass_rate, seed=seed, seeds=nested_seeds, n_boot=n_boot or N_BOOTSTRAP
    )
    threshold = choose_threshold(report)
    fits = [fit_classifier(*data.expanded(m)) for m in models[:-1]]
    fitted = ", ".join(f for _, f in fits)
    report["fitted"] = fitted
    report["threshold"] = threshold
    name = name or "->".join(models)
    router_id = save_router(
        db, name=name, suite_path=data.suite_path, run_ids=data.run_ids, models=models, threshold=threshold,
        metrics=report, estimator=[e for e, _ in fits], fitted=fitted,
    )  # fmt: skip
    return TrainedRouter(router_id, name, models[0], models[-1], threshold, fitted, report)


def _cost_order(
    db: Database, models: Sequence[str], suite_path: str | Path | None, runs: Sequence[str | int] | None
) -> list[str]:
    """`models` cheapest first by measured mean cost per request; as given when a price is unknown."""
    data = load_dataset(db, resolve_runs(db, suite_path, runs)).restrict(models)
    if any(data.model_cost[m] is None for m in models):
        return list(models)
    return sorted(models, key=lambda m: data.model_cost[m] or 0.0)


def _oracle_all_pairs(db: Database, run_ids: list[int], min_pass_rate: float) -> dict[str, Any] | None:
    """The analysis module's oracle bound over every pair of these runs (not only cheap/strong)."""
    try:
        return routing_bound(db, run_ids, Acceptance(min_pass_rate=min_pass_rate)).to_dict()
    except WorkbenchError:
        return None


def choose_threshold(report: dict[str, Any]) -> float:
    """The recommended point's threshold; when no point meets the target, the best pass rate
    (ties: the cheapest), so the stored router never does worse than it has to."""
    rec = report.get("recommended")
    if rec is not None:
        return float(rec["threshold"])
    costs_known = report["costs_known"]
    best = max(
        report["points"],
        key=lambda p: (p["pass_rate"], -(p["cost_per_request"] if costs_known else p["strong_share"])),
    )
    return float(best["threshold"])


def save_router(
    db: Database,
    *,
    name: str,
    suite_path: str | None,
    run_ids: Sequence[int],
    models: Sequence[str],
    threshold: float,
    metrics: dict[str, Any],
    estimator: Any,
    fitted: str,
) -> int:
    import joblib
    import sklearn

    buf = io.BytesIO()
    # Two models: `estimator` predicts P(cheap passes). A cascade: a list, one per model but the last.
    joblib.dump({"format": ARTIFACT_FORMAT, "estimator": estimator, "fitted": fitted, "models": list(models)}, buf)
    row = {
        "name": name,
        "created_at": now_iso(),
        "suite_path": suite_path,
        "run_ids": json.dumps(list(run_ids)),
        "cheap_model": models[0],
        "strong_model": models[-1],
        "models": json.dumps(list(models)),
        "threshold": threshold,
        "metrics": json.dumps(metrics),
        "sklearn_version": sklearn.__version__,
        "artifact": buf.getvalue(),
    }

    def write() -> int:
        with transaction(db):
            db.table("routers").insert(row)
            return int(db.execute("select last_insert_rowid()").fetchone()[0])

    return int(with_retry(write))
