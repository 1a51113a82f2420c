"""JavaScript value semantics shared by loading, rendering and grading.

Number.prototype.toString (`js_number_str`), String(value) as Nunjucks prints it (`js_str`), and
JSON.stringify / JSON.parse (`js_json`, `js_json_parse`). Jinja's `Undefined` stands for JavaScript's
`undefined`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2 import Undefined


def js_number_str(x: float | int) -> str:
    """Number.prototype.toString(): shortest round-trip digits with JavaScript's exponent rules."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        if abs(x) < 10**21:
            return str(x)
        x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign, digit_tuple, exp = Decimal(repr(x)).as_tuple()
    raw = "".join(map(str, digit_tuple))
    digs = raw.rstrip("0") or "0"
    n = len(raw) + int(exp)  # decimal point position (ECMA-262 Number::toString's n)
    k = len(digs)
    s = "-" if sign else ""
    if k <= n <= 21:
        return s + digs + "0" * (n - k)
    if 0 < n <= 21:
        return s + digs[:n] + "." + digs[n:]
    if -6 < n <= 0:
        return s + "0." + "0" * (-n) + digs
    e = n - 1
    mant = digs[0] + ("." + digs[1:] if k > 1 else "")
    return f"{s}{mant}e{'+' if e >= 0 else '-'}{abs(e)}"


def js_str(value: Any) -> str:
    """What Nunjucks prints for a value: String(value), with null and undefined as ""."""
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, str):
        return str(value)  # str() so a JsDate prints like JavaScript's Date
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(js_str(v) for v in value)  # Array.join: null/undefined -> ""
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def js_num(x: float) -> float | int:
    """A float that holds an integer (JavaScript has one number type) as an int."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def _js_json_value(value: Any, indent: str, level: int) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, Undefined):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(str.__str__(value), ensure_ascii=False)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "null"
        return js_number_str(value)
    nl = "\n" + indent * (level + 1) if indent else ""
    end = "\n" + indent * level if indent else ""
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [_js_json_value(v, indent, level + 1) or "null" for v in value]
        return "[" + nl + ("," + nl).join(items) + end + "]"
    if isinstance(value, Mapping):
        parts = []
        sep = ": " if indent else ":"
        for k, v in value.items():
            enc = _js_json_value(v, indent, level + 1)
            if enc is not None:
                parts.append(json.dumps(js_str(k), ensure_ascii=False) + sep + enc)
        if not parts:
            return "{}"
        return "{" + nl + ("," + nl).join(parts) + end + "}"
    return json.dumps(str(value), ensure_ascii=False)


def js_json(value: Any, indent: int | None = None) -> str:
    """JSON.stringify(value, null, indent) (undefined at the top level gives "")."""
    out = _js_json_value(value, " " * indent if indent else "", 0)
    return "" if out is None else out


def js_json_parse(text: str) -> Any:
    """JSON.parse: strict JSON (no NaN/Infinity), numbers as JS numbers."""

    def bad_constant(name: str) -> Any:
        raise ValueError(f"Unexpected token {name}")

    def parse_float(s: str) -> float | int:
        return js_num(float(s))

    def parse_int(s: str) -> float | int:
        n = int(s)
        return n if abs(n) <= 2**53 else float(n)

    return json.loads(text, parse_constant=bad_constant, parse_float=parse_float, parse_int=parse_int)
