"""Nested cross-validation: the router's reported figures from data its threshold never saw.

`evaluate.py`'s curve is honest about the classifier (out-of-fold predictions) but the threshold
picked on that curve is chosen on the same inputs whose pass rate and cost it then reports: the
headline is the best of ~100 points measured on the data that chose it, so it flatters the router
(on the example suite the chosen point claims 90.0 % at $0.000376; the nested figures are lower
and dearer).

Here every outer fold (tests grouped, as everywhere) is routed by a rule built without it: the
inner cross-validation on the outer-training tests gives out-of-fold P(pass) for every model but
the last, the threshold is chosen on that inner curve by the same rule as the stored router's
(`choose_point`: the cheapest point meeting the target, else the best pass rate), the classifiers
are refitted on all outer-training tests, and the held-out tests are routed by them. Pass rate,
cost per request and the share routed to each model are then means over the outer folds' inputs
only, with bootstrap intervals over tests. Repeated over several seeds (fold assignments) the
figures are averaged, and their spread says how much of a single figure is the split.

Two models and a cascade (`cascade.py`) are the same procedure: with two models the cascade rule
is the cheap/strong rule (strong when P(cheap passes) < t), and the figures are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.routing.cascade import cascade_choice, cascade_thresholds, position_of
from workbench.routing.dataset import RoutingDataset
from workbench.routing.evaluate import (
    MAX_FOLDS,
    bootstrap_means,
    cross_validated_probabilities,
    held_out_probabilities,
)

DEFAULT_SEEDS = 5


def choose_point(probs: Any, q: Any, c: Any, target: float, costs_known: bool) -> float:
    """The threshold a router would be given on this curve: the cheapest point (lowest mean
    position when $ are unknown) meeting `target`, else the best pass rate, ties to the cheapest.
    `probs`: inputs x (models - 1) P(pass); `q`, `c`: inputs x models pass fractions and costs.
    The same rule as `train.choose_threshold` on the curve's points."""
    import numpy as np

    probs = np.asarray(probs, dtype=float).reshape(len(q), -1)
    rows = np.arange(len(q))
    best: tuple[Any, ...] | None = None
    for t in cascade_thresholds(probs):
        choice = cascade_choice(probs, t)
        rate = float(q[rows, choice].mean())
        price = (
            float(c[rows, choice].mean())
            if costs_known
            else float(position_of(choice[:, None], c, False, q.shape[1]).mean())
        )
        meets = rate >= target - 1e-12
        key = (0, price, -rate) if meets else (1, -rate, price)
        if best is None or key < best[0]:
            best = (key, t)
    assert best is not None
    return float(best[1])


def _arrays(dataset: RoutingDataset, models: Sequence[str]) -> tuple[Any, Any, bool]:
    """inputs x models pass fractions and costs (0 where unknown), and whether every price is known."""
    import numpy as np

    costs = dataset.costs(models)
    known = all(x is not None for row in costs for x in row)
    return (
        np.asarray(dataset.pass_fractions(models), dtype=float),
        np.asarray([[x or 0.0 for x in row] for row in costs], dtype=float),
        known,
    )


def nested_once(dataset: RoutingDataset, models: Sequence[str], min_pass_rate: float, seed: int) -> dict[str, Any]:
    """One outer split: the model chosen for each input by a rule that never saw it, and the outer thresholds."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    models = list(models)
    k = len(models)
    groups = np.asarray(dataset.groups())
    n_groups = len(set(groups.tolist()))
    q, c, costs_known = _arrays(dataset, models)
    choice = np.zeros(len(dataset.inputs), dtype=int)
    thresholds: list[float] = []
    outer = GroupKFold(n_splits=min(MAX_FOLDS, n_groups), shuffle=True, random_state=seed)
    for train, test in outer.split(np.arange(len(groups)), groups=groups):
        if len(set(groups[train].tolist())) >= 2:
            inner = dataset.take(train)
            p_inner = np.column_stack([cross_validated_probabilities(inner, m, seed=seed)[0] for m in models[:-1]])
            t = choose_point(p_inner, q[train], c[train], min_pass_rate, costs_known)
        else:
            t = 1.0  # nothing to learn from: the last model unless a classifier is certain
        p_test = np.column_stack([held_out_probabilities(dataset, train, test, m) for m in models[:-1]])
        choice[test] = cascade_choice(p_test, t)
        thresholds.append(t)
    rows = np.arange(len(choice))
    quality = q[rows, choice]
    cost = c[rows, choice]
    position = position_of(choice[:, None], c, costs_known, k)[:, 0]
    return {
        "seed": seed,
        "folds": len(thresholds),
        "thresholds": thresholds,
        "strong_share": float(position.mean()),
        "shares": {m: float((choice == i).mean()) for i, m in enumerate(models)},
        "pass_rate": float(quality.mean()),
        "cost_per_request": float(cost.mean()) if costs_known else None,
        "meets_target": bool(quality.mean() >= min_pass_rate - 1e-12),
        "_choice": choice,
        "_position": position,
        "_quality": quality,
        "_cost": cost,
    }


def nested_evaluation(
    dataset: RoutingDataset,
    models: Sequence[str],
    *,
    min_pass_rate: float = 0.9,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    n_boot: int = 1000,
) -> dict[str, Any]:
    """The router's figures from outer folds only, averaged over `seeds` fold assignments (each
    input's pass fraction, cost, position and model shares are its means over the seeds), with
    bootstrap 95 % intervals over tests; `seeds` lists each assignment's own figures and `range`
    their spread. `models`: cheapest first (two = cheap/strong; more = a cascade).

    `strong_share` is the mean position (0 = the cheapest model, 1 = the last; with two models the
    share sent to the strong one), as on the evaluation curve; `shares` the share sent to each model."""
    import numpy as np

    models = list(models)
    runs = [nested_once(dataset, models, min_pass_rate, seed + k) for k in range(max(1, seeds))]
    groups = dataset.groups()
    position = np.mean([r["_position"] for r in runs], axis=0)
    quality = np.mean([r["_quality"] for r in runs], axis=0)
    cost = np.mean([r["_cost"] for r in runs], axis=0)
    shares = np.mean([[r["_choice"] == i for i in range(len(models))] for r in runs], axis=0).T  # inputs x models
    ci = bootstrap_means(groups, np.column_stack([quality, cost, shares]), n_boot, seed)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
    costs_known = public[0]["cost_per_request"] is not None

    def span(values: list[float]) -> list[float]:
        return [min(values), max(values)]

    pass_rate = float(quality.mean())
    return {
        "folds": public[0]["folds"],
        "models": models,
        "strong_share": float(position.mean()),
        "shares": {m: float(shares[:, i].mean()) for i, m in enumerate(models)},
        "shares_ci": {m: list(ci[2 + i]) for i, m in enumerate(models)},
        "pass_rate": pass_rate,
        "pass_rate_ci": list(ci[0]),
        "cost_per_request": float(np.mean([r["cost_per_request"] for r in public])) if costs_known else None,
        "cost_ci": list(ci[1]) if costs_known else None,
        "meets_target": bool(pass_rate >= min_pass_rate - 1e-12),
        "seeds": public,
        "range": {
            "pass_rate": span([r["pass_rate"] for r in public]),
            "cost_per_request": span([r["cost_per_request"] for r in public]) if costs_known else None,
            "strong_share": span([r["strong_share"] for r in public]),
            "shares": {m: span([r["shares"][m] for r in public]) for m in models},
        },
        "seeds_meeting_target": sum(r["meets_target"] for r in public),
        "min_pass_rate": min_pass_rate,
        "bootstrap": {"samples": n_boot, "unit": "test", "seed": seed},
    }
