"""Number formatting shared by the CLI, reports and UI: $ with enough decimals, unknown != 0."""

from __future__ import annotations


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
    return f"${value:.3g}" if a >= 1e-4 else f"${value:.2e}"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"
