"""The methods dataclasses generate, compiled once and kept across runs of the CLI.

`dataclasses` writes each generated method (`__init__`, `__repr__`, `__eq__`, a frozen class's
`__setattr__`, ...) as Python source and runs it with `exec`: a `workbench run` creates ~100
dataclasses, and parsing and compiling their ~450 small functions is ~4 % of the CPU of a
5,000-result echo run (bench/engine_throughput.py). `install()` gives the dataclasses module an
`exec` that takes the compiled code of that exact source text from a marshal file, the way Python
keeps modules' bytecode in `__pycache__`; the methods made from it are the ones `exec` of the text
makes. The file is keyed by the interpreter's bytecode magic number, holds code objects only
(keyed by their full source text, so a changed class never gets another's code), is rewritten
(atomically) only when a run compiled something new, and is ignored when unreadable.

Only the `workbench` program installs it (`workbench/__main__.py`), before the CLI imports the
library; importing workbench as a library changes nothing.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
from pathlib import Path
from types import CodeType
from typing import Any

from workbench.tokens import cache_dir

MAX_ENTRIES = 5000  # a cache that grew past this (many edited classes) starts again

_state: dict[str, Any] = {}  # "codes": source -> code, "new": count compiled this run, "path"


def cache_path() -> Path:
    return cache_dir() / f"dataclass-code-{importlib.util.MAGIC_NUMBER.hex()}.marshal"


def install() -> None:
    """Make `dataclasses` reuse compiled methods from the cache file (idempotent)."""
    if _state:
        return
    path = cache_path()
    codes: dict[str, CodeType] = {}
    try:
        loaded = marshal.loads(path.read_bytes())
        if isinstance(loaded, dict) and len(loaded) <= MAX_ENTRIES:
            codes = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}
    except (OSError, ValueError, EOFError, TypeError):
        pass
    _state.update(codes=codes, new=0, path=path)
    setattr(dataclasses, "exec", _exec)  # noqa: B010 - the module's global, which its code looks up first
    atexit.register(_save)


def compiled_this_run() -> int:
    """How many generated methods this process compiled (0 when all came from the cache)."""
    return int(_state.get("new", 0))


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: dict[str, Any] | None = None) -> None:
    if isinstance(source, str):
        codes: dict[str, CodeType] = _state["codes"]
        code = codes.get(source)
        if code is None:
            code = codes[source] = compile(source, "<string>", "exec")
            _state["new"] += 1
        source = code
    builtins.exec(source, globals, locals)


def _save() -> None:
    if not _state.get("new"):
        return
    path: Path = _state["path"]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(_state["codes"]))
        tmp.replace(path)
    except (OSError, ValueError):
        pass  # a read-only cache directory only costs the compiling next time
