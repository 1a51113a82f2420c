"""One price per pair when runs are pooled: results of older runs are re-priced at the newest price.

Each run records the price it charged every provider (`run_providers.price`, m008), and within a
run every result of a provider carries that price (cache hits are re-priced when served). Pooling
runs whose recorded prices for one model differ would mix two prices in one pair; `reprice_pooled`
recomputes such pairs' cost sums from the stored usage (tokens, cached/reasoning tokens, busy time)
with the newest run's price, through the same `Price.cost` the calls used. Results a fallback
answered keep their stored cost (the fallback's price is not the primary's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from workbench.providers.pricing import Price
from workbench.store.json_columns import loads
from workbench.store.queries import UNCACHED_COST, placeholders

PRICES_BY_RUN = "select run_id, label, price from run_providers where run_id in ({marks}) order by run_id desc"


def mixed_price_labels(db: Database, run_ids: Sequence[int]) -> dict[str, dict[str, Any] | None]:
    """provider label -> the newest recorded price, for labels whose recorded price differs across the runs."""
    cols = {c[1] for c in db.execute("pragma table_info(run_providers)").fetchall()}
    if "price" not in cols or len(run_ids) < 2:
        return {}
    seen: dict[str, list[Any]] = {}
    for _, label, price in db.execute(PRICES_BY_RUN.format(marks=placeholders(run_ids)), list(run_ids)).fetchall():
        seen.setdefault(label, []).append(loads(price) if price else None)
    return {label: prices[0] for label, prices in seen.items() if any(p != prices[0] for p in prices[1:])}


def reprice_pooled(db: Database, run_ids: Sequence[int], aggregates: list[dict[str, Any]]) -> list[str]:
    """Re-price, in place, the aggregate rows of pairs whose model had different prices in `run_ids`;
    returns the labels re-priced."""
    newest = mixed_price_labels(db, run_ids)
    for row in aggregates:
        label = row["provider_label"]
        if label not in newest:
            continue
        price = Price.from_dict(newest[label])
        sums = {"sum_cost": 0.0, "priced": 0, "unknown_cost": 0, "s_ci": 0.0, "s_co": 0.0}
        cur = db.execute(
            f"select tokens_in, tokens_out, usage, latency_ms, error, fallback_used, {UNCACHED_COST} from results"
            f" where run_id in ({placeholders(run_ids)}) and prompt_version_id is ? and variant is ?"
            " and provider_label is ?",
            [*run_ids, row["prompt_version_id"], row["variant"], label],
        )
        for tin, tout, usage, latency, error, fallback, stored in cur:
            if fallback is not None:
                cost = stored
            elif price is None or (error is not None and stored is None):
                cost = None
            else:
                cost = price.cost(tin, tout, loads(usage) if usage else None, latency)
            if cost is None:
                sums["unknown_cost"] += int(error is None)
                continue
            sums["sum_cost"] += cost
            sums["priced"] += 1
            sums["s_ci"] += cost * (tin or 0)
            sums["s_co"] += cost * (tout or 0)
        row.update(sums)
        row["sum_cost"] = sums["sum_cost"] if sums["priced"] else None
    return list(newest)
