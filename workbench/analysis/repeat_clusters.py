"""Repeats as clusters: a test run k times is one piece of evidence about the pair, not k.

Per (pair, test) the pass fraction f over its repeats (and over the runs pooled, matched by test
identity); per pair: tests T, results N, sum f, sum f^2, tests that passed every repeat (pass^k),
tests whose repeats disagreed (flaky). `apply` replaces each pair's Wilson interval by the cluster
interval (`stats.cluster_interval`), so deterministic repeats no longer narrow it. A single run
without repeats needs none of this and is left as it is (no extra query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from workbench.analysis.stats import cluster_effective_n, cluster_interval
from workbench.store import queries

PER_PAIR = """
    select prompt_version_id, variant, provider_label, count(*), sum(k), sum(f), sum(f * f), sum(f >= 1.0),
           sum(f > 0 and f < 1), max(k)
    from (
        select r.prompt_version_id, r.variant, r.provider_label,
               coalesce(tc.identity, r.run_id || ':' || r.test_idx) as t, avg(r.success) as f, count(*) as k
        from results r left join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx
        where r.run_id in ({marks})
        group by r.prompt_version_id, r.variant, r.provider_label, t
    ) group by prompt_version_id, variant, provider_label
"""


@dataclass(frozen=True)
class Clusters:
    tests: int
    results: int
    sum_f: float
    sum_f2: float
    all_pass: int  # tests that passed every one of their repeats
    flaky: int  # tests whose repeats disagreed
    max_repeats: int

    @property
    def effective_n(self) -> float:
        return cluster_effective_n(self.tests, self.results, self.sum_f, self.sum_f2)

    @property
    def interval(self) -> tuple[float, float]:
        return cluster_interval(self.tests, self.results, self.sum_f, self.sum_f2)

    @property
    def pass_k(self) -> float | None:
        """pass^k: the share of tests that passed all of their k repeats."""
        return self.all_pass / self.tests if self.tests else None


def has_repeats(db: Database, run_ids: Sequence[int]) -> bool:
    if len(run_ids) > 1:
        return True  # the same test in two runs is a repeat too
    return queries.run_has_repeats(db, run_ids[0])


def pair_clusters(db: Database, run_ids: Sequence[int]) -> dict[tuple[Any, ...], Clusters]:
    """(prompt_version_id, variant, provider_label) -> its clusters."""
    sql = PER_PAIR.format(marks=", ".join("?" * len(run_ids)))
    return {
        (r[0], r[1], r[2]): Clusters(
            int(r[3]), int(r[4]), float(r[5] or 0), float(r[6] or 0), int(r[7]), int(r[8]), int(r[9])
        )
        for r in db.execute(sql, list(run_ids)).fetchall()
    }
