"""Honest evaluation of a cheap/strong router.

1. Out-of-fold predictions: GroupKFold over test identities, so the repeats of a test (and the
   same test under another prompt version) are never on both sides; each input's P(cheap passes)
   comes from a model that never saw that test.
2. The threshold curve: route an input to the strong model when P(cheap passes) < threshold, for
   every threshold from "always cheap" to "always strong". Per point: strong share, expected pass
   rate (mean of the routed model's pass fraction on each input), cost per request, PGR, and the
   random-routing baseline at the same strong share (linear interpolation between the two models).
   PGR is RouteLLM's performance gap recovered: (q_router - q_cheap) / (q_strong - q_cheap).
3. Uncertainty: a bootstrap over test groups (resampling tests, not results) of the gain over
   random routing at every point and of the area between the router's curve and the random line
   (APGR - 0.5, in pass-rate units). The router "beats random" only when that area's 95 % interval
   lies above 0.
4. The oracle bound (each input to the cheapest of the two models that passes it) and the
   threshold that meets the acceptance target at the lowest cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from workbench.errors import UsageError
from workbench.routing.dataset import RoutingDataset
from workbench.routing.features import fit_classifier, pass_probability

MAX_POINTS = 101
N_BOOTSTRAP = 1000
MAX_FOLDS = 5


def cross_validated_probabilities(dataset: RoutingDataset, cheap: str, seed: int = 0) -> tuple[Any, int]:
    """Out-of-fold P(cheap passes) per input, and the number of folds used."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(dataset.groups())
    n_groups = len(set(groups.tolist()))
    if n_groups < 2:
        raise UsageError(f"need at least 2 distinct tests with results for both models to evaluate, got {n_groups}")
    folds = min(MAX_FOLDS, n_groups)
    out = np.zeros(len(dataset.inputs))
    index = np.arange(len(dataset.inputs))
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(index, groups=groups):
        out[test] = held_out_probabilities(dataset, train, test, cheap)
    return out, folds


def held_out_probabilities(dataset: RoutingDataset, train: Any, test: Any, model: str) -> Any:
    """P(`model` passes) for the inputs at `test`, from a classifier fitted on the inputs at `train` only
    (one row per stored result, so repeats teach a probability)."""
    import numpy as np

    estimator, _ = fit_classifier(*dataset.take(train).expanded(model))
    return np.asarray(pass_probability(estimator, [dataset.inputs[i].record() for i in test]), dtype=float)


def evaluate_dataset(
    dataset: RoutingDataset,
    cheap: str,
    strong: str,
    *,
    min_pass_rate: float = 0.9,
    seed: int = 0,
    n_boot: int = N_BOOTSTRAP,
) -> dict[str, Any]:
    """Cross-validate a router on the dataset and return the evaluation report (JSON-ready)."""
    probs, folds = cross_validated_probabilities(dataset, cheap, seed=seed)
    report = evaluate_predictions(
        probs.tolist(),
        [i.pass_fraction(cheap) or 0.0 for i in dataset.inputs],
        [i.pass_fraction(strong) or 0.0 for i in dataset.inputs],
        [i.cost.get(cheap) for i in dataset.inputs],
        [i.cost.get(strong) for i in dataset.inputs],
        dataset.groups(),
        min_pass_rate=min_pass_rate,
        n_boot=n_boot,
        seed=seed,
    )
    report.update({"cheap_model": cheap, "strong_model": strong, "folds": folds, "run_ids": dataset.run_ids})
    report["verdict"] = verdict(report)  # again, now with the model names
    return report


def evaluate_predictions(
    p_cheap: Sequence[float],
    q_cheap: Sequence[float],
    q_strong: Sequence[float],
    cost_cheap: Sequence[float | None],
    cost_strong: Sequence[float | None],
    groups: Sequence[str],
    *,
    min_pass_rate: float = 0.9,
    n_boot: int = N_BOOTSTRAP,
    seed: int = 0,
) -> dict[str, Any]:
    """The report for given per-input predictions, pass fractions and costs.

    Pure arithmetic (no model), so it can be checked by hand on a tiny case.
    """
    import numpy as np

    p = np.asarray(p_cheap, dtype=float)
    qc = np.asarray(q_cheap, dtype=float)
    qs = np.asarray(q_strong, dtype=float)
    costs_known = all(c is not None for c in cost_cheap) and all(c is not None for c in cost_strong)
    cc = np.asarray([c or 0.0 for c in cost_cheap], dtype=float)
    cs = np.asarray([c or 0.0 for c in cost_strong], dtype=float)

    thresholds = candidate_thresholds(p)
    routed = np.stack([p < t for t in thresholds], axis=1)  # inputs x points
    quality = np.where(routed, qs[:, None], qc[:, None])
    cost = np.where(routed, cs[:, None], cc[:, None])
    oracle_strong = qs > qc  # the cheaper model whenever it does at least as well
    oracle = {
        "pass_rate": float(np.maximum(qc, qs).mean()),
        "strong_share": float(oracle_strong.mean()),
        "cost_per_request": float(np.where(oracle_strong, cs, cc).mean()) if costs_known else None,
    }
    report = curve_report(
        thresholds, routed.astype(float), quality, cost, qc, qs, groups,
        costs_known=costs_known, oracle=oracle, min_pass_rate=min_pass_rate, n_boot=n_boot, seed=seed,
    )  # fmt: skip
    report["verdict"] = verdict(report)
    return report


def curve_report(
    thresholds: Sequence[float],
    position: Any,
    quality: Any,
    cost: Any,
    qc: Any,
    qs: Any,
    groups: Sequence[str],
    *,
    costs_known: bool,
    oracle: dict[str, Any],
    min_pass_rate: float,
    n_boot: int,
    seed: int,
) -> dict[str, Any]:
    """The report for a family of routing rules (one per threshold), given per input and point:
    `position` (0 = the cheap model, 1 = the strong one; a cascade's middle models lie between),
    `quality` (pass fraction of the chosen model) and `cost`; `qc`/`qs` are the cheap and strong
    models' pass fractions per input. Random routing at a point mixes cheap and strong at the
    same mean position."""
    import numpy as np

    n = len(qc)
    share = position.mean(axis=0)
    pass_rate = quality.mean(axis=0)
    mean_cost = cost.mean(axis=0)
    q_c, q_s = float(np.mean(qc)), float(np.mean(qs))
    gap = q_s - q_c
    random_rate = q_c + share * gap

    boot = bootstrap_routing(groups, position, quality, qc, qs, n_boot, seed)
    points = []
    for j, t in enumerate(thresholds):
        lo, hi = boot["gain_ci"][j]
        points.append(
            {
                "threshold": float(t),
                "strong_share": float(share[j]),
                "pass_rate": float(pass_rate[j]),
                "pass_rate_ci": list(boot["pass_ci"][j]),
                "cost_per_request": float(mean_cost[j]) if costs_known else None,
                "pgr": float((pass_rate[j] - q_c) / gap) if gap > 0 else None,
                "random_pass_rate": float(random_rate[j]),
                "gain_over_random": float(pass_rate[j] - random_rate[j]),
                "gain_over_random_ci": [lo, hi],
            }
        )
    area_gain = float(_area(share, pass_rate) - (q_c + q_s) / 2)
    beats_random = gap > 0 and boot["area_ci"][0] > 0
    recommended = _recommend(points, min_pass_rate, costs_known)
    single = _single(q_c, q_s, points, min_pass_rate)
    return {
        "tests": len(set(groups)),
        "inputs": n,
        "min_pass_rate": min_pass_rate,
        "costs_known": costs_known,
        "cheap": {"pass_rate": q_c, "cost_per_request": points[0]["cost_per_request"]},
        "strong": {"pass_rate": q_s, "cost_per_request": points[-1]["cost_per_request"]},
        "gap": gap,
        "apgr": float((_area(share, pass_rate) - q_c) / gap) if gap > 0 else None,
        "area_gain_over_random": area_gain,
        "area_gain_ci": list(boot["area_ci"]),
        "beats_random": bool(beats_random),
        "oracle": oracle,
        "points": points,
        "recommended": recommended,
        "single_cheapest_acceptable": single,
        "bootstrap": {"samples": n_boot, "unit": "test", "seed": seed},
    }


def candidate_thresholds(p: Any) -> list[float]:
    """Cut points: route to strong when p < t. First = always cheap, last = always strong."""
    import numpy as np

    values = np.unique(p)
    if len(values) > MAX_POINTS - 1:
        values = np.unique(np.quantile(p, np.linspace(0, 1, MAX_POINTS - 1), method="nearest"))
    top = float(values[-1])
    last = 1.0 if top < 1.0 else math.nextafter(top, math.inf)
    return [*(float(v) for v in values), last]


def _area(share: Any, rate: Any) -> float:
    """Area under the piecewise-linear pass-rate vs strong-share curve, over share in [0, 1]."""
    import numpy as np

    s = np.asarray(share, dtype=float)
    r = np.asarray(rate, dtype=float)
    return float(np.sum((s[1:] - s[:-1]) * (r[1:] + r[:-1]) / 2))


def per_test_sums(groups: Sequence[str], *values: Any) -> tuple[Any, list[Any]]:
    """Per test (the bootstrap's unit, a cluster of inputs): its number of inputs, and the sums of
    each of `values` (arrays over inputs, optionally x columns) over its inputs."""
    import numpy as np

    names = sorted(set(groups))
    index = {g: k for k, g in enumerate(names)}
    member = np.zeros((len(names), len(groups)))
    for i, g in enumerate(groups):
        member[index[g], i] = 1.0
    return member.sum(axis=1), [member @ np.asarray(v, dtype=float) for v in values]


def resample_weights(n_tests: int, n_boot: int, seed: int) -> Any:
    """n_boot x n_tests: how often each test is drawn in each bootstrap resample (with replacement)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.multinomial(n_tests, np.full(n_tests, 1 / n_tests), size=n_boot).astype(float)


def bootstrap_means(groups: Sequence[str], values: Any, n_boot: int, seed: int) -> list[tuple[float, float]]:
    """Percentile 95 % interval of the mean over inputs of each column of `values` (inputs x columns),
    resampling tests with replacement (the same resamples as `bootstrap_routing` for the same seed)."""
    import numpy as np

    n_g, (sums,) = per_test_sums(groups, values)
    w = resample_weights(len(n_g), n_boot, seed)
    means = (w @ sums) / (w @ n_g)[:, None]
    lo, hi = np.quantile(means, [0.025, 0.975], axis=0)
    return [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)]


def bootstrap_routing(
    groups: Sequence[str], position: Any, quality: Any, qc: Any, qs: Any, n_boot: int, seed: int
) -> dict[str, Any]:
    """Percentile 95 % intervals by resampling tests (groups) with replacement."""
    import numpy as np

    n_g, (s_routed, s_quality, s_qc, s_qs) = per_test_sums(groups, position, quality, qc, qs)  # groups x points
    w = resample_weights(len(n_g), n_boot, seed)
    total = w @ n_g  # per sample
    share = (w @ s_routed) / total[:, None]
    rate = (w @ s_quality) / total[:, None]
    q_c = (w @ s_qc) / total
    q_s = (w @ s_qs) / total
    gain = rate - (q_c[:, None] + share * (q_s - q_c)[:, None])
    area = np.sum((share[:, 1:] - share[:, :-1]) * (rate[:, 1:] + rate[:, :-1]) / 2, axis=1) - (q_c + q_s) / 2

    def ci(x: Any) -> Any:
        return np.quantile(x, [0.025, 0.975], axis=0)

    g_lo, g_hi = ci(gain)
    r_lo, r_hi = ci(rate)
    a_lo, a_hi = ci(area)
    return {
        "gain_ci": [(float(a), float(b)) for a, b in zip(g_lo, g_hi, strict=True)],
        "pass_ci": [(float(a), float(b)) for a, b in zip(r_lo, r_hi, strict=True)],
        "area_ci": (float(a_lo), float(a_hi)),
    }


def _recommend(points: list[dict[str, Any]], target: float, costs_known: bool) -> dict[str, Any] | None:
    """The point that meets the target at the lowest cost (lowest strong share when $ unknown)."""
    ok = [p for p in points if p["pass_rate"] >= target - 1e-12]
    if not ok:
        return None
    key = (lambda p: (p["cost_per_request"], p["strong_share"])) if costs_known else (lambda p: p["strong_share"])
    return dict(min(ok, key=key))


def _single(q_c: float, q_s: float, points: list[dict[str, Any]], target: float) -> dict[str, Any] | None:
    if q_c >= target - 1e-12:
        return {"model": "cheap", "pass_rate": q_c, "cost_per_request": points[0]["cost_per_request"]}
    if q_s >= target - 1e-12:
        return {"model": "strong", "pass_rate": q_s, "cost_per_request": points[-1]["cost_per_request"]}
    return None


def verdict(report: dict[str, Any]) -> str:
    """One plain paragraph: does routing pay off here?"""
    cheap = f"the cheap model ({report['cheap_model']})" if "cheap_model" in report else "the cheap model"
    strong = f"The strong model ({report['strong_model']})" if "strong_model" in report else "The strong model"
    lo, hi = report["area_gain_ci"]
    parts = []
    if report["gap"] <= 0:
        parts.append(f"{strong} passes no more tests than {cheap} here: routing cannot help; use {cheap}.")
    elif report["beats_random"]:
        parts.append(
            f"The router beats random routing at the same cost: average gain {report['area_gain_over_random']:+.3f}"
            f" pass rate (95 % CI {lo:+.3f} to {hi:+.3f}, {report['tests']} tests)."
        )
    else:
        parts.append(
            f"The router is no better than random routing at the same cost: average gain"
            f" {report['area_gain_over_random']:+.3f} pass rate (95 % CI {lo:+.3f} to {hi:+.3f},"
            f" {report['tests']} tests). Prefer the single cheapest acceptable model, or collect more tests."
        )
    rec = report["recommended"]
    if rec is None:
        parts.append(
            f"No threshold reaches the {report['min_pass_rate']:.0%} target (the oracle reaches"
            f" {report['oracle']['pass_rate']:.1%})."
        )
    if not report["costs_known"]:
        parts.append("Prices are unknown for at least one model, so $ figures are unknown.")
    return " ".join(parts)
