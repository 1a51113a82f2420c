"""The JSON columns (vars, assertion values, configs, metadata): how they are written and read back."""

from __future__ import annotations

import json
from typing import Any

# One encoder for every column: json.dumps with any non-default option builds a new JSONEncoder
# per call (tens of thousands per run); `encode` keeps no state between calls.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=False)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def loads(text: str | None) -> Any:
    """A stored JSON column's value; None stays None, and text that is not JSON comes back as is."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
