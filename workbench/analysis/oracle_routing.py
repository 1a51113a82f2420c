"""Oracle routing bound: what a perfect per-input router could save on this suite.

For every test, the cheapest pair that passed it (all repeats, known price). An oracle router
sends each input to that pair; inputs no pair passed fall back to the recommended pair. Its mean
cost per request, against the single cheapest acceptable pair, is an UPPER BOUND on the saving
any real router could reach here: the oracle knows the answer before it routes.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis.recommend import Acceptance, recommend
from workbench.store import queries

LABEL = "upper bound (oracle router: knows in advance which pair passes each input)"


@dataclass
class RoutingBound:
    label: str
    tests: int
    covered: int  # tests some priced pair passed
    pick: str | None
    pick_cost: float | None  # mean cost per request of the single pick, over tests
    pick_pass_rate: float | None  # share of tests the pick passed (all repeats)
    oracle_cost: float | None
    oracle_pass_rate: float
    saving: float | None  # 1 - oracle / pick
    routed: dict[str, int] = field(default_factory=dict)  # pair name -> tests sent to it

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def routing_bound(db: Database, run_ids: Sequence[int], acceptance: Acceptance | None = None) -> RoutingBound:
    rec = recommend(db, run_ids, acceptance)
    names = {(p.prompt_version_id, p.variant, p.model): p.name for p in rec.pairs}
    pick = rec.pick
    pick_key = [pick.prompt_version_id, pick.variant, pick.model] if pick else [None, None, None]
    routed: Counter[str] = Counter()
    tests = covered = pick_passes = unknown = 0
    oracle_total = pick_total = 0.0
    with _per_test_table(db, run_ids) as per:
        sql = f"""
            with best as (
              select test, pv, variant, model, min(cost) as cost from {per}
              where passed = 1 and unknown = 0 group by test
            ),
            tests as (select distinct test from {per})
            select b.pv, b.variant, b.model, count(*), sum(coalesce(b.cost, pk.cost)),
                   sum(b.cost is null and pk.cost is null), sum(pk.cost), sum(pk.passed)
            from tests t
            left join best b on b.test = t.test
            left join {per} pk on pk.test = t.test and pk.pv is ? and pk.variant is ? and pk.model is ?
            group by b.pv, b.variant, b.model
        """
        for pv, variant, model, n, total, missing, pick_cost_sum, passed in db.execute(sql, pick_key).fetchall():
            tests += n
            unknown += missing
            oracle_total += total or 0.0
            pick_total += pick_cost_sum or 0.0
            pick_passes += passed or 0
            if pv is None and variant is None and model is None:  # no pair passed: served by the pick
                if pick and n - missing:
                    routed[pick.name] += n - missing
            else:
                covered += n
                routed[names.get((pv, variant, model), f"{pv}:{variant}:{model}")] += n
    oracle_cost = oracle_total / tests if tests and not unknown and pick else None
    pick_cost = pick_total / tests if tests and pick else None
    return RoutingBound(
        label=LABEL,
        tests=tests,
        covered=covered,
        pick=pick.name if pick else None,
        pick_cost=pick_cost,
        pick_pass_rate=pick_passes / tests if tests and pick else None,
        oracle_cost=oracle_cost,
        oracle_pass_rate=covered / tests if tests else 0.0,
        saving=(1 - oracle_cost / pick_cost) if oracle_cost is not None and pick_cost else None,
        routed=dict(sorted(routed.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


_counter = itertools.count()


@contextmanager
def _per_test_table(db: Database, run_ids: Sequence[int]) -> Iterator[str]:
    """One row per (test identity, pair): all repeats passed, mean uncached cost, unknown prices."""
    name = f"_route_{next(_counter)}"
    where, params = queries.run_ids_where(run_ids)
    uc = queries.UNCACHED_COST
    try:
        db.execute(
            f"""create temp table {name} as
            select tc.identity as test, a.pv, a.variant, a.model, min(a.passed) as passed,
                   sum(a.cost_sum) / sum(a.n) as cost, sum(a.unknown) as unknown
            from (
              select run_id, test_idx, prompt_version_id as pv, variant, provider_label as model,
                     min(success) as passed, count(*) as n, sum({uc}) as cost_sum, sum({uc} is null) as unknown
              from results where {where}
              group by run_id, prompt_version_id, variant, provider_label, test_idx
            ) a join test_cases tc on tc.run_id = a.run_id and tc.test_idx = a.test_idx
            group by tc.identity, a.pv, a.variant, a.model""",
            params,
        )
        db.execute(f"create index temp.{name}_test on {name} (test, pv, variant, model)")
        yield name
    finally:
        db.execute(f"drop table if exists temp.{name}")
