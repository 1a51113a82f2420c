"""How much evidence a verdict needs: sample sizes for a pass-rate drop and for paired flips.

- `samples_per_side(p0, drop, alpha, power)`: independent samples per side so that a two-sided
  two-proportion z-test at `alpha` detects a drop from p0 to p0 - drop with probability `power`
  (the normal-approximation formula of Fleiss: n = [z_a sqrt(2 pbar qbar) + z_b sqrt(p0 q0 + p1 q1)]^2
  / drop^2). Unpaired, so it is conservative for `compare`'s paired McNemar test.
- `samples_per_test(repeats, icc)`: repeats of one test are correlated (intra-class correlation
  `icc`: 1 = deterministic, every repeat agrees; 0 = independent), so k repeats are worth
  k / (1 + (k - 1) icc) samples (the design effect).
- `discordant_needed(psi, alpha, power)`: flips (b + c) an exact McNemar test needs to call a
  share `psi` = b / (b + c) of regressions significant (normal approximation of the sign test).

`tests/test_sample_size.py` checks these against simulations.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_N = NormalDist()


def z(q: float) -> float:
    return _N.inv_cdf(q)


def samples_per_side(p0: float, drop: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Independent samples per side to detect p0 -> p0 - drop (two-sided alpha)."""
    if not 0 < drop <= p0 <= 1:
        raise ValueError("need 0 < drop <= baseline pass rate <= 1")
    p1 = p0 - drop
    pbar = (p0 + p1) / 2
    za, zb = z(1 - alpha / 2), z(power)
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / drop**2
    return max(1, math.ceil(n - 1e-9))


def samples_per_test(repeats: int, icc: float) -> float:
    """What `repeats` repeats of one test are worth in independent samples."""
    return repeats / (1 + (repeats - 1) * icc)


def needed_tests(samples: int, repeats: int, icc: float) -> int:
    return math.ceil(samples / samples_per_test(repeats, icc) - 1e-9)


def repeats_needed(samples: int, tests: int, icc: float, max_repeats: int = 50) -> int | None:
    """The fewest repeats of each of `tests` tests that reach `samples`; None when repeats cannot
    (with icc > 0 they are worth at most tests / icc)."""
    for k in range(1, max_repeats + 1):
        if tests * samples_per_test(k, icc) >= samples - 1e-9:
            return k
    return None


def estimate_icc(tests: int, repeats: int, sum_f: float, sum_f2: float) -> float | None:
    """The intra-class correlation of pass/fail within a test, from per-test pass fractions of
    `repeats` repeats: 1 - (within-test variance) / p(1 - p), clamped to [0, 1]; None when it
    cannot be told (no repeats, or every result the same)."""
    if tests <= 0 or repeats < 2:
        return None
    p = sum_f / tests
    if p <= 0 or p >= 1:
        return None
    within = (sum_f - sum_f2) / tests * repeats / (repeats - 1)  # unbiased mean of f(1-f) per test
    return min(1.0, max(0.0, 1 - within / (p * (1 - p))))


def _power_small(n: int, psi: float, alpha: float, power: float) -> bool | None:
    """Whether n flips reach `power` (exact, pure Python); None when n is too large for this."""
    if n > SMALL_N:
        return None
    # the largest k with 2 * P(X <= k | 1/2) < alpha, in exact integers: reject when x <= k or x >= n - k
    total, cum, k = 2**n, 0, -1
    while 2 * (cum + math.comb(n, k + 1)) * 1.0 < alpha * total:
        cum += math.comb(n, k + 1)
        k += 1
    if k < 0:
        return False
    q = 1.0 - psi
    tail = sum(math.comb(n, i) * (psi**i * q ** (n - i) + psi ** (n - i) * q**i) for i in range(k + 1))
    return tail >= power


SMALL_N = 400  # up to here the exact sums in Python are cheaper than importing scipy.stats (~0.5 s)


def discordant_needed(psi: float, alpha: float = 0.05, power: float = 0.8, limit: int = 100_000) -> int | None:
    """Flips an exact McNemar test needs when a share `psi` of them are regressions; None at 0.5.

    The normal approximation ((z_a/2 + z_b sqrt(psi(1-psi))) / |psi - 1/2|)^2 is far off at the
    extremes (it says 4 flips for 2:0, but 4 of 4 is p = 0.125), so the exact power of the exact
    test is computed from there on: the first n whose rejection region (two-sided, p < alpha) has
    probability >= power under Binomial(n, psi). Small n are summed exactly in Python, larger ones
    with scipy.stats (imported only then: the import alone costs a UI page ~0.5 s of CPU)."""
    if abs(psi - 0.5) < 1e-12:
        return None
    za, zb = z(1 - alpha / 2), z(power)
    approx = ((za * 0.5 + zb * math.sqrt(psi * (1 - psi))) / abs(psi - 0.5)) ** 2
    n = max(1, int(approx * 0.5))
    while n <= limit:
        small = _power_small(n, psi, alpha, power)
        if small is None:
            break
        if small:
            return n
        n += 1
    try:
        from scipy.stats import binom
    except ImportError:  # pragma: no cover - scipy is in the venv
        return max(1, math.ceil(approx - 1e-9))
    while n <= limit:
        # the largest k with 2 * P(X <= k | 1/2) < alpha: reject when x <= k or x >= n - k
        k = int(binom.ppf(alpha / 2, n, 0.5))
        while k >= 0 and 2 * binom.cdf(k, n, 0.5) >= alpha:
            k -= 1
        if k >= 0 and binom.cdf(k, n, psi) + binom.sf(n - k - 1, n, psi) >= power:
            return n
        n += 1
    return None
