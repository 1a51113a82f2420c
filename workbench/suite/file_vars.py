"""`file://` vars checked at load time against the file-access policy.

A var file is read when a cell renders (a missing one errors its rows, as in promptfoo), but a
read the policy refuses (outside the project root, /proc, a FIFO, a symlink loop, too large) is
bad input: it stops the run before anything is written, naming the test and the var.
"""

from __future__ import annotations

from pathlib import Path

from workbench import file_access
from workbench.errors import SuiteError
from workbench.types import Suite

_MAGIC = set("*?[")


def check_file_vars(suite: Suite) -> None:
    """SuiteError for the first `file://` var whose file the policy refuses."""
    shown = str(suite.path) if suite.path else None
    for test in suite.tests:
        for key, value in (test.vars or {}).items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                if not (isinstance(v, str) and v.startswith("file://")):
                    continue
                rel = v[len("file://") :]
                if _MAGIC & set(rel):
                    continue
                try:
                    file_access.check(Path(suite.base_dir) / rel)
                except file_access.FileAccessError as e:
                    raise SuiteError(shown, f"tests[{test.index}].vars.{key}", f"{rel}: {e.reason}") from None
                except OSError:
                    continue  # missing: an ERROR row at render time, as in promptfoo
