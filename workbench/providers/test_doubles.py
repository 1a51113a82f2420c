"""Test doubles: providers that stand in for a model in tests and demos, never a shippable pair.

A provider is a test double when
- its id is `echo` (it returns the prompt) or starts with `scripted:`, `fake:` or `mock:`;
- its config says `test_double: true` (the marker for your own doubles, e.g. a loopback server
  that replays canned answers); or
- the suite lists it: `workbench: test_doubles: [<id, label or id prefix ending in ":">]`.

`recommend` excludes such pairs with the reason this module gives; the run records the reason per
provider (`run_providers.test_double`), so the verdict does not depend on plugins being loaded.
"""

from __future__ import annotations

from typing import Any

MARKER = "test_double"
IDS = {"echo": "echo returns the rendered prompt"}
PREFIXES = ("scripted:", "fake:", "mock:")


def test_double_reason(
    provider_id: str, label: str | None = None, config: dict[str, Any] | None = None, listed: Any = None
) -> str | None:
    """Why this provider is a test double (one phrase), or None when it is a real model."""
    if provider_id in IDS:
        return f"test double: {IDS[provider_id]}"
    if provider_id.startswith(PREFIXES):
        return f"test double: {provider_id.split(':', 1)[0]}: provider"
    marker = (config or {}).get(MARKER)
    if marker is True or (isinstance(marker, str) and marker.strip()):
        return f"test double: marked `{MARKER}` in its config" + (f" ({marker})" if isinstance(marker, str) else "")
    for entry in listed if isinstance(listed, list) else []:
        text = str(entry)
        if text in (provider_id, label) or (text.endswith(":") and provider_id.startswith(text)):
            return f"test double: listed in workbench.test_doubles ({text})"
    return None


test_double_reason.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
