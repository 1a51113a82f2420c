"""The run matrix: a suite and a run config expanded into cells, in promptfoo's order.

Cells are made lazily, one test at a time (a large suite's tests are read from its TestBank as
they are reached), and each comes with its test, so no step needs a table of all tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from workbench.run.config import RunConfig
from workbench.suite.test_bank import facts_for
from workbench.types import Cell, Suite, TestCase


def matches_filter(filters: list[str] | None, *names: str | None) -> bool:
    return filters is None or any(n in filters for n in names if n)


def expand_with_tests(suite: Suite, config: RunConfig) -> Iterator[tuple[Cell, TestCase]]:
    """(cell, its test) in promptfoo's order: tests outer, prompts, variants, providers, repeats inner."""
    prov_re = re.compile(config.filter_providers) if config.filter_providers else None
    prompt_re = re.compile(config.filter_prompts) if config.filter_prompts else None
    n = 0
    for test in suite.tests:
        for p_idx, prompt in enumerate(suite.prompts):
            if not matches_filter(test.prompts, prompt.label, prompt.id):
                continue
            if prompt_re and not prompt_re.search(prompt.label):
                continue
            for variant in config.variants:
                for v_idx, prov in enumerate(suite.providers):
                    if not matches_filter(test.providers, prov.id, prov.label):
                        continue
                    if prov_re and not (prov_re.search(prov.id) or (prov.label and prov_re.search(prov.label))):
                        continue
                    for rep in range(config.repeat):
                        cell = Cell(p_idx, v_idx, test.index, rep, variant)
                        if config.shard is not None:
                            i, total = config.shard
                            keep = n % total == i - 1
                            n += 1
                            if not keep:
                                continue
                        yield cell, test


def expand_cells(suite: Suite, config: RunConfig) -> Iterator[Cell]:
    """The cells of `expand_with_tests`, without their tests."""
    for cell, _ in expand_with_tests(suite, config):
        yield cell


def count_cells(suite: Suite, config: RunConfig) -> int:
    """How many cells `expand_cells` makes. Without test-level `providers`/`prompts` filters every
    test makes the same cells, so this is arithmetic, not a pass over the tests."""
    if facts_for(suite.tests).filters or (config.shard is not None and not 1 <= config.shard[0] <= config.shard[1]):
        return sum(1 for _ in expand_cells(suite, config))
    prov_re = re.compile(config.filter_providers) if config.filter_providers else None
    prompt_re = re.compile(config.filter_prompts) if config.filter_prompts else None
    prompts = sum(1 for p in suite.prompts if not (prompt_re and not prompt_re.search(p.label)))
    providers = sum(
        1
        for p in suite.providers
        if not (prov_re and not (prov_re.search(p.id) or (p.label and prov_re.search(p.label))))
    )
    total = len(suite.tests) * prompts * len(config.variants) * providers * config.repeat
    if config.shard is None:
        return total
    i, shards = config.shard
    return total // shards + (1 if total % shards > i - 1 else 0)
