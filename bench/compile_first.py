"""Compile workbench's modules to bytecode before a timed CLI run, as installing the package does
(a sibling module the benches import)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_bytecode(source_only: bool) -> None:
    """Compile workbench's modules to bytecode first, as installing the package does.

    With PYTHONDONTWRITEBYTECODE=1 in the environment (some sandboxes set it) and no compiled
    files, every CLI start would compile ~200 modules from source (~0.15 s) that an installed
    workbench never compiles; `--source-only` measures that case.

    The methods of the run path's dataclasses are compiled into their cache too
    (workbench/dataclass_code.py), as any earlier `workbench` command leaves them: a timed run is
    then not the machine's very first one."""
    if source_only:
        print("bytecode: not compiled (--source-only): each run compiles what has no up-to-date .pyc")
        return
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "workbench")], check=True)
    warm = "from workbench import dataclass_code; dataclass_code.install(); import workbench.cli.actions.run"
    subprocess.run([sys.executable, "-c", warm], check=True)
    print("bytecode: workbench compiled first, as `pip install` does (and the dataclass methods' cache filled)")
