"""Nunjucks-compatible templating on top of jinja2, plus JavaScript's view of values.

promptfoo renders prompts, vars and assertion values with Nunjucks (autoescape off). jinja2 has
the same syntax but Python semantics, so this module patches the differences users hit:

- undefined names and attributes of undefined render as "" (ChainableUndefined);
- values print as JavaScript's String(): `true`, `1` for 1.0, lists comma-joined,
  `[object Object]`, null as "" (`js_str`);
- `{% if %}` uses JavaScript truthiness (`[]`/`{}` are true): lists and dicts in the vars are
  wrapped in subclasses whose bool() is True;
- arithmetic follows JavaScript coercion (`"4" * "4"` is 16, `"a" + 1` is "a1");
- Nunjucks filters with different behaviour: `title` (splits on spaces only, QUIRKS 12),
  `join` (error on a plain string), `dump` (JSON.stringify), `load` (JSON.parse, promptfoo's),
  `int`/`float` (parseInt/parseFloat), `default` (only replaces undefined), `length`.

Compiled templates are cached, and strings without `{` skip the engine entirely; a template that
is only text and bare `{{ name }}` outputs of given vars is printed without a jinja2 context.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
from jinja2 import ChainableUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment

import workbench.file_access as file_access
from workbench.jsjson import js_json, js_json_parse, js_num, js_str
from workbench.suite.yaml12 import load_yaml


class TemplateError(Exception):
    """A template that does not parse or fails to render (promptfoo: the row errors)."""


# --------------------------------------------------------------------------------------------
# JavaScript values
# --------------------------------------------------------------------------------------------


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: [] and {} are true; "", 0, NaN, null, undefined are false."""
    if value is None or value is False or isinstance(value, Undefined):
        return False
    if isinstance(value, (list, tuple, Mapping)):
        return True
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return bool(value)


def to_js_number(value: Any) -> float | int:
    """Number(value), for arithmetic."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    if isinstance(value, str):
        s = value.strip()
        if s == "":
            return 0
        if re.fullmatch(r"[-+]?(Infinity)", s):
            return -math.inf if s.startswith("-") else math.inf
        if re.fullmatch(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", s):
            return int(s, 0)
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
            f = float(s)
            return int(f) if f.is_integer() and abs(f) < 2**53 else f
        return math.nan
    if isinstance(value, (list, tuple)):
        return to_js_number(js_str(value)) if len(value) <= 1 else math.nan
    return math.nan


# --------------------------------------------------------------------------------------------
# JS-truthy containers
# --------------------------------------------------------------------------------------------


class JsList(list):
    """A list that is truthy when empty, like a JavaScript array."""

    def __bool__(self) -> bool:
        return True


class JsDict(dict):
    """A dict that is truthy when empty, like a JavaScript object."""

    def __bool__(self) -> bool:
        return True


def _wrap(value: Any) -> Any:
    if type(value) is list:
        return JsList(_wrap(v) for v in value)
    if type(value) is dict:
        return JsDict((k, _wrap(v)) for k, v in value.items())
    return value


# --------------------------------------------------------------------------------------------
# Filters that differ from jinja2's
# --------------------------------------------------------------------------------------------


def _f_title(value: Any) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in js_str(value).split(" "))


def _f_capitalize(value: Any) -> str:
    s = js_str(value)
    return s[:1].upper() + s[1:].lower()


def _f_join(value: Any, delimiter: str = "", attribute: str | None = None) -> str:
    if isinstance(value, Undefined) or value is None:
        return ""
    if not isinstance(value, (list, tuple)):
        raise TemplateError("join: value is not an array")
    items = [v.get(attribute) if attribute and isinstance(v, Mapping) else v for v in value]
    return js_str(delimiter).join(js_str(v) for v in items)


def _f_dump(value: Any, spaces: int | None = None) -> str:
    return js_json(value, spaces)


def _f_load(value: Any) -> Any:
    try:
        return _wrap(js_json_parse(js_str(value)))
    except ValueError as e:
        raise TemplateError(f"load: {e}") from None


def _f_default(value: Any, default: Any = "", boolean: bool = False) -> Any:
    if boolean:
        return value if js_truthy(value) else default
    return default if isinstance(value, Undefined) else value


def _parse_int_prefix(value: Any) -> float | int:
    m = re.match(r"\s*([-+]?\d+)", js_str(value))
    return int(m.group(1)) if m else math.nan


def _f_int(value: Any, default: int = 0) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    n = _parse_int_prefix(value)
    return default if isinstance(n, float) and math.isnan(n) else n


def _f_float(value: Any, default: float = 0.0) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    m = re.match(r"\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)", js_str(value))
    return js_num(float(m.group(1))) if m else default


def _f_round(value: Any, precision: int = 0, method: str = "common") -> Any:
    x = to_js_number(value)
    factor = 10**precision
    if method == "ceil":
        r = math.ceil(x * factor) / factor
    elif method == "floor":
        r = math.floor(x * factor) / factor
    else:
        r = math.floor(x * factor + 0.5) / factor  # Math.round rounds .5 up
    return js_num(r)


def _f_length(value: Any) -> int:
    if value is None or isinstance(value, Undefined):
        return 0
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    return 0


def _f_upper(value: Any) -> str:
    return js_str(value).upper()


def _f_lower(value: Any) -> str:
    return js_str(value).lower()


def _f_trim(value: Any) -> str:
    return js_str(value).strip()


def _f_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    s, o, n = js_str(value), js_str(old), js_str(new)
    return s.replace(o, n) if count is None else s.replace(o, n, count)


def _f_first(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)):
        return value[0] if value else None
    return None


def _f_last(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)):
        return value[-1] if value else None
    return None


_FILTERS: dict[str, Callable[..., Any]] = {
    "title": _f_title,
    "capitalize": _f_capitalize,
    "join": _f_join,
    "dump": _f_dump,
    "load": _f_load,
    "default": _f_default,
    "d": _f_default,
    "int": _f_int,
    "float": _f_float,
    "round": _f_round,
    "length": _f_length,
    "count": _f_length,
    "upper": _f_upper,
    "lower": _f_lower,
    "trim": _f_trim,
    "replace": _f_replace,
    "first": _f_first,
    "last": _f_last,
    "string": js_str,
}


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def _binop(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        if isinstance(a, str) or isinstance(b, str) or not _is_primitive(a) or not _is_primitive(b):
            return js_str(a) + js_str(b)
        return js_num(to_js_number(a) + to_js_number(b))
    x, y = to_js_number(a), to_js_number(b)
    try:
        if op == "-":
            return js_num(x - y)
        if op == "*":
            return js_num(x * y)
        if op == "/":
            if y == 0:
                return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1, y)
            return js_num(x / y)
        if op == "//":
            if y == 0:
                return math.nan if x == 0 else math.copysign(math.inf, x)
            return js_num(math.floor(x / y))
        if op == "%":
            return math.nan if y == 0 else js_num(math.fmod(x, y))
        if op == "**":
            return js_num(float(x) ** float(y))
    except (OverflowError, ValueError):
        return math.nan
    raise TemplateError(f"unsupported operator {op}")


def _is_primitive(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, Undefined))


class _NunjucksEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return _binop(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute == "length" and isinstance(obj, (str, list, tuple)):
            return len(obj)
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            if not hasattr(obj, attribute):
                return self.undefined(obj=obj, name=attribute)
        if obj is None:
            return self.undefined(name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if obj is None:
            return self.undefined(name=str(argument))
        return super().getitem(obj, argument)


class _JsUndefined(ChainableUndefined):
    """Undefined that renders empty, chains, iterates empty and is falsy."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""


def _finalize(value: Any) -> str:
    return js_str(value)


@functools.lru_cache(maxsize=1)
def _env() -> _NunjucksEnvironment:
    env = _NunjucksEnvironment(
        autoescape=False,
        undefined=_JsUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
        cache_size=0,
    )
    env.filters.update(_FILTERS)
    env.tests["truthy"] = js_truthy
    return env


_custom_filters: set[str] = set()


def set_custom_filters(filters: Mapping[str, Callable[..., Any]]) -> None:
    """The suite's own filters (promptfoo `nunjucksFilters`), replacing any set before."""
    env = _env()
    for name in _custom_filters:
        env.filters.pop(name, None)
        if name in _FILTERS:
            env.filters[name] = _FILTERS[name]
    env.filters.update(filters)
    _custom_filters.clear()
    _custom_filters.update(filters)
    _compile.cache_clear()  # filters are looked up when a template compiles


@functools.lru_cache(maxsize=8192)
def _compile(template: str) -> jinja2.Template:
    try:
        return _env().from_string(template)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(f"template syntax error (line {e.lineno}): {e.message}") from None


def _env_global() -> dict[str, str]:
    return dict(os.environ)


@functools.lru_cache(maxsize=8192)
def _plain_parts(template: str) -> tuple[tuple[bool, str], ...] | None:
    """The template as (is a name, text) pieces when jinja2's own parse of it is only literal
    text and bare `{{ name }}` outputs (no filter, tag, literal or attribute), else None.

    Such a template renders as its text with each name's `js_str`, exactly what the compiled
    template prints, without building a jinja2 context per row (most of a row's rendering cost).
    """
    try:
        tree = _env().parse(template)
    except jinja2.TemplateSyntaxError:
        return None
    parts: list[tuple[bool, str]] = []
    for node in tree.body:
        if not isinstance(node, jinja2.nodes.Output):
            return None
        for child in node.nodes:
            if type(child) is jinja2.nodes.TemplateData:
                parts.append((False, child.data))
            elif type(child) is jinja2.nodes.Name and child.ctx == "load" and child.name != "self":
                # (jinja2 binds `self` to the template itself, whatever the vars hold)
                parts.append((True, child.name))
            else:
                return None
    return tuple(parts)


def render(template: str, vars: Mapping[str, Any]) -> str:
    """Render a Nunjucks template with `vars`. Raises TemplateError."""
    if "{" not in template:
        return template
    parts = _plain_parts(template)
    if parts is not None and all(name in vars for is_name, name in parts if is_name):
        # every name is a var (not a jinja2 global, not undefined): printed as jinja2 prints it
        try:
            return "".join(js_str(_wrap(vars[text])) if is_name else text for is_name, text in parts)
        except Exception as e:  # as the compiled template reports a value that cannot print
            raise TemplateError(f"template error: {type(e).__name__}: {e}") from None
    compiled = _compile(template)
    ctx = {k: _wrap(v) for k, v in vars.items()}
    if "env" not in ctx and "env" in template:
        ctx["env"] = _env_global()
    try:
        return compiled.render(ctx)
    except TemplateError:
        raise
    except jinja2.TemplateError as e:
        raise TemplateError(f"template error: {e}") from None
    except Exception as e:  # a filter or operator raised: Nunjucks throws, the row errors
        raise TemplateError(f"template error: {type(e).__name__}: {e}") from None


def check_syntax(template: str) -> None:
    """Raise TemplateError when `template` does not parse."""
    if "{" in template:
        _compile(template)


# --------------------------------------------------------------------------------------------
# promptfoo's handling of vars before rendering (evaluatorHelpers.ts renderPrompt)
# --------------------------------------------------------------------------------------------

_PARTIAL_TAG = re.compile(r"({%[^%]*$|{{[^}]*$|{#[^#]*$)", re.M)
_RAW_OPEN = re.compile(r"{%\s*raw\s*%}")
_RAW_CLOSE = re.compile(r"{%\s*endraw\s*%}")
_SIMPLE_REF = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_VAR_REFS = re.compile(r"\{\{[\s]*([^{}\s|]+)[\s]*(?:\|[^}]+)?\}\}|\{%[\s]*(?:if|for)[\s]+([^{}\s]+)[\s]*.*?%\}")
_FOR_REFS = re.compile(r"\{%[\s]*for[\s]+(\w+)[\s]+in[\s]+(\w+)[\s]*%\}")
_COMMENT = re.compile(r"\{#[\s\S]*?#\}")


def auto_wrap_raw(template: str) -> str:
    """promptfoo wraps a template with an unclosed tag in {% raw %} instead of failing."""
    if _PARTIAL_TAG.search(template) and not (_RAW_OPEN.search(template) and _RAW_CLOSE.search(template)):
        return "{% raw %}" + template + "{% endraw %}"
    return template


def template_variables(template: str) -> list[str]:
    """promptfoo's extractVariablesFromTemplate (a regex scan, not a parse)."""
    found: dict[str, None] = {}
    text = _COMMENT.sub("", template)
    for m in _VAR_REFS.finditer(text):
        name = m.group(1) or m.group(2)
        if name:
            found[name] = None
    for m in _FOR_REFS.finditer(text):
        found.pop(m.group(1), None)
        found[m.group(2)] = None
    return list(found)


def references_undefined(template: str, vars: Mapping[str, Any]) -> bool:
    for name in template_variables(template):
        m = re.match(r"^([A-Za-z_]\w*)", name)
        if m and m.group(1) != "env" and m.group(1) not in vars:
            return True
    return False


def resolve_simple_refs(vars: dict[str, Any]) -> dict[str, Any]:
    """promptfoo's resolveVariables: up to 5 passes replacing `{{ name }}` with a defined var."""
    for _ in range(5):
        changed = False
        for key in list(vars):
            value = vars[key]
            if not isinstance(value, str):
                continue
            m = _SIMPLE_REF.search(value)
            if m and m.group(1) in vars:
                vars[key] = value.replace(m.group(0), js_str(vars[m.group(1)]), 1)
                changed = True
        if not changed:
            break
    return vars


def prepare_vars(vars: Mapping[str, Any]) -> dict[str, Any]:
    """Strip one trailing newline from string vars (QUIRKS 9) and resolve `{{ name }}` refs."""
    out: dict[str, Any] = {}
    for k, v in vars.items():
        if isinstance(v, str) and v.endswith("\n") and not hasattr(v, "moment"):
            v = v[:-1]
        out[k] = v
    return resolve_simple_refs(out)


class RenderedVars(dict):
    """The result of `render_vars`: the rendered values, plus `.prepared`, the vars promptfoo
    hands to assertions and to chat (JSON) prompts (file vars loaded, one trailing newline
    stripped, `{{ name }}` references resolved, but not rendered as templates).

    `render_prompt` recognises it and does not prepare or render the vars a second time.
    """

    prepared: dict[str, Any]


def load_file_vars(vars: Mapping[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    """Replace `file://` string vars with the file's content, as promptfoo does at render time:
    text is trimmed, `.yaml`/`.yml` files become JSON text."""
    if not any(isinstance(v, str) and v.startswith("file://") for v in vars.values()):
        return dict(vars)

    out = dict(vars)
    for key, value in vars.items():
        if not (isinstance(value, str) and value.startswith("file://")):
            continue
        rel = value[len("file://") :]
        path = (base_dir or Path.cwd()) / rel
        try:
            text = file_access.read_text(path)
        except file_access.FileAccessError as e:
            raise TemplateError(f"var '{key}': cannot read {rel}: {e.reason}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise TemplateError(f"var '{key}': cannot read {rel}: {getattr(e, 'strerror', None) or e}") from None
        out[key] = js_json(load_yaml(text, str(path))) if path.suffix in (".yaml", ".yml") else text.strip()
    return out


def render_vars(vars: Mapping[str, Any], base_dir: Path | None = None) -> RenderedVars:
    """The vars a text prompt is rendered with (QUIRKS 9-10).

    `file://` vars are loaded (relative to `base_dir`, default the working directory); string
    vars lose exactly one trailing "\\n"; each string var is itself rendered as a template with
    the other vars, unless it references an undefined variable, in which case it stays raw.
    """
    if isinstance(vars, RenderedVars):
        return vars
    prepared = prepare_vars(load_file_vars(vars, base_dir))
    out = RenderedVars(render_var_values(prepared))
    out.prepared = prepared
    return out


def render_var_values(prepared: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in prepared.items():
        if isinstance(v, str) and "{" in v and not hasattr(v, "moment"):
            if references_undefined(v, prepared):
                out[k] = v
            else:
                out[k] = render(auto_wrap_raw(v), prepared)
        else:
            out[k] = v
    return out


def render_in_object(obj: Any, vars: Mapping[str, Any]) -> Any:
    """promptfoo's renderVarsInObject: render every string inside a JSON value."""
    if isinstance(obj, str):
        return render(obj, vars)
    if isinstance(obj, list):
        return [render_in_object(v, vars) for v in obj]
    if isinstance(obj, dict):
        return {k: render_in_object(v, vars) for k, v in obj.items()}
    return obj
