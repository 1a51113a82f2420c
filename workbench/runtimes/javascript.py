"""JavaScript in an embedded V8 (mini-racer): one context on one worker thread, reused for every call.

Values cross the boundary as JSON text. The result comes back as a small JSON envelope that
keeps what JSON alone loses (`undefined`, `NaN`, functions, the `typeof`), so callers can apply
promptfoo's type rules. Code files (`file://x.js:fn`) are loaded as CommonJS-style modules
(`module.exports`, `exports.fn`) or as plain scripts defining the named function.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import threading
from pathlib import Path
from typing import Any

from workbench.runtimes import ScriptError, node
from workbench.runtimes.jsvalues import JsResult, args_json, decode_envelope

__all__ = ["JsResult", "available", "run_file_function", "run_function_body"]

INSTALL_HINT = "JavaScript assertions need the embedded V8 engine: pip install mini-racer"

ENVELOPE = Path(__file__).with_name("envelope.js")  # shared with the Node.js host
_PRELUDE = r"""
var __wb_process = {env: {}};
function __wb_ser(r) { return JSON.stringify(__wb_envelope(r)); }
function __wb_err(e) { return JSON.stringify(__wb_error(e)); }
function __wb_finish(r) {
  if (r && typeof r.then === 'function') {
    globalThis.__wb_pending = Promise.resolve(r).then(__wb_ser, __wb_err);
    return JSON.stringify({t: 'promise'});
  }
  return __wb_ser(r);
}
function __wb_call_body(body, params, argsJson) {
  var args = JSON.parse(argsJson);
  try {
    var fn = Function.apply(null, params.concat([body]));
    return __wb_finish(fn.apply(null, args.concat([__wb_process])));
  } catch (e) { return __wb_err(e); }
}
var __wb_modules = {};
function __wb_load(key, source) {
  var module = {exports: {}};
  var f = new Function('module', 'exports', 'require', 'process', source + '\n;return module;');
  __wb_modules[key] = f(module, module.exports, function (name) { throw new Error("require('" + name + "') needs Node.js, which is not on PATH (the embedded engine runs only self-contained files)"); }, __wb_process);
  return true;
}
function __wb_call_file(key, fnName, argsJson) {
  var args = JSON.parse(argsJson);
  try {
    var m = __wb_modules[key].exports;
    var fn = null;
    if (fnName) { fn = (m && typeof m[fnName] === 'function') ? m[fnName] : (typeof globalThis[fnName] === 'function' ? globalThis[fnName] : null); }
    else if (typeof m === 'function') { fn = m; }
    else if (m && typeof m.default === 'function') { fn = m.default; }
    if (!fn) throw new Error('JavaScript file must export a function' + (fnName ? ' named ' + fnName : ''));
    return __wb_finish(fn.apply(null, args));
  } catch (e) { return __wb_err(e); }
}
"""

_local = threading.local()
# Every context ever made, kept alive until exit: a context dropped with its thread would be
# closed by the garbage collector at an arbitrary moment, and closing V8 from a forked child
# (e.g. between fork and exec in subprocess) deadlocks on locks its threads held.
_ALL_CONTEXTS: list[Any] = []


def _context() -> Any:
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        try:
            from py_mini_racer import MiniRacer
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ScriptError(INSTALL_HINT) from e
        ctx = MiniRacer()
        ctx.eval(ENVELOPE.read_text(encoding="utf-8"))
        ctx.eval(_PRELUDE)
        _ALL_CONTEXTS.append(ctx)
        _local.ctx = ctx
        _local.loaded = {}
    return ctx


def _decode(raw: Any, timeout_s: float) -> JsResult:
    env = json.loads(raw)
    if env["t"] == "promise":  # an async result: wait for it on this (the V8) thread
        try:
            env = json.loads(_context().eval("__wb_pending").get(timeout=timeout_s))
        except Exception as e:
            raise ScriptError(_message(e)) from e
    return decode_envelope(env)


def _message(e: BaseException) -> str:
    text = str(e)
    if type(e).__name__ == "JSTimeoutException":
        return "JavaScript timed out"
    # mini-racer formats errors as "<anonymous>:1: SyntaxError: ...\n<source>\n^\n\n<stack>"
    for line in text.splitlines():
        if "Error" in line and ":" in line:
            return line.split(": ", 1)[1] if line.startswith("<anonymous>") else line
    return text


_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _on_v8_thread(fn: Any, *args: Any) -> Any:
    """Run on the one V8 thread: mini-racer binds a context to the asyncio loop it was created
    under, so contexts live on a plain worker thread with no running loop."""
    global _executor
    if threading.current_thread().name.startswith("wb-v8"):
        return fn(*args)
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="wb-v8")
    return _executor.submit(fn, *args).result()


def run_function_body(body: str, params: list[str], args: list[Any], timeout_s: float = 10.0) -> JsResult:
    """`new Function(...params, 'process', body)(...args, process)`: the value it returns."""
    return _on_v8_thread(_run_function_body, body, params, args, timeout_s)


def _run_function_body(body: str, params: list[str], args: list[Any], timeout_s: float) -> JsResult:
    ctx = _context()
    try:
        raw = ctx.call("__wb_call_body", body, params, args_json(args), timeout_sec=timeout_s)
    except ScriptError:
        raise
    except Exception as e:
        raise ScriptError(_message(e)) from e
    return _decode(raw, timeout_s)


def run_file_function(
    path: Path, fn_name: str | None, args: list[Any], timeout_s: float = 10.0, *, style: str = "assertion"
) -> JsResult:
    """Call a .js file's exported function: in Node.js when it is on PATH (ES modules, `require`
    of relative files and packages, as promptfoo runs them), else in the embedded V8 (the file is
    loaded once, re-read when it changes, and must be self-contained CommonJS or a plain script)."""
    if node.available():
        return node.call_file_function(path, fn_name, args, timeout_s, style=style)
    return _on_v8_thread(_run_file_function, path, fn_name, args, timeout_s)


_ESM = re.compile(r"^\s*(export\s+(?!default\b)|import\s+[\w{*])", re.M)


def _run_file_function(path: Path, fn_name: str | None, args: list[Any], timeout_s: float) -> JsResult:
    ctx = _context()
    try:
        stat = path.stat()
    except OSError as e:
        raise ScriptError(f"JavaScript file not found: {path}") from e
    key = f"{path}:{stat.st_mtime_ns}"
    loaded: dict[str, bool] = _local.loaded
    try:
        if key not in loaded:
            source = path.read_text(encoding="utf-8")
            if _ESM.search(source) or path.suffix == ".mjs":
                raise ScriptError(f"{path.name} is an ES module: it needs Node.js, which is not on PATH")
            source = source.replace("export default ", "module.exports = ")
            ctx.call("__wb_load", key, source, timeout_sec=timeout_s)
            loaded[key] = True
        raw = ctx.call("__wb_call_file", key, fn_name or "", args_json(args), timeout_sec=timeout_s)
    except ScriptError:
        raise
    except Exception as e:
        raise ScriptError(_message(e)) from e
    return _decode(raw, timeout_s)


def available() -> bool:
    try:
        import py_mini_racer  # noqa: F401
    except ImportError:
        return False
    return True
