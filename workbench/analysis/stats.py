"""Small statistics helpers: the Wilson score interval and percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion; (0, 1) when n == 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest for small n:
    18/20 gives about (0.70, 0.97), not "90 %".
    """
    if n <= 0:
        return 0.0, 1.0
    return wilson_bounds(successes / n, n, z)


def wilson_bounds(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson interval of a proportion `p` seen over `n` (> 0, possibly effective) samples,
    within [0, 1]: exactly 0 (1) at its low (high) end when p is 0 (1)."""
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if p <= 0 else max(0.0, centre - half)
    high = 1.0 if p >= 1 else min(1.0, centre + half)
    return low, high


def intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 1]) of the values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def cluster_effective_n(tests: int, results: int, sum_f: float, sum_f2: float) -> float:
    """How many independent samples `results` repeats of `tests` tests are worth.

    Each test is a cluster with pass fraction f_i; p = mean f_i. The variance of p estimated from
    the spread of the clusters, S / T^2 with S = sum (f_i - p)^2, set equal to the binomial
    p(1-p)/n gives n_eff = p(1-p) T^2 / S, kept within [T, N]. Deterministic repeats (every f_i is
    0 or 1) give exactly T: repeating a test that always gives the same answer adds no evidence.
    Independent repeats give about N. With p at 0 or 1 the spread says nothing, so T is used.
    """
    if tests <= 0:
        return 0.0
    if results <= tests:
        return float(results)
    p = sum_f / tests
    if p <= 0.0 or p >= 1.0:
        return float(tests)
    spread = max(sum_f2 - tests * p * p, 0.0)
    if spread <= 1e-12:
        return float(results)
    return min(float(results), max(float(tests), p * (1 - p) * tests * tests / spread))


def cluster_interval(tests: int, results: int, sum_f: float, sum_f2: float, z: float = Z95) -> tuple[float, float]:
    """A 95 % Wilson interval for the mean per-test pass fraction with the effective sample size
    of `cluster_effective_n` (equal to `wilson_interval` when there are no repeats)."""
    if tests <= 0:
        return 0.0, 1.0
    return wilson_bounds(sum_f / tests, cluster_effective_n(tests, results, sum_f, sum_f2), z)
