"""The bench/ scripts whose targets are guarantees run in CI, at full size, and must pass.

Each script prints its figures and exits non-zero when its target is missed; these tests only
run them (marked slow: together about two to four minutes on two cores).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def test_scale_100k_stays_under_1_gb() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_100k.py"), "--limit-mb", "1024"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "100,000" in proc.stdout or "100000" in proc.stdout


def test_engine_throughput_5000_results() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engine_throughput.py")], capture_output=True, text=True, timeout=300
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert "workbench: 5000 results" in proc.stdout
