"""The recommendation with the trained router's alternative: what `workbench recommend` shows.

`analysis.recommend.recommend_for` picks the cheapest acceptable pair; `with_router` adds, when a
router was trained on the run's suite, `routing`: its "single cheapest acceptable model vs routed" summary.
"""

from __future__ import annotations

from sqlite_utils import Database

from workbench.analysis.recommend import Recommendation
from workbench.analysis.router_figures import RouterSummary
from workbench.routing.router_summary import DEFAULT_REQUESTS_PER_DAY, router_for_run, routing_summary


def routed_alternative(db: Database, run_id: int, requests_per_day: float | None) -> RouterSummary | None:
    """The newest trained router for the run's suite: single cheapest acceptable model vs routed,
    with the monthly saving at `requests_per_day` (the router's default volume when None)."""
    router_id = router_for_run(db, run_id)
    if router_id is None:
        return None
    volume = DEFAULT_REQUESTS_PER_DAY if requests_per_day is None else requests_per_day
    return routing_summary(db, requests_per_day=volume, router_id=router_id)


def with_router(db: Database, rec: Recommendation, requests_per_day: float | None) -> Recommendation:
    """`rec` (of one run) with `routing` set when a router was trained on the run's suite."""
    rec.routing = routed_alternative(db, rec.run_ids[0], requests_per_day)
    return rec
