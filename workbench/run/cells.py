"""The run matrix: a suite and a run config expanded into cells, in promptfoo's order."""

from __future__ import annotations

import re
from collections.abc import Iterator

from workbench.run.config import RunConfig
from workbench.types import Cell, Suite


def matches_filter(filters: list[str] | None, *names: str | None) -> bool:
    return filters is None or any(n in filters for n in names if n)


def expand_cells(suite: Suite, config: RunConfig) -> Iterator[Cell]:
    """Cells in promptfoo's order: tests outer, prompts, variants, providers, repeats inner."""
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
                        yield cell


def count_cells(suite: Suite, config: RunConfig) -> int:
    return sum(1 for _ in expand_cells(suite, config))
