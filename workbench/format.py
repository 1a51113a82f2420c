"""Number formatting shared by the CLI, reports and UI: $ with enough decimals, unknown != 0.

`fmt_cost` is the one money format: plain decimal notation (never `1.4e-06`), three significant
digits below a cent (`$0.00000142`), never a rounded-away `$0.000000` for a nonzero amount.
"""

from __future__ import annotations

import math
from typing import Any


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


def fmt_spend(model: float | None, grader: float | None) -> str:
    """A run's bill: `$X (model $Y + grading $Z)`, or the model spend alone when nothing was graded
    by a model. Any unknown part makes the total unknown."""
    if not grader:
        return fmt_cost(model) if grader is not None else f"{fmt_cost(model)} + grading unknown"
    total = None if model is None else model + grader
    share = f", grading {grader / total:.1%}" if total else ""
    return f"{fmt_cost(total)} (model {fmt_cost(model)} + grading {fmt_cost(grader)}{share})"


def fmt_price(price: dict[str, Any] | None) -> str:
    """A recorded price (`Price.to_dict()`): `litellm:gpt-4o $2.5/$10 per 1M in/out`,
    `compute:cpu-small $0.0893/hour x busy time`, or `unknown`."""
    if not price:
        return "unknown"
    source = str(price.get("source") or "?")
    if price.get("per_hour") is not None:
        return f"{source} ${float(price['per_hour']):g}/hour x busy time"
    pin = float(price.get("input_per_token") or 0.0) * 1e6
    pout = float(price.get("output_per_token") or 0.0) * 1e6
    cached = price.get("cache_read_per_token")
    extra = f", cached input ${float(cached) * 1e6:g}" if cached is not None else ""
    return f"{source} ${pin:g}/${pout:g} per 1M in/out{extra}"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"
