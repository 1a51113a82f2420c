"""`file://` vars and assertion values checked at load time against the file-access policy.

A var file is read when a cell renders (a missing one errors its rows, as in promptfoo), but a
read the policy refuses (outside the project root, /proc, a FIFO, a symlink loop, too large) is
bad input: it stops the run before anything is written, naming the test and the var.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError
from workbench.suite.test_bank import HeldTests, TestBank
from workbench.types import Suite

_MAGIC = set("*?[")


def check_file_vars(suite: Suite) -> None:
    """SuiteError for the first `file://` var whose file the policy refuses."""
    shown = str(suite.path) if suite.path else None
    if isinstance(suite.tests, (TestBank, HeldTests)) and not suite.tests.facts.file_refs:
        return  # a suite without file:// values (known as it was loaded): no pass over its tests
    for test in suite.tests:
        for key, value in (test.vars or {}).items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                if not (isinstance(v, str) and v.startswith("file://")):
                    continue
                rel = v[len("file://") :]
                if _MAGIC & set(rel):
                    continue
                _check(suite, rel, shown, f"tests[{test.index}].vars.{key}")
        _check_asserts(suite, test.asserts or [], shown, f"tests[{test.index}].assert")


CODE_TYPES = ("python", "javascript")  # their file:// values are code: see --no-code-asserts


def _check_asserts(suite: Suite, asserts: list[Any], shown: str | None, where: str) -> None:
    for i, a in enumerate(asserts):
        if not isinstance(a, dict):
            continue
        kind = str(a.get("type") or "")
        if isinstance(a.get("assert"), list):
            _check_asserts(suite, a["assert"], shown, f"{where}[{i}].assert")
        value = a.get("value")
        if kind.removeprefix("not-") in CODE_TYPES or not (isinstance(value, str) and value.startswith("file://")):
            continue
        rel = value[len("file://") :]
        if not _MAGIC & set(rel):
            _check(suite, rel, shown, f"{where}[{i}].value")


def _check(suite: Suite, rel: str, shown: str | None, where: str) -> None:
    try:
        file_access.check(Path(suite.base_dir) / rel)
    except file_access.FileAccessError as e:
        raise SuiteError(shown, where, f"{rel}: {e.reason}") from None
    except OSError:
        return  # missing: an ERROR row when it is read, as in promptfoo
