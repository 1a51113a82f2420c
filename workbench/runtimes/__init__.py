"""Run user code: JavaScript in an embedded V8 (mini-racer), Python in-process, and transforms.

`javascript.run_javascript`, `python.run_python` and `transforms.apply_transform` are the entry
points. JavaScript is never translated to Python; it runs in one reused V8 context per thread.
"""

from __future__ import annotations


class ScriptError(Exception):
    """User code raised, timed out, or returned something unusable. The message is user-facing."""


class CodeNotAllowed(ScriptError):
    """Code execution is disabled (`--no-code-asserts`, GradeConfig.allow_code=False)."""
