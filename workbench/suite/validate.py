"""Key checks for suites: unknown keys become one-line warnings naming the closest valid key.

A key promptfoo knows but workbench does not implement is named as such, never silently ignored.
Type problems are `SuiteError`s (`file: key.path: message`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.errors import SuiteError

TOP_LEVEL = {
    "description",
    "prompts",
    "providers",
    "targets",
    "tests",
    "scenarios",
    "defaultTest",
    "evaluateOptions",
    "derivedMetrics",
    "env",
    "metadata",
    "workbench",
    "assertionTemplates",  # resolved through `$ref` (suite/refs.py)
    "nunjucksFilters",
    "extensions",
}
TOP_LEVEL_PROMPTFOO_ONLY = {
    "tags",
    "outputPath",
    "sharing",
    "apiBaseUrl",
    "appBaseUrl",
    "redteam",
    "writeLatestResults",
    "tracing",
    "commandLineOptions",
    "$schema",
}
TEST_KEYS = {
    "description",
    "vars",
    "providers",
    "prompts",
    "providerOutput",
    "assert",
    "assertScoringFunction",
    "options",
    "threshold",
    "metadata",
}
TEST_PROMPTFOO_ONLY = {"provider", "id"}
ASSERTION_KEYS = {
    "type",
    "value",
    "config",
    "threshold",
    "weight",
    "provider",
    "rubricPrompt",
    "metric",
    "transform",
    "contextTransform",
}
ASSERT_SET_KEYS = {"type", "assert", "threshold", "weight", "metric", "config"}
TEST_OPTIONS = {
    "prefix",
    "suffix",
    "transform",
    "postprocess",
    "transformVars",
    "storeOutputAs",
    "provider",
    "rubricPrompt",
    "factuality",
    "disableVarExpansion",
    "disableConversationVar",
    "disableDefaultAsserts",
    "runSerially",
    "repeat",
}
EVALUATE_OPTIONS = {
    "cache",
    "delay",
    "generateSuggestions",
    "suggestionsCount",
    "interactiveProviders",
    "maxConcurrency",
    "repeat",
    "showProgressBar",
    "timeoutMs",
    "maxEvalTimeMs",
    "silent",
    "filterRange",
}
PROVIDER_KEYS = {"id", "label", "config", "transform", "delay", "env", "prompts", "inputs"}
SCENARIO_KEYS = {"description", "config", "tests"}
WORKBENCH_KEYS = {
    "allow_paths",
    "variants",
    "compressible",
    "question_var",
    "acceptance",
    "max_cost",
    "prices",
    "fallbacks",
    "compression",
    "cache",
    "batch",
    "retries",
    "test_doubles",
    "prompt_growth_warn",
}


# promptfoo 0.123.1 assertion types workbench does not implement (tests/test_promptfoo_support.py
# keeps this equal to promptfoo's list minus workbench's table). Their rows are ERROR rows; the
# loader names each one once.
PROMPTFOO_ONLY_ASSERTIONS = {
    "agent-rubric",
    "conversation-relevance",
    "is-valid-function-call",
    "is-valid-openai-function-call",
    "pi",
    "ruby",
    "search-rubric",
    "skill-used",
    "trace-error-spans",
    "trace-span-count",
    "trace-span-duration",
    "trajectory:goal-success",
    "trajectory:step-count",
    "trajectory:tool-args-match",
    "trajectory:tool-sequence",
    "trajectory:tool-used",
}
# Prompt sources promptfoo fetches from a prompt-management service.
PROMPTFOO_ONLY_PROMPT_SCHEMES = ("langfuse://", "portkey://", "helicone://")
# `file://` vars promptfoo runs or converts instead of reading as text: script vars (get_var),
# PDFs (text extraction), images/audio/video (base64).
PROMPTFOO_ONLY_VAR_FILES = {
    ".py": "script vars (get_var)",
    ".js": "script vars",
    ".pdf": "PDF vars (text extraction)",
    ".png": "image vars (base64)",
    ".jpg": "image vars (base64)",
    ".jpeg": "image vars (base64)",
    ".gif": "image vars (base64)",
    ".webp": "image vars (base64)",
    ".mp3": "audio vars (base64)",
    ".wav": "audio vars (base64)",
    ".mp4": "video vars (base64)",
}


def unsupported_feature_warnings(tests: Iterable[Any]) -> list[str]:
    """One line per promptfoo feature the tests use that workbench does not implement (an
    assertion type, a kind of `file://` var), naming where it is used."""
    seen: dict[str, list[str]] = {}
    var_kinds: dict[str, list[str]] = {}

    def visit(asserts: Any, where: str) -> None:
        for i, a in enumerate(asserts or []):
            if not isinstance(a, dict):
                continue
            t = str(a.get("type", ""))
            base = t[4:] if t.startswith("not-") else t
            if base in PROMPTFOO_ONLY_ASSERTIONS:
                seen.setdefault(t, []).append(f"{where}.assert[{i}]")
            if t == "assert-set":
                visit(a.get("assert"), f"{where}.assert[{i}]")

    for test in tests:
        visit(test.asserts, f"tests[{test.index}]")
        for name, value in test.vars.items():
            if isinstance(value, str) and value.startswith("file://"):
                kind = PROMPTFOO_ONLY_VAR_FILES.get(Path(value).suffix.lower())
                if kind:
                    var_kinds.setdefault(kind, []).append(f"tests[{test.index}].vars.{name}")

    def more(places: list[str]) -> str:
        return f"{places[0]}{f' (and {len(places) - 1} more)' if len(places) > 1 else ''}"

    return [
        f"{more(places)}: assertion type '{t}' is a promptfoo feature workbench does not implement"
        " (those rows are ERROR rows)"
        for t, places in seen.items()
    ] + [
        f"{more(places)}: {kind} are a promptfoo feature workbench does not implement (the file is read as text)"
        for kind, places in var_kinds.items()
    ]


def unknown_key_warning(where: str, key: str, valid: Iterable[str], promptfoo_only: Iterable[str] = ()) -> str:
    prefix = f"{where}: " if where else ""
    if key in set(promptfoo_only):
        return f"{prefix}'{key}' is a promptfoo option workbench ignores"
    candidates = sorted(set(valid) | set(promptfoo_only))
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{prefix}unknown key '{key}'{hint}"


def check_keys(
    data: Mapping[str, Any],
    where: str,
    valid: Iterable[str],
    warnings: list[str],
    promptfoo_only: Iterable[str] = (),
) -> None:
    valid_set = set(valid)
    for key in data:
        if str(key) not in valid_set:
            warnings.append(unknown_key_warning(where, str(key), valid_set, promptfoo_only))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def expect_mapping(value: Any, file: str | None, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SuiteError(file, where, f"must be a mapping, got {type_name(value)}")
    return value


def expect_list(value: Any, file: str | None, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SuiteError(file, where, f"must be a list, got {type_name(value)}")
    return value


def expect_number(value: Any, file: str | None, where: str) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SuiteError(file, where, f"must be a number, got {type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SuiteError(file, where, f"must be a finite number, got {value}")
    return value


def expect_string(value: Any, file: str | None, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SuiteError(file, where, f"must be a string, got {type_name(value)}")
    return value


def check_assertions(asserts: Any, file: str | None, where: str, warnings: list[str], nested: bool = False) -> None:
    """Structure only; unknown types and missing values error at grade time like promptfoo."""
    for i, a in enumerate(expect_list(asserts, file, where)):
        path = f"{where}[{i}]"
        if not isinstance(a, dict):
            raise SuiteError(file, path, f"must be a mapping with a 'type', got {type_name(a)}")
        t = a.get("type")
        if t is None:
            raise SuiteError(file, path, "'type' is required")
        if not isinstance(t, str):
            raise SuiteError(file, f"{path}.type", f"must be a string, got {type_name(t)}")
        for key in ("threshold", "weight"):
            if key in a:
                expect_number(a[key], file, f"{path}.{key}")
        if "metric" in a:
            expect_string(a["metric"], file, f"{path}.metric")
        if t == "assert-set":
            if nested:
                raise SuiteError(file, path, "an assert-set cannot contain another assert-set")
            if "assert" not in a:
                raise SuiteError(file, path, "'assert' is required for an assert-set")
            check_keys(a, path, ASSERT_SET_KEYS, warnings)
            check_assertions(a["assert"], file, f"{path}.assert", warnings, nested=True)
        else:
            check_keys(a, path, ASSERTION_KEYS, warnings)
