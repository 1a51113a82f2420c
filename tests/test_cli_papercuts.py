"""CLI papercuts from issue 18, each checked through the real CLI in a subprocess (stdout and
stderr are pipes, as in CI): progress lines off a terminal, `runs` unsqueezed when piped, a missing
database is bad input (exit 2), a misspelled command names the right one."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from ci_project import TESTS, project, write_prompt, write_suite

from workbench.run.progress_lines import ProgressLines


def cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_progress_lines_are_throttled() -> None:
    now = [100.0]
    out = io.StringIO()
    lines = ProgressLines("s.yaml", interval=5, out=out, clock=lambda: now[0])
    # The first cell takes 30 s (a model loads); then one cell every 2 s.
    for done, t in [(1, 130), (2, 132), (3, 134), (4, 136), (5, 138)]:
        now[0] = t
        lines(done, 10)
    assert out.getvalue().splitlines() == [
        "[s.yaml] 1/10 cells (10.0%), 30 s elapsed",  # no rate yet: no estimate
        "[s.yaml] 4/10 cells (40.0%), 36 s elapsed, ~12 s left",  # 2 s a cell since the first, not 9
    ]


def test_run_prints_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    suite = project(tmp_path)
    res = cli("run", suite, "--db", tmp_path / "r.db", "-q", env={"WORKBENCH_PROGRESS_SECONDS": "0"})
    assert res.returncode == 0, res.stderr
    progress = [line for line in res.stderr.splitlines() if line.startswith("[greet.yaml] ")]
    assert progress[-1].startswith("[greet.yaml] 3/3 cells (100.0%), ")
    assert len(progress) == 3
    # --no-progress silences them; a run shorter than the default 5 s prints none.
    quiet = cli("run", suite, "--db", tmp_path / "r.db", "-q", "--no-progress", env={"WORKBENCH_PROGRESS_SECONDS": "0"})
    assert "cells" not in quiet.stderr
    fast = cli("run", suite, "--db", tmp_path / "r.db", "-q")
    assert "cells" not in fast.stderr


def test_runs_is_not_truncated_when_piped(tmp_path: Path) -> None:
    long_label = "a-very-long-release-label-that-must-survive-a-pipe-" + "x" * 40
    write_prompt(tmp_path, "Say hello to {{name}} politely. Mention {{topic}}.\n")
    suite = write_suite(tmp_path, name="a_suite_with_a_rather_long_descriptive_file_name", tests=TESTS)
    assert cli("run", suite, "--db", tmp_path / "r.db", "-q", "--label", long_label).returncode == 0
    res = cli("runs", "--db", tmp_path / "r.db")
    assert res.returncode == 0
    assert long_label in res.stdout
    assert "a_suite_with_a_rather_long_descriptive_file_name" in res.stdout
    assert "…" not in res.stdout


def test_missing_database_is_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for args in (["runs"], ["recommend"], ["failures"], ["diff", "greet", "v1", "v2"], ["compare", "a", "b"]):
        res = cli(*args, "--db", missing)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr == f"Error: {missing}: no such database (run `workbench run` first, or pass --db)\n", args
    assert not missing.exists()


def test_misspelled_command_suggests_the_right_one() -> None:
    res = cli("recomend")
    assert (res.returncode, res.stderr) == (2, "Error: No such command 'recomend'. Did you mean 'recommend'?\n")
    res = cli("xyzzy")
    assert res.returncode == 2
    assert res.stderr.startswith("Error: No such command 'xyzzy'. Commands: ") and "recommend" in res.stderr


def test_unknown_prompt_yaml_keys_warn(tmp_path: Path) -> None:
    suite = project(tmp_path)
    (tmp_path / "prompts" / "greet" / "prompt.yaml").write_text(
        "description: greetings\ncompressible_vars: [topic]\nversions: {v1: first}\n", encoding="utf-8"
    )
    res = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(tmp_path / "r.db"), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == [
        "warning: prompts/greet/prompt.yaml: unknown key 'compressible_vars' (did you mean 'compressible'?)",
        "warning: prompts/greet/prompt.yaml: unknown key 'versions'",
    ]


def test_shipped_prompt_families_use_known_keys() -> None:
    from workbench.suite.families import metadata_warnings

    root = Path(__file__).resolve().parent.parent / "prompts"
    assert [w for d in sorted(root.iterdir()) if d.is_dir() for w in metadata_warnings(d)] == []


def test_busy_ui_port_is_one_error_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = cli("ui", "--port", port, "--db", tmp_path / "r.db", timeout=60)
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        f"Error: ui: port {port} on 127.0.0.1 is already in use (another `workbench ui`?); pick one with --port\n"
    )


def test_estimate_line_does_not_compare_untokenized_echo_with_actual_tokens(tmp_path: Path) -> None:
    from workbench.run.estimate import estimate_vs_actual
    from workbench.store.writer import RunTotals

    suite = project(tmp_path)
    res = cli("run", suite, "--db", tmp_path / "r.db")
    assert res.returncode == 0, res.stderr
    line = res.stdout.splitlines()[-1]
    assert line.startswith("Estimate: $0 for 3 calls (free or unpriced providers: tokens not estimated); actual: $0, ")
    assert "0 tokens in" not in res.stdout
    # A run with priced and free providers: the token estimate names the calls it covers.
    est = {"calls": 10, "counted_calls": 4, "tokens_in": 400, "tokens_out": 40, "cost": 0.002}
    assert estimate_vs_actual(est, RunTotals(cost=0.0021, tokens_in=900, tokens_out=90)) == (
        "Estimate: $0.002 for 10 calls, 400 tokens in, ~40 out for the 4 priced calls;"
        " actual: $0.0021, 900 in, 90 out for all calls"
    )


def test_guardrail_counts_agree_between_summary_and_recommend(tmp_path: Path) -> None:
    """One result failing two guardrail checks and one failing one: 3 failed checks everywhere."""
    import json

    tests = [
        {"description": "a", "vars": {"name": "a@example.com 4111111111111111", "topic": "x"}},
        {"description": "b", "vars": {"name": "b@example.com", "topic": "y"}},
        {"description": "c", "vars": {"name": "Carol", "topic": "z"}},
    ]
    default = {
        "assert": [
            {"type": "not-regex", "value": "\\S+@\\S+", "metric": "guardrail/email"},
            {"type": "not-regex", "value": "\\d{16}", "metric": "guardrail/card"},
        ]
    }
    write_prompt(tmp_path, "Say hello to {{name}} politely. Mention {{topic}}.\n")
    suite = write_suite(tmp_path, tests=tests, defaultTest=default)
    db = tmp_path / "r.db"
    res = cli("run", suite, "--db", db, "--pass-rate-threshold", "0")
    header, _, row = res.stdout.splitlines()[:3]
    assert "guardrail fails" in header
    column = header.index("guardrail fails") + len("guardrail fails")
    assert row[:column].split()[-1] == "3"
    rec = json.loads(cli("recommend", "--db", db, "--json").stdout)
    reasons = rec["excluded"][0]["reasons"]
    assert "pass rate 33.3% (1/3) below target 90.0%" in reasons and "3 guardrail failures" in reasons
    assert rec["pairs"][0]["guardrail_failures"] == 3 and rec["pairs"][0]["guardrail_failed_results"] == 2
