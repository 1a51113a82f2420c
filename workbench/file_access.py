"""Every file a suite names (prompts, vars, tests, assertion values, scripts) is read through here.

The trust model (docs/guarantees.md, "File access"): a suite may read files inside its *project
root* only: the directory of the config file, or the root of the git repository holding it.
Anything else needs an explicit allowance (`workbench run --allow-path DIR`, or
`workbench: {allow_paths: [DIR]}` in the suite). Whatever the roots:

- `/proc`, `/sys` and `/dev` are refused (`/proc/self/environ` holds every API key);
- only regular files are read: FIFOs, sockets, devices and directories are refused (a FIFO would
  block the run forever);
- a symlink is followed, and its *target* must be allowed; a symlink loop is refused;
- a file larger than `max_bytes` (default 50 MB, `WORKBENCH_MAX_FILE_MB`) is refused.

Refusals raise `FileAccessError`, an OSError, so each caller reports it as it reports a missing
file: one line naming the suite file and key (exit 2), or an ERROR row for a file read while
grading. Library callers that set no policy get no root confinement but every other check.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import UsageError

SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
DEFAULT_MAX_MB = 50.0


class FileAccessError(PermissionError):
    """A read refused by the file-access policy; str() is the one-line reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(errno.EACCES, reason, str(path))
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


@dataclass(frozen=True)
class FilePolicy:
    roots: tuple[Path, ...] | None = None  # None: not confined (library use without a project)
    max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)

    def describe_roots(self) -> str:
        """The roots as the user sees them: relative to the working directory when inside it."""
        cwd = Path.cwd().resolve()
        shown = []
        for r in self.roots or ():
            try:
                shown.append(str(r.relative_to(cwd)) or ".")
            except ValueError:
                shown.append(str(r))
        return ", ".join(shown)


def default_max_bytes() -> int:
    """`WORKBENCH_MAX_FILE_MB` in bytes (default 50 MB); UsageError unless a finite number > 0."""
    raw = os.environ.get("WORKBENCH_MAX_FILE_MB")
    if not raw:
        return int(DEFAULT_MAX_MB * 1024 * 1024)
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not 0 < mb < float("inf"):
        raise UsageError(f"WORKBENCH_MAX_FILE_MB={raw!r}: expected a number of megabytes greater than 0")
    return int(mb * 1024 * 1024)


_policy = FilePolicy(max_bytes=int(DEFAULT_MAX_MB * 1024 * 1024))


def current_policy() -> FilePolicy:
    return _policy


def set_policy(policy: FilePolicy) -> None:
    global _policy
    _policy = policy


@contextmanager
def policy(p: FilePolicy) -> Iterator[None]:
    previous = current_policy()
    set_policy(p)
    try:
        yield
    finally:
        set_policy(previous)


def allow(directories: Iterable[Path]) -> None:
    """Add directories to the roots of a confined policy (a suite's `workbench.allow_paths`)."""
    pol = current_policy()
    if pol.roots is not None:
        extra = tuple(Path(d).resolve() for d in directories)
        set_policy(FilePolicy(tuple(dict.fromkeys(pol.roots + extra)), pol.max_bytes))


def git_root(directory: Path) -> Path | None:
    """The top of the git work tree holding `directory`, else None (no git, or not a repository)."""
    for d in [directory, *directory.parents]:
        if (d / ".git").exists():
            return d
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=directory, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def project_roots(config_paths: Iterable[Path], allowed: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Each config's git root (else its directory), plus the explicitly allowed directories."""
    roots: list[Path] = []
    for p in config_paths:
        d = Path(p).resolve().parent
        roots.append(git_root(d) or d)
    roots.extend(Path(a).resolve() for a in allowed)
    return tuple(dict.fromkeys(roots))


def is_file(path: Path | str) -> bool:
    """`Path.is_file()`, except that a name the system cannot look up (longer than NAME_MAX or
    PATH_MAX: ENAMETOOLONG) is False, not an OSError: no such file can exist. Used where a suite's
    value may be a file or text (a 5000-character prompt or `vars` string)."""
    try:
        return Path(path).is_file()
    except OSError:
        return False


def is_dir(path: Path | str) -> bool:
    """`Path.is_dir()`, False for a name the system cannot look up (see `is_file`)."""
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check(path: Path | str, pol: FilePolicy | None = None) -> Path:
    """The resolved path when `path` may be read, else FileAccessError (FileNotFoundError when missing)."""
    pol = pol or current_policy()
    p = Path(path)
    try:
        resolved = p.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        raise FileAccessError(p, "symlink loop") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise FileAccessError(p, "symlink loop") from None
        raise
    for special in SPECIAL_ROOTS:
        if _inside(resolved, special):
            raise FileAccessError(p, f"refused: {special} is never read (it exposes the process and the system)")
    st = resolved.stat()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(p))
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file"
        )
        raise FileAccessError(p, f"refused: {kind}, not a regular file")
    if pol.roots is not None and not any(_inside(resolved, r) for r in pol.roots):
        raise FileAccessError(
            p,
            f"outside the project root ({pol.describe_roots()}); allow it with --allow-path DIR"
            " or workbench.allow_paths",
        )
    if st.st_size > pol.max_bytes:
        raise FileAccessError(
            p, f"{st.st_size:,} bytes is over the read limit of {pol.max_bytes:,} bytes (WORKBENCH_MAX_FILE_MB)"
        )
    return resolved


def read_bytes(path: Path | str) -> bytes:
    resolved = check(path)
    with open(resolved, "rb") as fh:
        data = fh.read(current_policy().max_bytes + 1)
    if len(data) > current_policy().max_bytes:  # grew after the check
        raise FileAccessError(path, f"over the read limit of {current_policy().max_bytes:,} bytes")
    return data


def read_text(path: Path | str, encoding: str = "utf-8", errors: str = "strict") -> str:
    """Like Path.read_text (universal newlines included), through the policy."""
    return decode_text(read_bytes(path), encoding, errors)


def decode_text(data: bytes, encoding: str = "utf-8", errors: str = "strict") -> str:
    """Bytes as text mode reads them: \r\n and \r become \n."""
    return data.decode(encoding, errors).replace("\r\n", "\n").replace("\r", "\n")
