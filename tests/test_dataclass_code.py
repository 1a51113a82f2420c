"""The CLI's cache of dataclasses' compiled methods (workbench/dataclass_code.py), in subprocesses:
installing it changes the process's dataclasses, so it is never installed in the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from dataclasses import dataclass, field
if sys.argv[1] == "cached":
    from workbench import dataclass_code
    dataclass_code.install()

@dataclass(frozen=True, order=True)
class Point:
    x: int
    label: str = "p"
    tags: tuple = field(default_factory=tuple)

@dataclass
class Box:
    items: list = field(default_factory=list)
    size: int = 0

import workbench.types as t

p = Point(1)
seen = [repr(p), p == Point(1), p != Point(1, "q"), p < Point(2), hash(p) == hash(Point(1)), repr(Box())]
try:
    p.x = 2
except Exception as e:
    seen.append(type(e).__name__)
b = Box()
b.items.append(1)
seen += [Box().items, repr(t.Cell(1, 2, 3)), t.Cell(1, 2, 3) == t.Cell(1, 2, 3), t.Cell(1, 2, 3).key]
compiled = dataclass_code.compiled_this_run() if sys.argv[1] == "cached" else None
print(json.dumps({"compiled": compiled, "seen": seen}))
"""


def probe(cache: Path, mode: str = "cached") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def test_methods_compiled_once_then_read_from_the_cache(tmp_path: Path) -> None:
    plain = probe(tmp_path / "unused", "plain")
    first = probe(tmp_path)
    files = list(tmp_path.glob("dataclass-code-*.marshal"))
    assert len(files) == 1
    second = probe(tmp_path)
    # the first run compiled the generated methods and saved them; the second compiled none
    assert isinstance(first["compiled"], int) and first["compiled"] > 20
    assert second["compiled"] == 0
    # and the classes behave as plain dataclasses do
    assert first["seen"] == second["seen"] == plain["seen"]
    assert plain["seen"][6] == "FrozenInstanceError" and plain["seen"][7] == []
    assert not (tmp_path / "unused").exists()  # without install() nothing is written


def test_an_unreadable_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    first = probe(tmp_path)
    [path] = tmp_path.glob("dataclass-code-*.marshal")
    path.write_bytes(b"\x00not marshal")
    again = probe(tmp_path)
    assert again["compiled"] == first["compiled"] and again["seen"] == first["seen"]
    assert probe(tmp_path)["compiled"] == 0


def test_the_cli_installs_it(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "prompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n  - vars: {word: hi}\n"
        "    assert: [{type: contains, value: hi}]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(tmp_path / "r.db"), "-q", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "cache").glob("dataclass-code-*.marshal"))
