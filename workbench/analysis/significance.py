"""Is a change a regression or noise? An exact McNemar test on the paired flips of a comparison.

BASE and HEAD ran the same tests, so the evidence is in the discordant pairs: tests that passed in
BASE and fail in HEAD (regressed, b) and the reverse (improved, c). Under "no change" each flip is
a fair coin, so b ~ Binomial(b + c, 1/2); the two-sided exact p-value is
min(1, 2 * P(X <= min(b, c))). Tests that passed (or failed) on both sides carry no information
about the difference, which is why 1 flip in 1,000 tests is as inconclusive as 1 in 10.

scipy's `binomtest` is used when it is installed (it is in workbench's venv); the fallback sums the
binomial exactly with integers, so both give the same value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DEFAULT_ALPHA = 0.05

REGRESSED = "regressed"
IMPROVED = "improved"
INCONCLUSIVE = "inconclusive"


def exact_binomial_p(b: int, c: int) -> float:
    """Two-sided exact p-value of b vs c discordant pairs (the exact McNemar test), pure Python."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2**n)


def mcnemar_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b regressions and c improvements."""
    if b + c == 0:
        return 1.0
    if min(b, c) <= 200:  # a short exact integer sum; importing scipy.stats costs a UI page ~0.5 s CPU
        return exact_binomial_p(b, c)
    try:
        from scipy.stats import binomtest
    except ImportError:  # pragma: no cover - scipy is in the venv; the fallback is tested directly
        return exact_binomial_p(b, c)
    return float(min(1.0, binomtest(min(b, c), b + c, 0.5).pvalue))


@dataclass(frozen=True)
class Significance:
    regressed: int  # b: passed in BASE, fail in HEAD
    improved: int  # c: failed in BASE, pass in HEAD
    p_value: float
    alpha: float

    @property
    def verdict(self) -> str:
        if self.p_value < self.alpha and self.regressed != self.improved:
            return REGRESSED if self.regressed > self.improved else IMPROVED
        return INCONCLUSIVE

    def line(self) -> str:
        """e.g. `regressed (8 regressed vs 0 improved, McNemar p = 0.0078 < 0.05)`."""
        rel = "<" if self.p_value < self.alpha else ">="
        return (
            f"{self.verdict} ({self.regressed} regressed vs {self.improved} improved,"
            f" McNemar p = {self.p_value:.2g} {rel} {self.alpha:g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressed": self.regressed,
            "improved": self.improved,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "verdict": self.verdict,
        }


def mcnemar(regressed: int, improved: int, alpha: float = DEFAULT_ALPHA) -> Significance:
    return Significance(regressed, improved, mcnemar_p(regressed, improved), alpha)
