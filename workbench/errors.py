"""Typed errors. The CLI turns each into one line on stderr and an exit code; no traceback."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class. `exit_code` is what the CLI exits with."""

    exit_code = 1


class UsageError(WorkbenchError):
    """Bad flags or arguments (exit 2)."""

    exit_code = 2


class SuiteError(WorkbenchError):
    """Invalid user input in a suite, prompt file, test file or var file (exit 2).

    The message is `<file>: <key path>: <what is wrong>`, e.g.
    `suites/x.yaml: tests[3].assert[0]: 'value' is required`.
    """

    exit_code = 2

    def __init__(self, file: str | None, key_path: str | None, message: str) -> None:
        self.file = file
        self.key_path = key_path
        self.message = message
        parts = [p for p in (file, key_path) if p]
        super().__init__(": ".join([*parts, message]))


class AssertionConfigError(Exception):
    """An assertion that *throws* in promptfoo: the whole row becomes an ERROR row."""


class ProviderError(WorkbenchError):
    """A provider that cannot be resolved or configured (exit 2 at load, ERROR row at call)."""

    exit_code = 2


class StoreError(WorkbenchError):
    exit_code = 1


class PluginError(WorkbenchError):
    """An installed plugin that cannot be loaded or registers something invalid (exit 2)."""

    exit_code = 2


class DatabaseInputError(StoreError):
    """A --db that is not a usable workbench database (a directory, not SQLite, truncated, or made
    by a newer workbench): bad input, exit 2, nothing written."""

    exit_code = 2


class DiskFullError(StoreError):
    """The disk (or the file size limit) filled up while writing: one line, exit 1."""
