"""Oracle routing bound: what a perfect per-input router could save on this suite.

For every test, the cheapest pair that passed it (all repeats, known price). An oracle router
sends each input to that pair; inputs no pair passed fall back to the recommended pair. Its mean
cost per request, against the single cheapest acceptable pair, is an UPPER BOUND on the saving
any real router could reach here: the oracle knows the answer before it routes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis import queries
from workbench.analysis.recommend import Acceptance, recommend

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
    where, params = queries.run_ids_where(run_ids)
    per_test = f"""
        select tc.identity as test, r.prompt_version_id as pv, r.variant, r.provider_label as model,
               min(r.success) as passed, avg({queries.UNCACHED_COST}) as cost,
               sum({queries.UNCACHED_COST} is null) as unknown
        from results r join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx
        where r.{where}
        group by tc.identity, r.prompt_version_id, r.variant, r.provider_label
    """
    sql = f"""
        with per as ({per_test}),
        best as (
          select test, pv, variant, model, cost,
                 row_number() over (partition by test order by cost, pv, variant, model) as rn
          from per where passed = 1 and unknown = 0
        ),
        tests as (select distinct test from per)
        select t.test, b.pv, b.variant, b.model, b.cost, p.cost as pick_cost, p.passed as pick_passed
        from tests t
        left join best b on b.test = t.test and b.rn = 1
        left join per p on p.test = t.test and p.pv is ? and p.variant is ? and p.model is ?
    """
    pick_key = [pick.prompt_version_id, pick.variant, pick.model] if pick else [None, None, None]
    rows = db.execute(sql, [*params, *pick_key]).fetchall()
    tests = len(rows)
    covered = sum(1 for r in rows if r[4] is not None)
    routed: Counter[str] = Counter()
    oracle_total = 0.0
    oracle_known = True
    pick_total = 0.0
    pick_passes = 0
    for _test, pv, variant, model, cost, pick_cost, pick_passed in rows:
        if cost is not None:
            routed[names.get((pv, variant, model), f"{pv}:{variant}:{model}")] += 1
            oracle_total += cost
        elif pick_cost is not None:
            routed[pick.name if pick else "?"] += 1
            oracle_total += pick_cost
        else:
            oracle_known = False
        pick_total += pick_cost or 0.0
        pick_passes += int(pick_passed or 0)
    oracle_cost = oracle_total / tests if tests and oracle_known and pick else None
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
        routed=dict(routed.most_common()),
    )
