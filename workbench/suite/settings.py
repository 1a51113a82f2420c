"""`parse_settings`: the suite's `workbench:` block -> `SuiteSettings`, once, when the suite loads.

Bad values are refused here with one line naming the file and the key (`s.yaml:
workbench.retries: expected a mapping ...`), before anything runs. The keys and what reads them:

    variants           run/command.py (the run's variants unless --variants)
    compressible, question_var, compression
                       compression/variants.py (which vars are compressed, with what model)
    acceptance         analysis/recommend.py (stored with the run as written)
    max_cost, prices   run/budget.py, run/estimate.py, providers/stack.py
    fallbacks, retries, cache
                       providers/stack.py
    batch              run/batch_mode.py
    test_doubles       run/engine.py (providers whose results are not real model answers)
    prompt_growth_warn analysis/system_metrics.py (stored with the run as written)
    allow_paths        read by the loader itself (file access), not kept here
"""

from __future__ import annotations

import math
from typing import Any

from workbench.errors import SuiteError
from workbench.suite.validate import expect_list
from workbench.types import SuiteCompression, SuiteSettings

# Every key parse_settings reads: validate.WORKBENCH_KEYS is these plus `allow_paths` (read by the
# loader); any other key in a `workbench:` block is warned about as unknown.
PARSED_KEYS = (
    "variants",
    "compressible",
    "question_var",
    "compression",
    "acceptance",
    "max_cost",
    "prices",
    "fallbacks",
    "retries",
    "cache",
    "batch",
    "test_doubles",
    "prompt_growth_warn",
)
FIELD_OF_KEY = {"cache": "cache_ttl"}


def parse_settings(block: dict[str, Any] | None, file: str | None) -> SuiteSettings:
    """The typed settings of one `workbench:` block (already checked to be a mapping)."""
    wb = block or {}
    max_cost = wb.get("max_cost")
    if max_cost is not None and (
        isinstance(max_cost, bool) or not isinstance(max_cost, (int, float)) or not 0 <= max_cost < math.inf
    ):
        raise SuiteError(file, "workbench.max_cost", f"must be a finite number >= 0 (USD), got {max_cost!r}")
    test_doubles = expect_list(wb.get("test_doubles") or [], file, "workbench.test_doubles")
    for i, entry in enumerate(test_doubles):
        if not isinstance(entry, str):
            raise SuiteError(file, f"workbench.test_doubles[{i}]", "expected a provider id, label or id prefix")
    prices = wb.get("prices")
    acceptance = wb.get("acceptance")
    batch = wb.get("batch")
    return SuiteSettings(
        variants=_variants(wb.get("variants"), file),
        compressible=_compressible(wb.get("compressible"), file),
        question_var=None if wb.get("question_var") is None else str(wb["question_var"]),
        compression=_compression(wb.get("compression"), file),
        acceptance=dict(acceptance) if isinstance(acceptance, dict) else {},
        max_cost=None if max_cost is None else float(max_cost),
        prices=dict(prices) if isinstance(prices, dict) else None,  # anything else: no suite prices
        fallbacks=_mapping(wb.get("fallbacks"), file, "workbench.fallbacks", "a mapping of provider id -> list of ids"),
        retries=_mapping(
            wb.get("retries"), file, "workbench.retries", "a mapping (max_attempts, timeout, retry_base_delay)"
        ),
        cache_ttl=_cache_ttl(wb.get("cache"), file),
        batch=dict(batch) if isinstance(batch, dict) else None,
        test_doubles=list(test_doubles),
        prompt_growth_warn=wb.get("prompt_growth_warn"),
        given=frozenset(FIELD_OF_KEY.get(k, k) for k in PARSED_KEYS if k in wb),
    )


def _variants(value: Any, file: str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in expect_list(value, file, "workbench.variants")]


def _compressible(value: Any, file: str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise SuiteError(file, "workbench.compressible", "must be a list of var names")
    return list(value)


def _compression(value: Any, file: str | None) -> SuiteCompression:
    comp = value or {}
    if not isinstance(comp, dict):
        raise SuiteError(file, "workbench.compression", "must be a mapping such as {model: smollm2-135m}")
    keep_facts = comp.get("keep_facts", True)
    if not isinstance(keep_facts, bool):
        raise SuiteError(file, "workbench.compression.keep_facts", f"expected true or false, got {keep_facts!r}")
    model, lingua2 = comp.get("model"), comp.get("llmlingua2_model")
    return SuiteCompression(
        model=str(model) if model else None,
        llmlingua2_model=str(lingua2) if lingua2 else None,
        keep_facts=keep_facts,
    )


def _mapping(value: Any, file: str | None, where: str, expected: str) -> dict[str, Any]:
    table = value or {}
    if not isinstance(table, dict):
        raise SuiteError(file, where, f"expected {expected}")
    return dict(table)


def _cache_ttl(value: Any, file: str | None) -> float | None:
    if not isinstance(value, dict) or value.get("ttl") is None:
        return None
    ttl = value["ttl"]
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float, str)):
        raise SuiteError(file, "workbench.cache.ttl", f"must be a number of seconds, got {ttl!r}")
    try:
        return float(ttl)
    except ValueError:
        raise SuiteError(file, "workbench.cache.ttl", f"must be a number of seconds, got {ttl!r}") from None
