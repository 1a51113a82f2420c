"""Run one promptfoo config directory through `workbench run -c promptfooconfig.yaml -o OUT.json`,
as a promptfoo user would (a subprocess, from the config's own directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_config(cwd: Path, out: Path, db: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "run",
            "-c",
            "promptfooconfig.yaml",
            "-o",
            str(out),
            "--db",
            str(db),
            *extra,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


def run_case(case: Path, tmp: Path, db_name: str = "compat.db") -> Path:
    """The case's `-o` JSON output (asserted to exist: a missing file shows the run's stderr)."""
    out = tmp / f"{case.name}.json"
    proc = run_config(case, out, tmp / db_name)
    assert out.exists(), f"workbench run wrote no output (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    return out
