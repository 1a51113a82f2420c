"""Assertions: `grade_test` grades one row; `table.TABLE` maps promptfoo types to handlers."""

from __future__ import annotations

from workbench.assertions.scoring import grade_test, run_assertion

__all__ = ["grade_test", "run_assertion"]
