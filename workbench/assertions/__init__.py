"""Assertions: `scoring.grade_test` grades one row; `table.TABLE` maps promptfoo types to handlers."""
