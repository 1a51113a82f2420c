"""The JSON columns (vars, assertion values, configs, metadata): how they are written and read back."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)


def loads(text: str | None) -> Any:
    """A stored JSON column's value; None stays None, and text that is not JSON comes back as is."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
