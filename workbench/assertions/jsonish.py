"""is-json and contains-json, with JSON Schema validation that mirrors Ajv's strict mode.

promptfoo compiles schemas with Ajv (draft-07, `strictSchema: true`): an unknown keyword throws
at compile time, which errors the row (QUIRKS 19). Schema strings are parsed as YAML.
contains-json extracts candidates the way promptfoo's extractJsonObjects does: from each `{`,
grow to the matching brace (auto-closing unbalanced ones), convert `//` comments to `#`, and
parse as YAML (so unquoted keys, single quotes and trailing commas pass; QUIRKS 18).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.strings import PASSED, out_str
from workbench.errors import AssertionConfigError
from workbench.jsjson import js_json_parse
from workbench.runtimes.jsvalues import js_truthy
from workbench.suite.yaml12 import load_yaml
from workbench.types import GradingResult

_ANNOTATIONS = {
    "title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated",
    "$comment", "contentMediaType", "contentEncoding", "$id", "$schema", "$ref", "definitions", "$defs",
}  # fmt: skip
_KEYWORDS = _ANNOTATIONS | {
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "items", "additionalItems", "maxItems", "minItems", "uniqueItems",
    "contains", "maxProperties", "minProperties", "required", "properties", "patternProperties",
    "additionalProperties", "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf",
    "oneOf", "not", "format", "nullable", "discriminator",
}  # fmt: skip
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")
_SCHEMA_ONE = (
    "additionalProperties",
    "additionalItems",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "not",
    "items",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "items")


def check_strict(schema: Any, path: str = "#") -> None:
    """Ajv strict mode: unknown keywords are compile errors."""
    if not isinstance(schema, dict):
        return
    for key in schema:
        if key not in _KEYWORDS:
            raise AssertionConfigError(f'strict mode: unknown keyword: "{key}"')
    for key in _SCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for name, s in sub.items():
                if isinstance(s, dict):
                    check_strict(s, f"{path}/{key}/{name}")
    for key in _SCHEMA_ONE:
        if isinstance(schema.get(key), dict):
            check_strict(schema[key], f"{path}/{key}")
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, s in enumerate(schema[key]):
                check_strict(s, f"{path}/{key}/{i}")


@lru_cache(maxsize=256)
def _compile_cached(text: str) -> Any:
    return _compile(json.loads(text))


def _compile(schema: Any) -> Any:
    import jsonschema

    if not isinstance(schema, (dict, bool)):
        raise AssertionConfigError("schema must be object or boolean")
    check_strict(schema)
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise AssertionConfigError(f"schema is invalid: {e.message}") from e
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def compile_schema(value: Any) -> Any:
    """A validator for the assertion value: an object schema, or a YAML/JSON string."""
    if isinstance(value, str):
        try:
            value = load_yaml(value)
        except Exception as e:
            raise AssertionConfigError(f"schema is not valid YAML: {e}") from e
    if isinstance(value, (dict, list, bool)) or value is None:
        try:
            return _compile_cached(json.dumps(value, sort_keys=False, default=str))
        except (TypeError, ValueError):
            return _compile(value)
    raise AssertionConfigError("is-json assertion must have a string or object value")


def _errors_text(validator: Any, instance: Any) -> str:
    errs = list(validator.iter_errors(instance))
    parts = []
    for e in errs:
        where = "/" + "/".join(str(p) for p in e.absolute_path) if e.absolute_path else ""
        parts.append(f"data{where} {e.message}")
    return ", ".join(parts) or "No errors"


def _has_schema(value: Any) -> bool:
    return js_truthy(value)


@inverse_aware
def handle_is_json(ctx: AssertionContext) -> GradingResult:
    s = out_str(ctx)
    parsed: Any = _MISSING
    try:
        parsed = js_json_parse(s)
        passed = not ctx.inverse
    except (ValueError, RecursionError):
        passed = ctx.inverse
    if parsed is not _MISSING and _has_schema(ctx.value):
        if not isinstance(ctx.value, (str, dict, list)):
            raise AssertionConfigError("is-json assertion must have a string or object value")
        validator = compile_schema(ctx.value)
        valid = validator.is_valid(parsed)
        passed = (not valid) if ctx.inverse else valid
        if not passed:
            reason = (
                "Output is JSON that conforms to the provided schema"
                if ctx.inverse
                else f"JSON does not conform to the provided schema. Errors: {_errors_text(validator, parsed)}"
            )
            return GradingResult(False, 0.0, reason)
    return GradingResult(passed, 1.0 if passed else 0.0, PASSED if passed else "Expected output to be valid JSON")


_MISSING = object()


def convert_slash_comments(text: str) -> str:
    """promptfoo's convertSlashCommentsToHash (per line, quote-aware, URLs kept)."""
    import re

    out_lines = []
    for line in text.split("\n"):
        state = "normal"
        result: list[str] = []
        i = 0
        done = False
        while i < len(line):
            ch = line[i]
            nxt = line[i + 1] if i + 1 < len(line) else ""
            prev = line[i - 1] if i > 0 else ""
            if state == "normal":
                if ch == "'" and not re.match(r"[a-zA-Z]", prev):
                    state = "single"
                    result.append(ch)
                elif ch == '"':
                    state = "double"
                    result.append(ch)
                elif ch == "/" and nxt == "/":
                    start = 0
                    for j in range(i - 1, -1, -1):
                        if line[j].isspace():
                            start = j + 1
                            break
                    if "://" in line[start : i + 2]:
                        result.append(ch)
                    else:
                        count = 2
                        while i + count < len(line) and line[i + count] == "/":
                            count += 1
                        out_lines.append("".join(result) + "#" * (count // 2) + line[i + count :])
                        done = True
                        break
                else:
                    result.append(ch)
            elif state == "single":
                result.append(ch)
                if ch == "'" and not _escaped(line, i) and not re.match(r"[a-zA-Z]", nxt):
                    state = "normal"
            else:
                result.append(ch)
                if ch == '"' and not _escaped(line, i):
                    state = "normal"
            i += 1
        if not done:
            out_lines.append("".join(result))
    return "\n".join(out_lines)


def _escaped(line: str, i: int) -> bool:
    n = 0
    j = i - 1
    while j >= 0 and line[j] == "\\":
        n += 1
        j -= 1
    return n % 2 == 1


def _parse_candidate(text: str) -> Any:
    return load_yaml(convert_slash_comments(text))


def extract_json_objects(s: str) -> list[Any]:
    """promptfoo's extractJsonObjects."""
    found: list[Any] = []
    max_len = 100_000
    i = 0
    n = len(s)
    while i < n:
        if s[i] != "{":
            i += 1
            continue
        opens, closes = 1, 0
        j = i + 1
        limit = min(i + max_len, n)
        next_i = i + 1
        while j < limit and opens > closes:
            if s[j] == "{":
                opens += 1
            elif s[j] == "}":
                closes += 1
            j += 1
            if opens == closes or j == n or j == i + max_len:
                candidate = s[i:j] + "}" * max(0, opens - closes)
                try:
                    parsed = _parse_candidate(candidate)
                except Exception:
                    if opens == closes:
                        break
                    continue
                if isinstance(parsed, (dict, list)):
                    found.append(parsed)
                    next_i = j
                    break
        i = next_i
    return found


@inverse_aware
def handle_contains_json(ctx: AssertionContext) -> GradingResult:
    s = out_str(ctx)
    message = "Expected output to contain valid JSON"
    objects = extract_json_objects(s)
    passed = (len(objects) == 0) if ctx.inverse else (len(objects) > 0)
    if objects and _has_schema(ctx.value):
        if not isinstance(ctx.value, (str, dict, list)):
            raise AssertionConfigError("contains-json assertion must have a string or object value")
        validator = compile_schema(ctx.value)
        for obj in objects:
            valid = validator.is_valid(obj)
            passed = (not valid) if ctx.inverse else valid
            if valid:
                if ctx.inverse:
                    message = "Output contains JSON conforming to the provided schema"
                break
            message = f"JSON does not conform to the provided schema. Errors: {_errors_text(validator, obj)}"
    return GradingResult(passed, 1.0 if passed else 0.0, PASSED if passed else message)
