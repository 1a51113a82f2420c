from __future__ import annotations

import pytest

from workbench.analysis.stats import intervals_overlap, percentile, wilson_interval


def test_wilson_matches_reference_values() -> None:
    # Reference: Wilson score interval, z = 1.96 (e.g. statsmodels proportion_confint method="wilson").
    low, high = wilson_interval(18, 20)
    assert low == pytest.approx(0.6990, abs=1e-4)
    assert high == pytest.approx(0.9721, abs=1e-4)
    low, high = wilson_interval(9, 10)
    assert (round(low, 4), round(high, 4)) == (0.5958, 0.9821)


def test_wilson_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(0.7225, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)


def test_more_samples_narrow_the_interval() -> None:
    small = wilson_interval(9, 10)
    large = wilson_interval(900, 1000)
    assert large[1] - large[0] < (small[1] - small[0]) / 5


def test_overlap_and_percentile() -> None:
    assert intervals_overlap((0.1, 0.5), (0.5, 0.9))
    assert not intervals_overlap((0.1, 0.4), (0.5, 0.9))
    assert percentile([], 0.95) is None
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
