"""Bad input, broadly: every case of tests/fixtures/bad/cases.yaml through the real `workbench run`.

Each case must exit 2 with exactly its one-line `error` on stderr (no traceback, nothing on
stdout) and leave an existing database byte-identical. All cases run in-process through the
click entry point (fast); a sample also runs as a real subprocess (`python -m workbench`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from reliability_helpers import WB, wb_env

CASES_FILE = Path(__file__).parent / "fixtures" / "bad" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text())


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding one finished run (the one every bad case must leave alone)."""
    d = tmp_path_factory.mktemp("seed")
    (d / "ok.yaml").write_text("prompts: ['hi {{n}}']\nproviders: [echo]\ntests: [{vars: {n: 1}}]\n")
    from workbench.cli.main import cli

    cwd = os.getcwd()
    os.chdir(d)
    try:
        res = CliRunner().invoke(cli, ["run", "ok.yaml", "--db", "seed.db", "-q"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert res.exit_code == 0, res.stderr
    from workbench.store.db import open_db

    open_db(d / "seed.db").conn.execute("pragma wal_checkpoint(truncate)")
    return d / "seed.db"


def _materialize(case: dict[str, Any], d: Path) -> None:
    for name, text in (case.get("files") or {}).items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
    for name, hexdata in (case.get("binary") or {}).items():
        (d / name).write_bytes(bytes.fromhex(hexdata))


def _snapshot(db: Path) -> tuple[bytes, bytes]:
    """The database file's bytes and its write-ahead log's (the -shm index is only shared memory)."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes(), wal.read_bytes() if wal.exists() else b""


def test_corpus_is_broad() -> None:
    assert len(CASES) >= 100
    assert len({c["name"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert c["error"].startswith("Error: ") and "\n" not in c["error"], c["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_db_untouched(
    case: dict[str, Any], seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.cli.main import cli

    _materialize(case, tmp_path)
    db = tmp_path / "results.db"
    shutil.copy(seeded_db, db)
    before = _snapshot(db)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    res = CliRunner().invoke(cli, ["run", *case["args"], "--no-progress"], env=case.get("env"))
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert (res.exit_code, res.stderr) == (2, case["error"] + "\n")
    assert res.stdout == ""
    assert _snapshot(db) == before


SUBPROCESS_SAMPLE = ["invalid yaml", "unknown provider", "tests csv ragged row", "filter-providers bad regex"]


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_bad_input_through_the_real_entry_point(name: str, seeded_db: Path, tmp_path: Path) -> None:
    case = next(c for c in CASES if c["name"] == name)
    _materialize(case, tmp_path)
    db = tmp_path / "results.db"
    shutil.copy(seeded_db, db)
    before = _snapshot(db)
    env = wb_env(db, **(case.get("env") or {}))
    proc = subprocess.run([*WB, *case["args"]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, case["error"] + "\n", "")
    assert _snapshot(db) == before
