"""File access is confined, special files are refused, and secrets never leave through a file.

The trust model (workbench/file_access.py, docs/guarantees.md): `file://` reads stay inside the
suite's project root (its git root, else its directory) unless allowed with --allow-path or
`workbench.allow_paths`; /proc, /sys and /dev, FIFOs, sockets, directories and symlink loops are
refused whatever is allowed; reads have a size limit. Every refusal before the run is one line,
exit 2, and leaves the database as it was. A secret that reaches a var anyway (an allowed file,
an inline value) is redacted from the database, the cache, every output and the terminal.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI
from reliability_helpers import WB, wb_env

SECRET_KEY = "sk-planted-OPENAI-9f8e7d6c5b4a"
SECRET_TOKEN = "tok-planted-SERVICE-123456789"


def _cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    from workbench.cli.main import cli

    old = os.getcwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(cli, ["run", *args, "--no-progress", "-q"], env=env)
    finally:
        os.chdir(old)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, res.stdout, res.stderr


def _project(tmp_path: Path, suite: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "s.yaml").write_text(suite)
    (tmp_path / "outside.txt").write_text("outside the project\n")
    return proj


def _expect_refused(proj: Path, message: str, *extra: str, env: dict[str, str] | None = None) -> None:
    code, out, err = _cli(proj, "s.yaml", "--db", "r.db", *extra, env=env)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and message in err, err
    assert not (proj / "r.db").exists()


@pytest.mark.parametrize(
    "suite",
    [
        "prompts: [file://../outside.txt]\nproviders: [echo]\n",
        "prompts: ['{{d}}']\nproviders: [echo]\ntests: [{vars: {d: file://../outside.txt}}]\n",
        "prompts: [x]\nproviders: [echo]\ntests: file://../outside.txt\n",
        "prompts: [x]\nproviders: [echo]\ntests: [{vars: file://../outside.txt}]\n",
    ],
    ids=["prompt", "var", "tests file", "vars file"],
)
def test_reads_outside_the_project_root_are_refused_unless_allowed(tmp_path: Path, suite: str) -> None:
    proj = _project(tmp_path, suite)
    _expect_refused(proj, "outside the project root")
    # allowed explicitly: the same read goes through (it may still fail later as a test file, not as access)
    _code, _out, err = _cli(proj, "s.yaml", "--db", "r.db", "--allow-path", str(tmp_path))
    assert "outside the project root" not in err


def test_the_git_root_is_the_project_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "suites").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "common.txt").write_text("common {{n}}")
    (repo / "suites" / "s.yaml").write_text(
        "prompts: [file://../common.txt]\nproviders: [echo]\ntests: [{vars: {n: 1}}]\n"
    )
    code, _out, err = _cli(repo / "suites", "s.yaml", "--db", "r.db")
    assert code == 0, err


def test_allow_paths_config_key(tmp_path: Path) -> None:
    proj = _project(
        tmp_path,
        "prompts: ['{{d}}']\nproviders: [echo]\ntests: [{vars: {d: file://../outside.txt}}]\nworkbench: {allow_paths: [..]}\n",
    )
    code, _out, err = _cli(proj, "s.yaml", "--db", "r.db")
    assert code == 0, err
    row = sqlite3.connect(proj / "r.db").execute("select output from results").fetchone()
    assert row == ("outside the project",)


@pytest.mark.parametrize(
    "ref,message",
    [
        ("file:///proc/self/environ", "/proc is never read"),
        ("file:///sys/kernel/uevent_seqnum", "/sys is never read"),
        ("file:///dev/zero", "/dev is never read"),
        ("file://env-link.txt", "/proc is never read"),  # a symlink inside the project to /proc
    ],
)
def test_proc_sys_dev_are_refused_even_when_allowed(tmp_path: Path, ref: str, message: str) -> None:
    proj = _project(tmp_path, f"prompts: ['{{{{d}}}}']\nproviders: [echo]\ntests: [{{vars: {{d: '{ref}'}}}}]\n")
    (proj / "env-link.txt").symlink_to("/proc/self/environ")
    _expect_refused(proj, message, "--allow-path", "/")


def test_fifo_socket_directory_and_symlink_loop_are_refused(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    os.mkfifo(proj / "fifo.txt")
    (proj / "loop-a.txt").symlink_to(proj / "loop-b.txt")
    (proj / "loop-b.txt").symlink_to(proj / "loop-a.txt")
    (proj / "adir.txt").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(proj / "sock.txt"))
    try:
        cases = [
            ("prompts: [file://fifo.txt]", "a FIFO, not a regular file"),
            ("prompts: [x]\ntests: file://fifo.txt", "a FIFO, not a regular file"),
            ("prompts: ['{{d}}']\ntests: [{vars: {d: file://fifo.txt}}]", "a FIFO, not a regular file"),
            ("prompts: [file://sock.txt]", "a socket, not a regular file"),
            ("prompts: [file://loop-a.txt]", "symlink loop"),
            ("prompts: [x]\ntests: file://loop-a.txt", "symlink loop"),
            ("prompts: ['{{d}}']\ntests: [{vars: {d: file://loop-a.txt}}]", "symlink loop"),
            ("prompts: [x]\ntests: file://adir.txt", "is a directory"),
        ]
        for body, message in cases:
            (proj / "s.yaml").write_text(body + "\nproviders: [echo]\n")
            _expect_refused(proj, message)
        # the suite file itself
        code, _o, err = _cli(proj, "fifo.txt", "--db", "r.db")
        assert (code, err) == (2, "Error: fifo.txt: refused: a FIFO, not a regular file\n")
    finally:
        sock.close()


def test_reads_have_a_size_limit(tmp_path: Path) -> None:
    proj = _project(tmp_path, "prompts: [file://big.txt]\nproviders: [echo]\n")
    (proj / "big.txt").write_text("x" * 300_000)
    _expect_refused(
        proj, "300,000 bytes is over the read limit of 262,144 bytes", env={"WORKBENCH_MAX_FILE_MB": "0.25"}
    )
    (proj / "s.yaml").write_text("prompts: [x]\nproviders: [echo]\n" + "#" * 300_000 + "\n")
    _expect_refused(proj, "is over the read limit of 262,144 bytes", env={"WORKBENCH_MAX_FILE_MB": "0.25"})


def test_secrets_arriving_through_vars_are_redacted_everywhere(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    """An allowed notes file and an inline var both carry the planted key and token; the loopback
    model echoes them back. Nothing written holds either value."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "notes.txt").write_text(f"key={SECRET_KEY} token={SECRET_TOKEN}\n")
    suite = {
        "description": f"suite {SECRET_TOKEN}",
        "prompts": ["Summarize {{notes}} and {{inline}}"],
        "providers": [
            "echo",
            {
                "id": "openai:chat:gpt-4o-mini",
                "config": {"apiBaseUrl": fake_openai.base_url, "apiKey": SECRET_KEY, "retry_base_delay": 0.01},
            },
        ],
        "tests": [
            {
                "description": f"leaks {SECRET_KEY}",
                "vars": {"notes": "file://notes.txt", "inline": f"inline {SECRET_TOKEN}"},
                "assert": [{"type": "contains", "value": SECRET_KEY}, {"type": "contains", "value": "nope"}],
            }
        ],
    }
    (proj / "s.yaml").write_text(yaml.safe_dump(suite))
    db = proj / "r.db"
    outs = ["out.json", "out.jsonl", "out.csv", "out.md", "out.yaml", "out.junit.xml"]
    env = wb_env(db, OPENAI_API_KEY=SECRET_KEY, MY_SERVICE_TOKEN=SECRET_TOKEN)
    args = [*WB, "s.yaml", "--db", str(db), "--no-progress"] + [a for o in outs for a in ("-o", o)]
    proc = subprocess.run(args, cwd=proj, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 100, proc.stderr
    assert fake_openai.count >= 1  # the model saw the prompt (it is the user's call to send it)
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    assert conn.execute("select count(*) from cache").fetchone()[0] >= 1
    conn.close()
    written = {"db": db.read_bytes().decode("latin-1"), "stdout": proc.stdout, "stderr": proc.stderr}
    written.update({o: (proj / o).read_text() for o in outs})
    for name, text in written.items():
        assert SECRET_KEY not in text and SECRET_TOKEN not in text, name
    assert "[redacted]" in (proj / "out.json").read_text()
