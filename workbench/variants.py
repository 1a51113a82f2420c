"""Prompt variants: `none`, or a compression such as `llmlingua:0.5` (method + target rate).

`apply_variant` is the one place the engine asks for a variant of a rendered prompt. The
compression methods themselves live in `workbench/compression.py`.
"""

from __future__ import annotations

from typing import Any

from workbench.errors import UsageError


def parse_variant(name: str) -> tuple[str, float | None]:
    """`none` -> ("none", None); `llmlingua:0.5` -> ("llmlingua", 0.5)."""
    if name == "none":
        return "none", None
    method, _, rate = name.partition(":")
    try:
        value = float(rate)
    except ValueError:
        raise UsageError(f"variant {name!r}: expected METHOD:RATE such as llmlingua:0.5") from None
    if not 0 < value <= 1:
        raise UsageError(f"variant {name!r}: the rate must be in (0, 1]")
    return method, value


async def apply_variant(
    variant: str, text: str, messages: list[dict[str, Any]], vars: dict[str, Any], settings: dict[str, Any]
) -> tuple[str, list[dict[str, Any]], dict[str, Any] | None]:
    """Return (text, messages, compression info) for the variant; `none` returns its input."""
    if variant == "none":
        return text, messages, None
    raise UsageError(f"variant {variant!r} is not available yet")
