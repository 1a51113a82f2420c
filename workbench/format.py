"""Number formatting shared by the CLI, reports and UI: $ with enough decimals, unknown != 0.

`fmt_cost` is the one money format: plain decimal notation (never `1.4e-06`), three significant
digits below a cent (`$0.00000142`), never a rounded-away `$0.000000` for a nonzero amount.
"""

from __future__ import annotations

import math


def fmt_cost(value: float | None, *, unknown: str = "unknown") -> str:
    """$ with enough significant digits for per-call costs; None is `unknown`, never $0."""
    if value is None:
        return unknown
    if value == 0:
        return "$0"
    a = abs(value)
    if a >= 100:
        return f"${value:,.0f}"
    if a >= 1:
        return f"${value:,.2f}"
    if a >= 0.01:
        return f"${value:.4f}"
    if a < 1e-12:
        return "<$0.000000000001"  # nonzero, below anything a price map holds
    decimals = -math.floor(math.log10(a)) + 2  # three significant digits
    text = f"{a:.{decimals}f}".rstrip("0")
    return f"{'-' if value < 0 else ''}${text}"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"
