"""promptfoo transforms: `options.transform`, provider `transform`, assertion `transform`,
`transformVars`, `contextTransform`.

A transform is a JavaScript expression / function body (run in V8: a single line gets `return`
prepended; unlike javascript assertions the code is not trimmed, QUIRKS 28), or a
`file://path.js[:fn]` / `file://path.py[:fn]` reference (Python's default function is
`get_transform`). A transform that throws or returns null/undefined raises ScriptError; callers
turn that into an ERROR row, as promptfoo does (QUIRKS 29).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.runtimes import CodeNotAllowed, ScriptError
from workbench.runtimes.javascript import run_file_function, run_function_body
from workbench.runtimes.jsvalues import UNDEFINED
from workbench.runtimes.python import run_file
from workbench.types import GradeConfig


def split_file_ref(ref: str) -> tuple[str, str | None]:
    """`file://a/b.py:fn` -> ('a/b.py', 'fn'); a colon at index <= 1 (Windows drive) is kept."""
    body = ref[len("file://") :] if ref.startswith("file://") else ref
    i = body.rfind(":")
    if i > 1:
        return body[:i], body[i + 1 :]
    return body, None


def is_js_file(path: str) -> bool:
    return path.endswith((".js", ".cjs", ".mjs", ".ts", ".cts", ".mts"))


def _label(code: str) -> str:
    if code.startswith("file://"):
        return "[file transform]"
    single = " ".join(code.split())
    return f"[inline transform]: {single[:79] + '…' if len(single) > 80 else single}"


def apply_transform(
    code: str,
    output: Any,
    context: dict[str, Any],
    base_dir: Path,
    config: GradeConfig | None = None,
    *,
    input_name: str = "output",
) -> Any:
    """Run one transform on `output` (or on vars, with input_name='vars'); returns the new value."""
    cfg = config or GradeConfig()
    if not cfg.allow_code:
        raise CodeNotAllowed(f"transforms are disabled by --no-code-asserts: {_label(code)}")
    if not isinstance(code, str):
        raise ScriptError(f"transform must be a string, got {type(code).__name__}")
    timeout = cfg.script_timeout_s
    try:
        if code.startswith("file://"):
            rel, fn = split_file_ref(code)
            path = (base_dir / rel).resolve()
            if is_js_file(rel):
                result = run_file_function(path, fn, [output, context], timeout, style="transform").value
            elif rel.endswith(".py"):
                result = run_file(path, fn or "get_transform", [output, context], timeout)
            else:
                raise ScriptError(f"Unsupported transform file format: file://{rel}")
        else:
            body = code if "\n" in code else f"return {code}"
            result = run_function_body(body, [input_name, "context"], [output, context], timeout).value
    except ScriptError as e:
        raise ScriptError(f"Transform failed ({_label(code)}): {e}") from e
    if result is None or result is UNDEFINED:
        raise ScriptError(f"Transform function did not return a value\n\n{_label(code)}")
    return result
