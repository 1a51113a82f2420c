"""One money format (workbench/format.fmt_cost): never scientific notation, never a nonzero amount
rounded to `$0.000000`, and every writer (Markdown report, compression summary, gates) uses it."""

from __future__ import annotations

import re

import pytest

from workbench.analysis.variant_deltas import VariantDelta, format_deltas
from workbench.format import fmt_cost
from workbench.report.markdown import money

BAD = re.compile(r"e-?\d|\$0\.0+(?!\d)")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.41667e-06, "$0.00000142"),
        (0.000107, "$0.000107"),
        (2.5e-09, "$0.0000000025"),
        (-2.5e-07, "-$0.00000025"),
        (0.0099, "$0.0099"),
        (0.5, "$0.5000"),
        (3, "$3.00"),
        (1234, "$1,234"),
        (0, "$0"),
        (None, "unknown"),
        (1e-30, "<$0.000000000001"),
    ],
)
def test_fmt_cost(value: float | None, shown: str) -> None:
    assert fmt_cost(value) == shown
    assert not BAD.search(shown)


def test_markdown_money_is_fmt_cost() -> None:
    assert money(1.41667e-06) == "$0.00000142"


def test_compression_summary_savings_not_rounded_to_zero() -> None:
    fields = {f: None for f in VariantDelta.__dataclass_fields__}
    fields.update(
        prompt="p/v1",
        variant="llmlingua:0.5",
        model="m",
        pass_rate=1.0,
        pass_rate_delta=0.0,
        score_delta=0.0,
        tokens_saved_per_request=9.0,
        cost_saved_per_request=9e-08,
        compressor_seconds=0.4,
        acceptable=True,
    )
    line = format_deltas([VariantDelta(**fields)])[0]
    assert "$0.00000009 per request" in line
    assert not BAD.search(line)
