"""is-json and contains-json, with JSON Schema validation that mirrors Ajv's strict mode.

promptfoo compiles schemas with Ajv (draft-07, `strictSchema: true`): an unknown keyword throws
at compile time, which errors the row (QUIRKS 19). Schema strings are parsed as YAML.
contains-json finds its candidates with promptfoo's extractJsonObjects (assertions/json_extract.py).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.json_extract import extract_json_objects
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
