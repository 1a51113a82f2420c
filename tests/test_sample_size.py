"""The planner's sample-size arithmetic, checked against simulations with a fixed seed."""

from __future__ import annotations

import numpy as np

from workbench.analysis.sample_size import (
    discordant_needed,
    estimate_icc,
    needed_tests,
    repeats_needed,
    samples_per_side,
    samples_per_test,
)
from workbench.analysis.significance import exact_binomial_p
from workbench.analysis.stats import Z95

RNG = np.random.default_rng(16)


def _z_test_power(n: int, p0: float, p1: float, trials: int = 4000) -> float:
    """Share of simulated BASE/HEAD pairs a pooled two-sided two-proportion z-test rejects."""
    a = RNG.binomial(n, p0, trials) / n
    b = RNG.binomial(n, p1, trials) / n
    pooled = (a + b) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, np.abs(a - b) / se, 0.0)
    return float((stat > Z95).mean())


def test_samples_per_side_gives_the_asked_power() -> None:
    n = samples_per_side(0.9, 0.1, alpha=0.05, power=0.8)
    assert n == 199  # Fleiss' formula for 90% -> 80%
    assert 0.76 <= _z_test_power(n, 0.9, 0.8) <= 0.86
    assert _z_test_power(n // 2, 0.9, 0.8) < 0.6  # half the samples: clearly underpowered
    n95 = samples_per_side(0.9, 0.1, power=0.95)
    assert 0.92 <= _z_test_power(n95, 0.9, 0.8) <= 0.98


def test_repeats_are_worth_the_design_effect() -> None:
    """Beta-binomial tests (intra-class correlation rho): the variance of the pass rate of T tests x k
    repeats equals that of T * k / (1 + (k - 1) rho) independent samples."""
    p, rho, tests, k = 0.8, 0.4, 40, 5
    a = p * (1 / rho - 1)
    b = (1 - p) * (1 / rho - 1)
    rates = [RNG.binomial(k, RNG.beta(a, b, tests)).sum() / (tests * k) for _ in range(4000)]
    expected = p * (1 - p) / (tests * samples_per_test(k, rho))
    assert abs(float(np.var(rates)) / expected - 1) < 0.1
    assert samples_per_test(5, 1.0) == 1.0 and samples_per_test(5, 0.0) == 5.0
    assert needed_tests(199, 1, 1.0) == 199 and needed_tests(199, 5, 0.0) == 40
    assert repeats_needed(199, 3, 1.0) is None  # deterministic repeats never reach it
    assert repeats_needed(199, 50, 0.0) == 4


def test_icc_is_recovered_from_simulated_repeats() -> None:
    p, rho, tests, k = 0.7, 0.5, 400, 4
    a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
    f = RNG.binomial(k, RNG.beta(a, b, tests)) / k
    icc = estimate_icc(tests, k, float(f.sum()), float((f * f).sum()))
    assert icc is not None and abs(icc - rho) < 0.1
    deterministic = (RNG.random(50) < 0.8).astype(float)
    assert estimate_icc(50, 3, float(deterministic.sum()), float(deterministic.sum())) == 1.0
    assert estimate_icc(10, 1, 5.0, 5.0) is None


def _exact_power(n: int, psi: float, trials: int = 3000) -> float:
    b = RNG.binomial(n, psi, trials)
    return float(np.mean([exact_binomial_p(int(x), n - int(x)) < 0.05 for x in b]))


def test_discordant_flips_needed_give_the_exact_mcnemar_its_power() -> None:
    assert discordant_needed(0.5) is None
    assert discordant_needed(1.0) == 6  # 6 of 6 one way: p = 2/64 < 0.05; 5 of 5: p = 0.0625
    for psi in (0.9, 0.75, 0.25):
        n = discordant_needed(psi)
        assert n is not None
        assert _exact_power(n, psi) >= 0.77, psi
        assert _exact_power(int(n * 0.6), psi) < 0.75, psi


def test_discordant_needed_small_n_matches_scipy_without_importing_it() -> None:
    """The Compare page's 'to settle it' line must not pay scipy.stats' import (~0.5 s CPU)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom workbench.analysis.sample_size import discordant_needed as d\n"
        "print([d(b / (b + i)) for b, i in ((100, 1), (9, 1), (3, 2), (1, 4), (12, 0))])\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    from scipy.stats import binom

    def exact(psi: float) -> int:
        n = 1
        while True:
            k = int(binom.ppf(0.025, n, 0.5))
            while k >= 0 and 2 * binom.cdf(k, n, 0.5) >= 0.05:
                k -= 1
            if k >= 0 and binom.cdf(k, n, psi) + binom.sf(n - k - 1, n, psi) >= 0.8:
                return n
            n += 1

    assert out[0] == str([exact(b / (b + i)) for b, i in ((100, 1), (9, 1), (3, 2), (1, 4), (12, 0))])
    assert out[1] == "False"
