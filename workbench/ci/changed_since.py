"""`--changed-since REF`: the suites a change touches.

Changed files are those that differ between the merge base of REF and HEAD and the working tree
(`git diff --name-only $(git merge-base REF HEAD)`: the same as `git diff --name-only REF...` on a
clean CI checkout, plus local edits), and untracked files. A suite is affected when its own file
changed, or a file it references changed: its prompt files (from `workbench.suite.load`), and any
`file://` reference in the YAML (test files, var files, assertion scripts, provider files), globs
included, so a deleted or added prompt version matched by `prompts/x/*.md` counts too. A suite
that no longer loads is affected (running it reports the error).
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path
from typing import Any

from workbench.errors import SuiteError, UsageError
from workbench.suite import load, load_config


def _git(args: list[str], cwd: Path) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except OSError as e:
        raise UsageError(f"--changed-since needs git ({e})") from None
    if out.returncode != 0:
        msg = (out.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"--changed-since: git {' '.join(args)}: {msg}")
    return out.stdout


def changed_files(ref: str, cwd: Path | None = None) -> set[Path]:
    """Absolute paths of files changed since the merge base of `ref` and HEAD (tracked or not)."""
    where = Path(cwd or Path.cwd()).resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], where).strip())
    base = _git(["merge-base", ref, "HEAD"], where).strip()
    names = _git(["diff", "--name-only", "--no-renames", base], top).splitlines()
    names += _git(["ls-files", "--others", "--exclude-standard"], top).splitlines()
    return {(top / n).resolve() for n in names if n.strip()}


def _file_refs(value: Any) -> list[str]:
    """Every `file://...` string anywhere in a parsed YAML document."""
    if isinstance(value, str):
        return [value[len("file://") :]] if value.startswith("file://") else []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _file_refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _file_refs(v)]
    return []


def _strip_function(ref: str) -> str:
    """`file://checks.py:grade` names a function in a file; `C:\\` style drives stay whole."""
    head, sep, tail = ref.rpartition(":")
    if sep and head and "/" not in tail and "." not in tail and len(head) > 1:
        return head
    return ref


def suite_inputs(suite_path: Path) -> tuple[set[Path], list[str]]:
    """(files the suite uses, glob patterns it references), as absolute paths."""
    path = suite_path.resolve()
    files = {path}
    patterns: list[str] = []
    base = path.parent
    try:
        raw = load_config(path)
    except SuiteError:
        return files, patterns
    for ref in _file_refs(raw):
        target = _strip_function(ref)
        full = (base / target).resolve() if not Path(target).is_absolute() else Path(target)
        if any(ch in target for ch in "*?["):
            patterns.append(os.path.normpath(base / target))
        else:
            files.add(full)
    try:
        suite = load(path)
    except SuiteError:
        return files, patterns
    files.update(p.path.resolve() for p in suite.prompts if p.path is not None)
    return files, patterns


def is_affected(suite_path: Path, changed: set[Path]) -> bool:
    files, patterns = suite_inputs(suite_path)
    if files & changed:
        return True
    return any(fnmatch.fnmatchcase(str(c), pat) for c in changed for pat in patterns)


def affected_suites(suite_paths: list[Path], ref: str) -> list[Path]:
    """The suites (in the given order) that use a file changed since `ref`."""
    if not suite_paths:
        return []
    changed = changed_files(ref, suite_paths[0].resolve().parent)
    return [p for p in suite_paths if is_affected(p, changed)]


def select_changed(suite_paths: list[Path], ref: str) -> list[Path]:
    """`workbench run --changed-since REF`: the affected suites, saying which (stderr)."""
    import sys

    chosen = affected_suites(suite_paths, ref)
    if not chosen:
        print(f"No suite uses a file changed since {ref}; nothing to run.", file=sys.stderr)
    else:
        skipped = len(suite_paths) - len(chosen)
        print(
            f"Changed since {ref}: running {', '.join(str(p) for p in chosen)}"
            + (f" ({skipped} unaffected suite{'s' * (skipped != 1)} skipped)" if skipped else ""),
            file=sys.stderr,
        )
    return chosen
