"""Outputs of a stored run: promptfoo-shaped JSON, JSONL, CSV, JUnit XML, YAML, Markdown, static HTML.

`write_outputs(db, run_id, paths)` picks each file's format by its extension, like promptfoo's
`-o`. Every writer streams from the database (see `source.py`), so output size never limits run size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlite_utils import Database

from workbench.errors import StoreError, UsageError
from workbench.report.csv_out import write_csv
from workbench.report.html_report import write_html
from workbench.report.jsonl import write_jsonl
from workbench.report.junit import write_junit
from workbench.report.markdown import write_markdown
from workbench.report.promptfoo_json import write_json
from workbench.report.yaml_out import write_yaml

Writer = Callable[[Database, int, IO[str]], None]

# Checked in order: `.junit.xml` before any plain extension.
FORMATS: tuple[tuple[str, str], ...] = (
    (".junit.xml", "junit"),
    (".jsonl", "jsonl"),
    (".json", "json"),
    (".csv", "csv"),
    (".yaml", "yaml"),
    (".yml", "yaml"),
    (".md", "markdown"),
    (".html", "html"),
)
SUPPORTED = ", ".join(ext for ext, _ in FORMATS)


def format_for(path: Path | str) -> str:
    """The output format of `path`, or a UsageError naming the supported extensions."""
    name = str(path).lower()
    for ext, fmt in FORMATS:
        if name.endswith(ext):
            return fmt
    suffix = Path(name).suffix or "(none)"
    raise UsageError(f"{path}: unsupported output format {suffix}; use one of: {SUPPORTED}")


def _writer(fmt: str) -> Writer:
    if fmt == "json":
        return write_json
    if fmt == "jsonl":
        return write_jsonl
    if fmt == "csv":
        return write_csv
    if fmt == "junit":
        return write_junit
    if fmt == "html":
        return write_html
    if fmt == "markdown":
        return write_markdown

    return write_yaml


def check_output_paths(paths: list[Path]) -> None:
    """Fail fast (UsageError, exit 2) before anything runs: an unsupported extension or a target
    that cannot be written."""
    for p in paths:
        format_for(p)
        check_writable(Path(p))


def check_writable(p: Path) -> None:
    """UsageError unless `p` can be written: not a directory, not read-only, its directory creatable."""
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, not an output file")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{p}: not writable")
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{p}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{p}: cannot write in {parent} (permission denied)")


def write_outputs(db: Database, run_id: int, paths: list[Path]) -> None:
    """Write the run to each path; every format is checked before anything is written."""
    plan = [(Path(p), _writer(format_for(p))) for p in paths]
    for path, write in plan:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        # newline="" so csv controls its own line endings; UTF-8 whatever the locale.
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                write(db, run_id, fh)
            tmp.replace(path)
        except OSError as e:  # disk full, quota, file size limit: no half-written file stays behind
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{path}: cannot write the output ({e.strerror or e})") from None


__all__ = ["FORMATS", "SUPPORTED", "check_output_paths", "check_writable", "format_for", "write_outputs"]
