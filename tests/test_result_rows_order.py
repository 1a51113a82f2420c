"""Result rows keep the order cells finished in, whether or not they carry assertion results.

Rows without assertions are inserted in one executemany per batch and rows with assertions one
by one (their id is needed for their assertion rows): the two kinds interleave in one batch.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mixed_rows_keep_their_order_and_their_assertions(tmp_path: Path) -> None:
    tests = []
    for i in range(12):  # tests 0, 3, 6, 9 have an assertion; the others none
        asserts = f"\n    assert: [{{type: contains, value: 'q{i}'}}]" if i % 3 == 0 else ""
        tests.append(f"  - vars: {{x: q{i}}}{asserts}")
    suite = tmp_path / "s.yaml"
    suite.write_text("prompts: ['say {{x}}']\nproviders: [echo]\ntests:\n" + "\n".join(tests) + "\n")
    db = tmp_path / "r.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "-q", "--no-progress", "-j", "1"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(db)
    order = [r[0] for r in con.execute("select test_idx from results order by id")]
    assert order == list(range(12))  # -j 1: the cells finish in matrix order
    with_asserts = con.execute(
        "select r.test_idx, a.type, a.pass from assertion_results a join results r on r.id = a.result_id"
        " order by r.test_idx"
    ).fetchall()
    assert with_asserts == [(0, "contains", 1), (3, "contains", 1), (6, "contains", 1), (9, "contains", 1)]
    outputs = dict(con.execute("select test_idx, output from results"))
    assert outputs == {i: f"say q{i}" for i in range(12)}
