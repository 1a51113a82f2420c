"""What `workbench run` loads, checked in a subprocess as a user runs it: work it does not need stays out.

Each of these cost start-up CPU on every run before it was cut (issue 19).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from workbench.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="workbench", standalone_mode=False)
except SystemExit:
    pass
import sqlite_utils.plugins
print(json.dumps({"sqlite_utils_plugins_loaded": sqlite_utils.plugins._plugins_loaded}))
"""


def run_probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_run_never_loads_sqlite_utils_plugins(tmp_path: Path) -> None:
    """sqlite-utils scans every installed distribution's entry points for its plugins the first
    time a Database runs them (~25 ms); workbench's connections use no plugin SQL function."""
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "prompts: ['say {{x}}']\nproviders: [echo]\ntests:\n  - vars: {x: hi}\n    assert: [{type: contains, value: hi}]\n"
    )
    db = tmp_path / "r.db"
    facts = run_probe(tmp_path, "run", str(suite), "--db", str(db), "-q", "--no-progress")
    assert facts == {"sqlite_utils_plugins_loaded": False}
    assert db.exists()
