"""A cascade router over more than two models: the cheapest model predicted to pass.

Models are ordered by cost. There is one classifier per model except the last, each predicting
P(that model passes) from the same features as the two-model router. For a threshold t an input
goes to the first (cheapest) model whose P(pass) >= t, else to the last model. t at the lowest
probability sends everything to the cheapest model; t above 1 everything to the last one; with
two models this is exactly the cheap/strong rule (strong when P(cheap passes) < t).

Evaluation reuses the two-model curve (`evaluate.curve_report`) with out-of-fold probabilities
for every model (the same GroupKFold over tests). An input's *position* is where its chosen model
sits between the cheapest (0) and the last model (1) by that input's cost (by rank when a price is
unknown); the "strong share" of a point is the mean position, and random routing at a point mixes
the cheapest and the last model at the same mean position (same cost when prices are known).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from workbench.routing.dataset import RoutingDataset
from workbench.routing.evaluate import MAX_POINTS, N_BOOTSTRAP, cross_validated_probabilities, curve_report, verdict


def cascade_choice(probs: Any, threshold: float) -> Any:
    """Index of the chosen model per input. `probs`: inputs x (models - 1) P(pass)."""
    import numpy as np

    ok = probs >= threshold
    last = probs.shape[1]
    return np.where(ok.any(axis=1), ok.argmax(axis=1), last)


def cascade_thresholds(probs: Any) -> list[float]:
    import numpy as np

    values = np.unique(probs)
    if len(values) > MAX_POINTS - 1:
        values = np.unique(np.quantile(probs, np.linspace(0, 1, MAX_POINTS - 1), method="nearest"))
    top = float(values[-1])
    return [*(float(v) for v in values), 1.0 if top < 1.0 else math.nextafter(top, math.inf)]


def evaluate_cascade(
    dataset: RoutingDataset,
    models: Sequence[str],
    *,
    min_pass_rate: float = 0.9,
    seed: int = 0,
    n_boot: int = N_BOOTSTRAP,
) -> dict[str, Any]:
    """Cross-validated report for the cascade over `models` (cheapest first)."""
    import numpy as np

    models = list(models)
    out_of_fold = [cross_validated_probabilities(dataset, m, seed=seed) for m in models[:-1]]
    probs = np.column_stack([p for p, _ in out_of_fold])
    report = evaluate_cascade_predictions(
        probs,
        [[i.pass_fraction(m) or 0.0 for m in models] for i in dataset.inputs],
        [[i.cost.get(m) for m in models] for i in dataset.inputs],
        dataset.groups(),
        models,
        min_pass_rate=min_pass_rate,
        n_boot=n_boot,
        seed=seed,
    )
    report.update({"folds": out_of_fold[0][1], "run_ids": dataset.run_ids})
    return report


def evaluate_cascade_predictions(
    probs: Any,
    pass_fractions: Sequence[Sequence[float]],
    costs: Sequence[Sequence[float | None]],
    groups: Sequence[str],
    models: Sequence[str],
    *,
    min_pass_rate: float = 0.9,
    n_boot: int = N_BOOTSTRAP,
    seed: int = 0,
) -> dict[str, Any]:
    """The report for given per-input probabilities (inputs x models-1), pass fractions and costs
    (inputs x models). Pure arithmetic, checkable by hand."""
    import numpy as np

    probs = np.asarray(probs, dtype=float).reshape(len(groups), len(models) - 1)
    q = np.asarray(pass_fractions, dtype=float)
    costs_known = all(c is not None for row in costs for c in row)
    c = np.asarray([[x or 0.0 for x in row] for row in costs], dtype=float)
    k = len(models)
    rows = np.arange(len(groups))
    thresholds = cascade_thresholds(probs)
    choice = np.stack([cascade_choice(probs, t) for t in thresholds], axis=1)  # inputs x points
    quality = q[rows[:, None], choice]
    cost = c[rows[:, None], choice]
    position = position_of(choice, c, costs_known, k)

    oracle_choice = q.argmax(axis=1)  # the first (cheapest) model with the best pass fraction
    oracle = {
        "pass_rate": float(q.max(axis=1).mean()),
        "strong_share": float(position_of(oracle_choice[:, None], c, costs_known, k).mean()),
        "cost_per_request": float(c[rows, oracle_choice].mean()) if costs_known else None,
    }
    report = curve_report(
        thresholds, position, quality, cost, q[:, 0], q[:, -1], groups,
        costs_known=costs_known, oracle=oracle, min_pass_rate=min_pass_rate, n_boot=n_boot, seed=seed,
    )  # fmt: skip
    for j, point in enumerate(report["points"]):
        point["shares"] = {m: float((choice[:, j] == i).mean()) for i, m in enumerate(models)}
    per_model: list[dict[str, Any]] = [
        {
            "model": m,
            "pass_rate": float(q[:, i].mean()),
            "cost_per_request": float(c[:, i].mean()) if costs_known else None,
        }
        for i, m in enumerate(models)
    ]
    report["models"] = list(models)
    report["model_stats"] = per_model
    acceptable = [s for s in per_model if s["pass_rate"] >= min_pass_rate - 1e-12]
    report["single_cheapest_acceptable"] = acceptable[0] if acceptable else None
    report["cheap_model"], report["strong_model"] = models[0], models[-1]
    report["verdict"] = verdict(report)
    return report


def position_of(choice: Any, c: Any, costs_known: bool, k: int) -> Any:
    """Where each chosen model lies between the cheapest (0) and the last (1): by cost, else rank."""
    import numpy as np

    rank = choice / (k - 1)
    if not costs_known:
        return rank
    rows = np.arange(c.shape[0])[:, None]
    span = (c[:, -1] - c[:, 0])[:, None]
    by_cost = (c[rows, choice] - c[:, :1]) / np.where(span > 0, span, 1.0)
    return np.where(span > 0, np.clip(by_cost, 0.0, 1.0), rank)
