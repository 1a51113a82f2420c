"""Page state in the URL query string (`st.query_params`), so a link reproduces what you see.

Widgets take their initial value from the URL and write their current value back; defaults are
removed from the URL to keep links short. Keys: run, base, head, suite, family, v1, v2, flip, clusters,
page, size, fail, err, guard, diff, q, cell, target, guardok, errok, logx, router, rpd, by, metric,
prompt, model, gpage, item, show, fpage, cpage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")


def get_str(key: str, default: str | None = None) -> str | None:
    value = st.query_params.get(key)
    return value if value not in (None, "") else default


def get_int(key: str, default: int | None = None) -> int | None:
    value = get_str(key)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def get_float(key: str, default: float) -> float:
    value = get_str(key)
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


def get_bool(key: str, default: bool = False) -> bool:
    value = get_str(key)
    return default if value is None else value in ("1", "true", "yes")


def put(key: str, value: Any, default: Any = None) -> None:
    """Write `value` to the URL, or drop the key when it equals the default (or is empty)."""
    if value is None or value == default or value == "":
        if key in st.query_params:
            del st.query_params[key]
        return
    text = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def index_of(options: Sequence[T], value: Any, default: int = 0) -> int:
    for i, option in enumerate(options):
        if option == value or str(option) == str(value):
            return i
    return default
