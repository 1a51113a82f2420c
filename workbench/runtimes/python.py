"""Python user code: inline assertion bodies and `file://x.py:fn` functions, run in-process.

Arguments and results cross a JSON boundary, as in promptfoo's Python bridge, so user code sees
plain dicts/lists and returns JSON-able values. A call runs on a worker thread with a deadline;
code that overruns fails with a timeout (the stuck thread is abandoned, a fresh worker serves the
next call, since Python cannot kill a thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import inspect
import json
import re
import sys
import threading
import traceback
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from workbench.plugins import note_outside_code
from workbench.runtimes import ScriptError
from workbench.runtimes.jsvalues import json_stringify

_code_cache: dict[str, Any] = {}
_modules: dict[tuple[str, int], ModuleType] = {}
_lock = threading.Lock()
_executor: concurrent.futures.ThreadPoolExecutor | None = None


def build_inline_script(code: str) -> str:
    """promptfoo's buildPythonScript: one line becomes `return <line>`, a block is indented."""
    if "\n" in code:
        m = re.search(r"^(?!\s*$)\s+", code, re.M)
        indent = m.group(0) if m else "    "
        body = "\n".join(indent + line for line in code.split("\n"))
    else:
        body = f"    return {code}"
    return f"import json\n\ndef main(output, context):\n{body}\n"


def _inline_function(code: str) -> Any:
    fn = _code_cache.get(code)
    if fn is None:
        script = build_inline_script(code)
        try:
            compiled: CodeType = compile(script, "<python assertion>", "exec")
        except SyntaxError as e:
            raise ScriptError(f"SyntaxError: {e.msg} (line {e.lineno})") from e
        ns: dict[str, Any] = {"__name__": "__workbench_inline__"}
        note_outside_code("an inline Python assertion")
        exec(compiled, ns)
        fn = ns["main"]
        _code_cache[code] = fn
    return fn


def _file_function(path: Path, fn_name: str) -> Any:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as e:
        raise ScriptError(f"Python file not found: {path}") from e
    key = (str(path), mtime)
    with _lock:
        module = _modules.get(key)
        if module is None:
            spec = importlib.util.spec_from_file_location(f"_wb_user_{abs(hash(key))}", path)
            if spec is None or spec.loader is None:
                raise ScriptError(f"cannot load Python file {path}")
            module = importlib.util.module_from_spec(spec)
            note_outside_code(str(path))
            sys.path.insert(0, str(path.parent))
            try:
                spec.loader.exec_module(module)
            except Exception as e:
                raise ScriptError(_format_exc(e)) from e
            finally:
                try:
                    sys.path.remove(str(path.parent))
                except ValueError:
                    pass
            _modules[key] = module
    fn: Any = module
    for part in fn_name.split("."):  # `Class.method`, as promptfoo's wrapper allows
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise ScriptError(f"Function {fn_name} not found in {path}")
    if inspect.iscoroutinefunction(fn):  # promptfoo runs async functions with asyncio.run
        coro_fn = fn

        def fn(*args: Any) -> Any:
            return asyncio.run(coro_fn(*args))

    return fn


def _format_exc(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    where = f" (line {tb[-1].lineno})" if tb else ""
    return f"{type(e).__name__}: {e}{where}"


def _json_args(args: list[Any]) -> list[Any]:
    return [json.loads(json_stringify(a) or "null") for a in args]


def _call(fn: Any, args: list[Any], timeout_s: float) -> Any:
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="wb-python")
    fut = _executor.submit(fn, *args)
    try:
        result = fut.result(timeout=timeout_s)
    except concurrent.futures.TimeoutError as e:
        _executor.shutdown(wait=False)
        _executor = None
        raise ScriptError(f"Python code timed out after {timeout_s:g} s") from e
    except ScriptError:
        raise
    except BaseException as e:
        raise ScriptError(_format_exc(e)) from e
    try:  # the JSON boundary promptfoo's Python bridge has
        return json.loads(json.dumps(result, allow_nan=True))
    except (TypeError, ValueError) as e:
        raise ScriptError(f"Python result is not JSON-serializable: {e}") from e


def run_inline(code: str, output: Any, context: dict[str, Any], timeout_s: float = 10.0) -> Any:
    return _call(_inline_function(code), _json_args([output, context]), timeout_s)


def run_file(path: Path, fn_name: str, args: list[Any], timeout_s: float = 10.0) -> Any:
    return _call(_file_function(path, fn_name), _json_args(args), timeout_s)
