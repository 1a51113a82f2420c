"""Call a function in one of the suite's code files, whatever its language: the one entry point
for test generators, extension hooks and Nunjucks filters (`call_file`).

`.py` files run in-process (runtimes/python.py), JavaScript files in Node.js or the embedded V8
(runtimes/javascript.py). Arguments and results cross a JSON boundary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.runtimes import ScriptError
from workbench.runtimes.javascript import run_file_function
from workbench.runtimes.jsvalues import UNDEFINED
from workbench.runtimes.python import run_file
from workbench.runtimes.transforms import is_js_file, split_file_ref


def call_file(
    path: Path,
    fn: str | None,
    args: list[Any],
    *,
    python_default: str,
    timeout_s: float = 10.0,
    style: str = "transform",
) -> Any:
    """`fn` (or the file's default: `python_default` in Python, the default export in JavaScript)
    called with `args`; JavaScript's `undefined` comes back as None. `style` is how promptfoo
    finds a JavaScript function (see node.call_file_function)."""
    if path.suffix == ".py":
        return run_file(path, fn or python_default, args, timeout_s)
    if is_js_file(path.name):
        result = run_file_function(path, fn, args, timeout_s, style=style).value
        return None if result is UNDEFINED else result
    raise ScriptError(f"unsupported code file (use .py or .js): {path.name}")


def call_ref(ref: str, base_dir: Path, args: list[Any], *, python_default: str, timeout_s: float = 10.0) -> Any:
    """`call_file` for a `file://path[:fn]` reference relative to `base_dir`."""
    rel, fn = split_file_ref(ref)
    return call_file((base_dir / rel).resolve(), fn, args, python_default=python_default, timeout_s=timeout_s)
