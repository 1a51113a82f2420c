"""promptfoo CSV test files (src/csv.ts, src/util/testCaseReader.ts in 0.121.20).

Each row is a test. Columns named `__expected`, `__expected2`... hold assertions in a small
language (`contains:x`, `not-icontains:x`, `levenshtein(2):x`, `javascript:...`, `python:...`,
`is-json`, plain text = `equals`); `__description`, `__threshold`, `__metric`, `__prefix`,
`__suffix`, `__providerOutput`, `__metadata:key[]` and `__config:__expectedN:threshold` are
special; every other column is a var (kept as the raw string, not trimmed).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError

# promptfoo's BaseAssertionTypesSchema (the types the `type:value` mini-language recognises).
BASE_ASSERTION_TYPES = [
    "agent-rubric",
    "answer-relevance",
    "bleu",
    "classifier",
    "contains",
    "contains-all",
    "contains-any",
    "contains-html",
    "contains-json",
    "contains-sql",
    "contains-xml",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "conversation-relevance",
    "cost",
    "equals",
    "factuality",
    "finish-reason",
    "g-eval",
    "gleu",
    "guardrails",
    "icontains",
    "icontains-all",
    "icontains-any",
    "is-html",
    "is-json",
    "is-refusal",
    "is-sql",
    "is-valid-function-call",
    "is-valid-openai-function-call",
    "is-valid-openai-tools-call",
    "is-xml",
    "javascript",
    "latency",
    "levenshtein",
    "llm-rubric",
    "pi",
    "meteor",
    "model-graded-closedqa",
    "model-graded-factuality",
    "moderation",
    "perplexity",
    "perplexity-score",
    "python",
    "regex",
    "rouge-n",
    "ruby",
    "similar",
    "similar:cosine",
    "similar:dot",
    "similar:euclidean",
    "starts-with",
    "tool-call-f1",
    "skill-used",
    "trajectory:goal-success",
    "trajectory:tool-args-match",
    "trajectory:step-count",
    "trajectory:tool-sequence",
    "trajectory:tool-used",
    "trace-error-spans",
    "trace-span-count",
    "trace-span-duration",
    "search-rubric",
    "webhook",
    "word-count",
    "select-best",
    "human",
    "max-score",
]

_ASSERTION_RE = re.compile(
    r"^(not-)?(" + "|".join(re.escape(t) for t in BASE_ASSERTION_TYPES) + r")(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$"
)
_FINITE_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_LIST_TYPES = {"contains-all", "contains-any", "icontains-all", "icontains-any"}
_THRESHOLD_TYPES = {
    "answer-relevance",
    "classifier",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "cost",
    "latency",
    "levenshtein",
    "perplexity-score",
    "perplexity",
    "rouge-n",
    "similar",
    "starts-with",
}
_JS_EXTS = (".js", ".cjs", ".mjs", ".ts", ".cts", ".mts", ".jsx", ".tsx")


def parse_finite_number(value: str | None) -> float | int | None:
    text = (value or "").strip()
    if not _FINITE_RE.match(text):
        return None
    f = float(text)
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _js_space(ch: str) -> bool:
    return ch.isspace() or ch == "\ufeff"


def parse_comma_list(value: str) -> list[str]:
    """Comma-separated members with "double-quoted" fields (`"1,000", in stock`)."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (_js_space(value[i]) or value[i] == ","):
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            i += 1
            field = []
            terminated = False
            while i < n:
                if value[i] == "\\" and i + 1 < n and value[i + 1] in '"\\':
                    field.append(value[i + 1])
                    i += 2
                elif value[i] == '"' and i + 1 < n and value[i + 1] == '"':
                    field.append('"')
                    i += 2
                elif value[i] == '"':
                    i += 1
                    terminated = True
                    break
                else:
                    field.append(value[i])
                    i += 1
            if not terminated:
                raise ValueError("Unterminated quoted field in contains assertion value")
            out.append("".join(field))
            while i < n and _js_space(value[i]):
                i += 1
            if i < n and value[i] != ",":
                raise ValueError("Expected comma after quoted field in contains assertion value")
        else:
            start = i
            while i < n and value[i] != ",":
                i += 1
            out.append(value[start:i].strip())
    return out


def assertion_from_string(expected: str) -> dict[str, Any]:
    """promptfoo's assertionFromString: `type:value` -> assertion dict."""
    if expected.startswith(("javascript:", "fn:", "eval:")) or (
        expected.startswith("file://") and expected[7:].endswith(_JS_EXTS)
    ):
        cut = 11 if expected.startswith("javascript:") else 3 if expected.startswith("fn:") else 5
        if expected.startswith("file://"):
            cut = 0
        return {"type": "javascript", "value": expected[cut:].strip()}
    if expected.startswith(("grade:", "llm-rubric:")):
        return {"type": "llm-rubric", "value": expected[6 if expected.startswith("grade:") else 11 :]}
    if expected.startswith("python:") or (
        expected.startswith("file://") and (expected.endswith(".py") or ".py:" in expected)
    ):
        return {"type": "python", "value": expected[7:].strip()}
    m = _ASSERTION_RE.match(expected)
    if not m:
        return {"type": "equals", "value": expected}
    not_prefix, base, threshold_str, value = m.groups()
    full = f"not-{base}" if not_prefix else base
    threshold = parse_finite_number(threshold_str)
    if base in _LIST_TYPES:
        return {"type": full, "value": parse_comma_list(value) if value else value}
    if base in ("contains-json", "is-json"):
        return {"type": full, "value": value}
    if base in _THRESHOLD_TYPES:
        # QUIRKS 21: the CSV form gets a default threshold of 0.75 (0.8 for `similar`)
        default = 0.8 if base == "similar" else 0.75
        return {
            "type": full,
            "value": value.strip() if value is not None else None,
            "threshold": threshold if threshold is not None else default,
        }
    return {"type": full, "value": value.strip() if value is not None else None}


def _drop_none_value(assertion: dict[str, Any]) -> dict[str, Any]:
    # JS `{type, value: undefined}` serializes without `value`
    return {k: v for k, v in assertion.items() if not (k == "value" and v is None)}


def test_from_csv_row(row: dict[str, str], *, file: str, where: str) -> dict[str, Any]:
    """promptfoo's testCaseFromCsvRow: one CSV row -> a raw test dict."""
    vars: dict[str, Any] = {}
    asserts: list[dict[str, Any]] = []
    options: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    configs: dict[int, dict[str, Any]] = {}
    description = provider_output = metric = None
    threshold: float | int | None = None
    for raw_key, value in row.items():
        key = raw_key.strip()
        if key.startswith("__expected"):
            if value.strip():
                try:
                    asserts.append(_drop_none_value(assertion_from_string(value.strip())))
                except ValueError as e:
                    raise SuiteError(file, f"{where}.{key}", str(e)) from None
        elif key == "__prefix":
            options["prefix"] = value
        elif key == "__suffix":
            options["suffix"] = value
        elif key == "__description":
            description = value
        elif key == "__providerOutput":
            provider_output = value
        elif key == "__metric":
            metric = value
        elif key == "__threshold":
            threshold = parse_finite_number(value)
        elif key.startswith("__metadata:"):
            mkey = key[len("__metadata:") :]
            if mkey.endswith("[]"):
                if value.strip():
                    parts = re.split(r"(?<!\\),", value)
                    metadata[mkey[:-2]] = [p.strip().replace("\\,", ",") for p in parts]
            elif value.strip():
                metadata[mkey] = value
        elif key == "__metadata":
            continue
        elif key.startswith("__config:"):
            parts = key[len("__config:") :].split(":")
            if len(parts) != 2:
                continue
            exp_key, cfg_key = parts
            idx = 0 if exp_key == "__expected" else None
            mm = re.fullmatch(r"__expected(\d+)", exp_key)
            if mm and int(mm.group(1)) >= 1:
                idx = int(mm.group(1)) - 1
            if idx is None:
                raise SuiteError(file, f"{where}.{key}", f"invalid expected key '{exp_key}' in a __config column")
            if cfg_key != "threshold":
                raise SuiteError(file, f"{where}.{key}", f"invalid config key '{cfg_key}' (valid: threshold)")
            num = parse_finite_number(value)
            if num is None:
                raise SuiteError(file, f"{where}.{key}", f"invalid numeric value {value!r} for threshold")
            configs.setdefault(idx, {})[cfg_key] = num
        else:
            vars[key] = value
    for i, a in enumerate(asserts):
        a["metric"] = metric
        for ck, cv in configs.get(i, {}).items():
            a[ck] = cv
            metadata[ck] = cv
    for a in asserts:
        if a.get("metric") is None:
            a.pop("metric", None)
    test: dict[str, Any] = {"vars": vars, "assert": asserts, "options": options}
    if description:
        test["description"] = description
    if provider_output:
        test["providerOutput"] = provider_output
    if threshold is not None:
        test["threshold"] = threshold
    if metadata:
        test["metadata"] = metadata
    return test


def read_csv_rows(path: Path, display: str) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header (csv-parse `columns: true, bom: true`)."""
    try:
        text = file_access.read_text(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise SuiteError(display, None, "file not found") from None
    except IsADirectoryError:
        raise SuiteError(display, None, "is a directory") from None
    except file_access.FileAccessError as e:
        raise SuiteError(display, None, e.reason) from None
    except UnicodeDecodeError:
        raise SuiteError(display, None, "not a UTF-8 text file") from None
    import os

    delimiter = os.environ.get("PROMPTFOO_CSV_DELIMITER", ",") or ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as e:
        raise SuiteError(display, f"line {reader.line_num}", f"invalid CSV: {e}") from None
    records = [r for r in records if r != []]
    if not records:
        return []
    header = records[0]
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise SuiteError(display, "line 1", f"invalid CSV: duplicate column {dup!r}")
    rows = []
    for n, rec in enumerate(records[1:], start=2):
        if len(rec) != len(header):
            raise SuiteError(
                display, f"row {n - 1}", f"invalid CSV: {len(rec)} fields, the header has {len(header)} columns"
            )
        rows.append(dict(zip(header, rec, strict=True)))
    return rows


def read_csv_tests(path: Path, display: str) -> list[dict[str, Any]]:
    """A CSV tests file -> raw test dicts (description defaults to `Row #N`)."""
    tests = []
    for i, row in enumerate(read_csv_rows(path, display)):
        test = test_from_csv_row(row, file=display, where=f"row {i + 1}")
        test.setdefault("description", f"Row #{i + 1}")
        tests.append(test)
    return tests
