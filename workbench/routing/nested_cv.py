"""Nested cross-validation: the router's reported figures from data its threshold never saw.

`evaluate.py`'s curve is honest about the classifier (out-of-fold predictions) but the threshold
picked on that curve is chosen on the same inputs whose pass rate and cost it then reports: the
headline is the best of ~100 points measured on the data that chose it, so it flatters the router
(on the example suite the chosen point claims 90.0 % at $0.000376; the nested figures below are
lower and dearer).

Here every outer fold (tests grouped, as everywhere) is routed by a rule built without it: the
inner cross-validation on the outer-training tests gives out-of-fold P(cheap passes), the
threshold is chosen on that inner curve by the same rule as the stored router's
(`choose_point`: the cheapest point meeting the target, else the best pass rate), the classifier is
refitted on all outer-training tests, and the held-out tests are routed by it. Pass rate, cost per
request and strong share are then means over the outer folds' inputs only, with a bootstrap
interval over tests. Repeated over several seeds (fold assignments) the figures are averaged, and
their spread says how much of a single figure is the split.
"""

from __future__ import annotations

from typing import Any

from workbench.routing.dataset import RoutingDataset
from workbench.routing.evaluate import MAX_FOLDS, bootstrap_routing, candidate_thresholds, cross_validated_probabilities
from workbench.routing.features import fit_classifier, pass_probability

DEFAULT_SEEDS = 5


def _subset(dataset: RoutingDataset, index: Any) -> RoutingDataset:
    return RoutingDataset(
        dataset.run_ids, dataset.suite_path, dataset.models, [dataset.inputs[i] for i in index], dataset.model_cost
    )


def choose_point(p: Any, qc: Any, qs: Any, cc: Any, cs: Any, target: float, costs_known: bool) -> float:
    """The threshold (route to strong when p < t) a router would be given on this curve: the
    cheapest point (lowest strong share when $ are unknown) meeting `target`, else the best pass
    rate, ties to the cheapest. The same rule as `train.choose_threshold`."""
    import numpy as np

    best: tuple[Any, ...] | None = None
    for t in candidate_thresholds(p):
        routed = p < t
        rate = float(np.where(routed, qs, qc).mean())
        price = float(np.where(routed, cs, cc).mean()) if costs_known else float(routed.mean())
        meets = rate >= target - 1e-12
        key = (0, price, -rate) if meets else (1, -rate, price)
        if best is None or key < best[0]:
            best = (key, t)
    assert best is not None
    return float(best[1])


def nested_once(dataset: RoutingDataset, cheap: str, strong: str, min_pass_rate: float, seed: int) -> dict[str, Any]:
    """One outer split: per input, whether it was routed to the strong model, and the outer thresholds."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(dataset.groups())
    n_groups = len(set(groups.tolist()))
    qc = np.asarray([i.pass_fraction(cheap) or 0.0 for i in dataset.inputs])
    qs = np.asarray([i.pass_fraction(strong) or 0.0 for i in dataset.inputs])
    costs_known = all(i.cost.get(cheap) is not None and i.cost.get(strong) is not None for i in dataset.inputs)
    cc = np.asarray([i.cost.get(cheap) or 0.0 for i in dataset.inputs])
    cs = np.asarray([i.cost.get(strong) or 0.0 for i in dataset.inputs])
    routed = np.zeros(len(dataset.inputs), dtype=bool)
    thresholds: list[float] = []
    outer = GroupKFold(n_splits=min(MAX_FOLDS, n_groups), shuffle=True, random_state=seed)
    for train, test in outer.split(np.arange(len(groups)), groups=groups):
        inner = _subset(dataset, train)
        if len(set(groups[train].tolist())) >= 2:
            p_inner, _ = cross_validated_probabilities(inner, cheap, seed=seed)
            t = choose_point(p_inner, qc[train], qs[train], cc[train], cs[train], min_pass_rate, costs_known)
        else:
            t = 1.0  # nothing to learn from: always strong
        records, labels, row_groups = inner.expanded(cheap)
        estimator, _ = fit_classifier(records, labels, row_groups)
        p_test = np.asarray(pass_probability(estimator, [dataset.inputs[i].record() for i in test]), dtype=float)
        routed[test] = p_test < t
        thresholds.append(t)
    quality = np.where(routed, qs, qc)
    cost = np.where(routed, cs, cc)
    return {
        "seed": seed,
        "folds": len(thresholds),
        "thresholds": thresholds,
        "strong_share": float(routed.mean()),
        "pass_rate": float(quality.mean()),
        "cost_per_request": float(cost.mean()) if costs_known else None,
        "meets_target": bool(quality.mean() >= min_pass_rate - 1e-12),
        "_routed": routed,
        "_quality": quality,
    }


def nested_evaluation(
    dataset: RoutingDataset,
    cheap: str,
    strong: str,
    *,
    min_pass_rate: float = 0.9,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    n_boot: int = 1000,
) -> dict[str, Any]:
    """The router's figures from outer folds only, averaged over `seeds` fold assignments (each
    input's routed share and pass fraction are its means over the seeds), with a bootstrap 95 %
    interval over tests; `seeds` lists each assignment's own figures and `range` their spread."""
    import numpy as np

    runs = [nested_once(dataset, cheap, strong, min_pass_rate, seed + k) for k in range(max(1, seeds))]
    qc = np.asarray([i.pass_fraction(cheap) or 0.0 for i in dataset.inputs])
    qs = np.asarray([i.pass_fraction(strong) or 0.0 for i in dataset.inputs])
    routed = np.mean([r["_routed"].astype(float) for r in runs], axis=0)
    quality = np.mean([r["_quality"] for r in runs], axis=0)
    boot = bootstrap_routing(dataset.groups(), routed[:, None], quality[:, None], qc, qs, n_boot, seed)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
    costs = [r["cost_per_request"] for r in public]

    def span(key: str) -> list[float] | None:
        values = [r[key] for r in public if r[key] is not None]
        return [min(values), max(values)] if values else None

    pass_rate = float(quality.mean())
    return {
        "folds": public[0]["folds"],
        "strong_share": float(routed.mean()),
        "pass_rate": pass_rate,
        "pass_rate_ci": list(boot["pass_ci"][0]),
        "cost_per_request": None if any(c is None for c in costs) else float(np.mean(costs)),
        "meets_target": bool(pass_rate >= min_pass_rate - 1e-12),
        "seeds": public,
        "range": {k: span(k) for k in ("pass_rate", "cost_per_request", "strong_share")},
        "seeds_meeting_target": sum(r["meets_target"] for r in public),
        "min_pass_rate": min_pass_rate,
    }
