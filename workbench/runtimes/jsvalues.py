"""JavaScript value semantics needed by promptfoo-compatible checks: String(x), JSON.stringify(x).

Python `None` stands for both `null` and `undefined`; `UNDEFINED` marks a real `undefined`
where the difference matters (JSON.stringify(undefined) is undefined, String(undefined) is
"undefined").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from workbench.jsjson import js_number_str
from workbench.runtimes import ScriptError  # Number.prototype.toString


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


def js_string(value: Any) -> str:
    """String(value) as JavaScript prints it."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value) if type(value) is str else str(value)
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_str(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _default(o: Any) -> Any:
    if o is UNDEFINED:
        return None
    return str(o)


def _jsify(value: Any) -> Any:
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, dict):
        return {str(k): _jsify(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, (list, tuple)):
        return [_jsify(v) for v in value]
    return value


def json_stringify(value: Any, indent: int | None = None) -> str | None:
    """JSON.stringify: compact, JS number format, NaN/Infinity -> null, undefined -> None."""
    if value is UNDEFINED:
        return None
    if isinstance(value, str) and type(value) is not str and hasattr(value, "iso"):
        return json.dumps(value.iso())  # a JsDate
    sep = (",", ":") if indent is None else (",", ": ")
    return json.dumps(_jsify(value), ensure_ascii=False, separators=sep, indent=indent, default=_default)


def args_json(args: list[Any]) -> str:
    """A call's arguments as the JSON array both JavaScript runtimes receive (undefined -> null)."""
    return json_stringify([None if a is UNDEFINED else a for a in args]) or "[]"


def coerce_string(value: Any) -> str:
    """promptfoo's coerceString: strings as-is, anything else JSON.stringify'd."""
    if type(value) is str:
        return value
    if isinstance(value, str) and hasattr(value, "iso"):
        return json_stringify(value) or ""
    if isinstance(value, str):
        return str.__str__(value)
    s = json_stringify(value)
    return "undefined" if s is None else s


def js_truthy(value: Any) -> bool:
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


@dataclass
class JsResult:
    """A JavaScript value brought back: `type` is JS `typeof` (plus 'null', 'array'), `value` the data."""

    type: str
    value: Any


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "__wb_special" in value:
            return _SPECIAL[value["__wb_special"]]
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def decode_envelope(env: dict[str, Any]) -> JsResult:
    """A result envelope (`{t, json | v | special}` or `{t: 'error', message}`) -> JsResult.

    The envelope keeps what JSON alone loses (`undefined`, `NaN`, functions, the `typeof`); both
    the embedded V8 and the Node.js host produce it with the same code (runtimes/envelope.js). An
    error envelope raises ScriptError.
    """
    t = env["t"]
    if t == "error":
        raise ScriptError(str(env["message"]))
    if t == "undefined":
        return JsResult("undefined", UNDEFINED)
    if t == "function":
        return JsResult("function", None)
    if "special" in env:
        return JsResult("number", _SPECIAL[env["special"]])
    if "v" in env:
        return JsResult(t, env["v"])
    return JsResult(t, _revive(json.loads(env["json"])))
