"""Rows of tests with cross-output assertions, held until their (test, repeat) group is complete."""

from __future__ import annotations

from collections.abc import Container

from workbench.assertions.cross_output import any_cross_type, apply_cross_output, needs_cross
from workbench.run.cells import expand_cells
from workbench.run.config import RunConfig
from workbench.suite.test_bank import facts_for
from workbench.types import CellResult, Suite, TestCase


class CrossOutputGroups:
    """Holds the rows of tests with cross-output assertions until their (test, repeat) group is complete."""

    def __init__(self, suite: Suite, config: RunConfig, done: Container[str]) -> None:
        self.suite = suite
        self.config = config
        self.tests: dict[int, TestCase] = {}
        self.expected: dict[tuple[int, int], int] = {}
        self.held: dict[tuple[int, int], list[CellResult]] = {}
        if not any_cross_type(facts_for(suite.tests).assert_types):
            return  # the common case: no pass over the tests at all
        self.tests = {t.index: t for t in suite.tests if needs_cross(t)}
        if self.tests:
            for cell in expand_cells(suite, config):
                if cell.test_idx in self.tests and cell.key not in done:
                    key = (cell.test_idx, cell.repeat)
                    self.expected[key] = self.expected.get(key, 0) + 1

    async def add(self, result: CellResult) -> list[CellResult]:
        """The rows ready to store: `result` itself, or a whole graded group once it is complete."""
        key = (result.cell.test_idx, result.cell.repeat)
        if key not in self.expected:
            return [result]
        group = self.held.setdefault(key, [])
        group.append(result)
        if len(group) < self.expected[key]:
            return []
        del self.held[key]
        await apply_cross_output(group, self.tests[key[0]], self.config.grade, self.suite.base_dir)
        return group

    async def drain(self) -> list[CellResult]:
        """Grade and release incomplete groups (a budget stop): compare what exists."""
        out: list[CellResult] = []
        for key, group in list(self.held.items()):
            await apply_cross_output(group, self.tests[key[0]], self.config.grade, self.suite.base_dir)
            out.extend(group)
        self.held.clear()
        return out
