"""JavaScript files run by a real Node.js, the runtime promptfoo itself uses.

One long-lived `node` subprocess per workbench process (started on first use, stopped at exit)
runs `node_host.js`: it imports the file (ES modules, CommonJS, `require`/`import` of relative
files and of the project's node_modules) and calls the exported function, or, for a custom
JavaScript provider (providers/js_provider.py), its class's `callApi`. Inline snippets stay in
the embedded V8 (runtimes/javascript.py). `available()` is False when no `node` is on PATH
($WORKBENCH_NODE names another executable); callers then fall back to the embedded engine.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from workbench.runtimes import ScriptError
from workbench.runtimes.jsvalues import JsResult, args_json, decode_envelope

HOST = Path(__file__).with_name("node_host.js")
NODE_FLAGS = ["--experimental-detect-module", "--disable-warning=ExperimentalWarning"]


def executable() -> str | None:
    """The node executable to use, or None."""
    return shutil.which(os.environ.get("WORKBENCH_NODE") or "node")


def available() -> bool:
    return executable() is not None


class _Host:
    """The node subprocess: requests on stdin, one JSON envelope per line on a private pipe
    (its file descriptor number is the host's argument)."""

    def __init__(self, exe: str) -> None:
        read_fd, write_fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [exe, *NODE_FLAGS, str(HOST), str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=(write_fd,),
                text=True,
            )
        finally:
            os.close(write_fd)
        self.replies = os.fdopen(read_fd, "r", encoding="utf-8")
        self.next_id = 0

    def call(self, path: Path, fn: str | None, args: list[Any], timeout_s: float, style: str) -> dict[str, Any]:
        self.next_id += 1
        req = {
            "id": self.next_id,
            "file": str(path),
            "fn": fn or "",
            "args": json.loads(args_json(args)),
            "style": style,
        }
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise ScriptError(f"the Node.js process has exited ({e})") from e
        ready, _, _ = select.select([self.replies], [], [], timeout_s)
        if not ready:
            raise TimeoutError
        line = self.replies.readline()
        if not line:
            raise ScriptError(f"the Node.js process exited (code {self.proc.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.replies.close()


_lock = threading.Lock()
_host: _Host | None = None


def _stop() -> None:
    global _host
    if _host is not None:
        _host.close()
        _host = None


atexit.register(_stop)


def call_file_function(
    path: Path, fn_name: str | None, args: list[Any], timeout_s: float = 10.0, *, style: str = "assertion"
) -> JsResult:
    """Import `path` in Node.js and call its exported function (`fn_name`, or the default export).

    `style` is how promptfoo finds the function: "assertion" (loadFromJavaScriptFile: a default
    export hides named ones), "transform" (transforms and hooks: a named function, else the
    module), "value" (test generators: an export that is not a function is the result),
    "provider" (a custom provider: `args` are [options, prompt, context]; the default export is a
    class, instantiated once per file version and options, whose `callApi(prompt, context)` is
    called)."""
    global _host
    exe = executable()
    if exe is None:
        raise ScriptError(f"{path.name} needs Node.js, which is not on PATH")
    if not path.is_file():
        raise ScriptError(f"JavaScript file not found: {path}")
    with _lock:
        if _host is None or _host.proc.poll() is not None:
            _host = _Host(exe)
        try:
            reply = _host.call(path, fn_name, args, timeout_s, style)
        except TimeoutError:
            _stop()  # the host is stuck in user code: a fresh one serves the next call
            raise ScriptError("JavaScript timed out") from None
    return decode_envelope(reply)
