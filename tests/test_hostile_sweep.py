"""Hostile input never becomes an internal error: a seeded mutation sweep over the repo's suites
and in-repo promptfoo configs (tests/hostile_inputs.py), each case through the CLI's own `main()`.

Every case must exit 0 or 2 (or 100, below threshold), never 1; an exit 2 is one line naming the
file, and nothing is written. The broad sweep is bench/hostile_sweep.py; the inputs it found that
used to exit 1 are pinned below, each in the shape that triggered it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hostile_inputs import BOMB, ROOT, cases, place, run_in_process, verdict
from reliability_helpers import wb_env

SEED, CASES = 20261203, 300


def test_the_seeded_sweep_keeps_the_contract(tmp_path: Path) -> None:
    broken = []
    for i, case in enumerate(cases(SEED, CASES)):
        path = place(case, tmp_path, i)
        code, err = run_in_process(["run", str(path), "--dry-run", "--db", str(tmp_path / "never.db")])
        problem = verdict(path, code, err)
        if problem:
            broken.append(f"{case.seed.relative_to(ROOT)} [{case.kind}]: {problem}")
    assert not broken, "\n".join(broken)
    assert not (tmp_path / "never.db").exists()


def _suite(tmp_path: Path, **changes: object) -> Path:
    doc: dict[str, object] = {"prompts": ["Say {{x}}"], "providers": ["echo"], "tests": [{"vars": {"x": "hi"}}]}
    doc.update(changes)
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, width=10**6))
    return path


LONG = "x" * 5000  # longer than NAME_MAX: looking it up as a file raised ENAMETOOLONG (exit 1)


@pytest.mark.parametrize(
    ("changes", "key_path"),
    [
        ({"tests": [{"vars": LONG}]}, "tests[0].vars"),  # a vars string is a vars file path
        ({"tests": [LONG]}, "tests[0]"),  # a test string is a tests file path
        ({"tests": LONG}, "tests"),
    ],
)
def test_a_value_too_long_for_a_file_name_is_a_missing_file_not_an_internal_error(
    tmp_path: Path, changes: dict[str, object], key_path: str
) -> None:
    path = _suite(tmp_path, **changes)
    code, err = run_in_process(["run", str(path), "--dry-run"])
    assert code == 2, err
    assert err.startswith(f"Error: {path}: {key_path}: file not found: xxx") and err.count("\n") == 1, err[:300]


def test_a_prompt_text_too_long_for_a_file_name_is_text(tmp_path: Path) -> None:
    path = _suite(tmp_path, prompts=[LONG + ".txt"])  # ends like a file name: was looked up, exit 1
    code, err = run_in_process(["run", str(path), "--dry-run"])
    assert code == 0, err[:300]


def test_in_process_and_subprocess_exit_the_same(tmp_path: Path) -> None:
    """The sweep runs in-process: `python -m workbench` maps the same input to the same exit and line."""
    path = _suite(tmp_path, tests=[{"vars": LONG}])
    code, err = run_in_process(["run", str(path), "--dry-run"])
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        env=wb_env(tmp_path / "w.db"),
        timeout=120,
    )
    assert (proc.returncode, proc.stderr) == (code, err) == (2, err)


def test_an_anchor_bomb_neither_blows_memory_nor_crashes(tmp_path: Path) -> None:
    """Nine levels of nine aliases (9**9 leaves if expanded) beside a valid suite: a real process,
    its address space capped at 2 GiB, loads it with the aliases shared."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + yaml.safe_dump({"prompts": ["hi"], "providers": ["echo"], "tests": [{"vars": {}}]}))
    cap = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
    command = [
        sys.executable,
        "-c",
        cap + "import runpy, sys; sys.argv = ['workbench', 'run', sys.argv[1], '--dry-run'];"
        " runpy.run_module('workbench', run_name='__main__')",
        str(path),
    ]
    # The child's own peak comes from a small fresh parent: a child inherits its parent's
    # high-water mark at fork, and this test process may have loaded models (GiBs) before.
    peak_file = tmp_path / "peak"
    parent = (
        "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]);"
        " open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", parent, str(peak_file), *command],
        capture_output=True,
        text=True,
        env=wb_env(tmp_path / "w.db"),
        timeout=120,
    )
    assert proc.returncode in (0, 2), proc.stderr[-500:]
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert int(peak_file.read_text()) < 2 << 20  # KiB: under 2 GiB
