"""The public API (workbench/__init__.py) end to end on echo suites: run, open, recommend, compare."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import workbench
from workbench.ci.gates import GateConfig
from workbench.errors import StoreError
from workbench.run.command import RunRequest


def write_suite(path: Path, alice_must_contain: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "description": "greet",
                "prompts": ["Hello {{name}}"],
                "providers": ["echo"],
                "tests": [
                    {"vars": {"name": "alice"}, "assert": [{"type": "contains", "value": alice_must_contain}]},
                    {"vars": {"name": "bob"}, "assert": [{"type": "contains", "value": "bob"}]},
                ],
            }
        )
    )
    return path


def test_run_open_recommend_compare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db_path = tmp_path / "api.db"
    with pytest.raises(StoreError):
        workbench.open_results(db_path)  # nothing yet: refused, not created
    assert not db_path.exists()

    good = write_suite(tmp_path / "good.yaml", "alice")
    assert workbench.run_suites(RunRequest(paths=[good], db=db_path, label="base", quiet=True)) == 0
    bad = write_suite(tmp_path / "bad.yaml", "carol")  # alice's answer never contains "carol"
    code = workbench.run_suites(RunRequest(paths=[bad], db=db_path, label="head", quiet=True))
    assert code == 100  # pass rate 50 % < the default threshold of 100 %

    db = workbench.open_results(db_path)
    rows = db.execute("select label, passes, failures from runs order by id").fetchall()
    assert rows == [("base", 2, 0), ("head", 1, 1)]

    # echo is a test double, never recommended; the reasons say why, with the run's own numbers
    rec = workbench.recommend(db, run="base")
    assert rec.pick is None and [p.pass_rate for p in rec.pairs] == [1.0]
    assert [e.reasons for e in rec.excluded] == [["test double: echo returns the rendered prompt"]]
    head = workbench.recommend(db, run="head")
    assert [e.reasons[1:] for e in head.excluded] == [["pass rate 50.0% (1/2) below target 90.0%"]]
    assert [e.reasons[1:] for e in workbench.recommend(db, run="head", min_pass_rate=0.5).excluded] == [[]]

    review = workbench.compare("base", "head", db_path, GateConfig(fail_on_regression=True))
    assert not review.ok
    assert [g.name for g in review.tripped] == ["regression"]
    assert workbench.compare("base", "base", db_path, GateConfig(fail_on_regression=True)).ok


def test_import_workbench_is_cheap() -> None:
    code = (
        "import sys, workbench; "
        "print(sorted(m for m in sys.modules if m.startswith('workbench') or m in ('sqlite_utils', 'litellm', 'click')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['workbench', 'workbench.version']"
