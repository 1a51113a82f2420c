#!/usr/bin/env python3
"""CLI start-up: wall and CPU time of `workbench --help` and `workbench COMMAND --help`.

Each case runs `python -m workbench ...` in a fresh subprocess (the interpreter's own start-up
included, as a user sees it), REPS times after one warm-up run (the page cache holds the files).
workbench's bytecode is compiled first, as installing the package does (`--source-only` skips
that: with PYTHONDONTWRITEBYTECODE=1 every start would compile what it imports from source).
Prints the median wall time and the median CPU time (user+sys of the child) per case, and the
load average before and after: on a busy machine the CPU time is the steadier figure.
Target (issue 14): `workbench --help` and `workbench run --help` <= 0.12 s.

Usage: bench/cli_startup.py [--reps 7] [--commands run,compare,...] [--source-only] [-o out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = "run,runs,compare,plan,diff,recommend,models,plugins,cache,merge,ui,compat,route,failures,optimize,batch"


def once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one `python -m workbench ARGS`; the exit code must be 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # cwd=ROOT: `python -m` puts the working directory first on sys.path, before PYTHONPATH.
    done = subprocess.run(
        [sys.executable, "-m", "workbench", *args], env=env, cwd=ROOT, capture_output=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"workbench {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--commands", default=DEFAULT, help="comma-separated commands whose --help is timed")
    ap.add_argument("--source-only", action="store_true", help="do not compile workbench's bytecode first")
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args()
    if not args.source_only:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "workbench")], check=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    cases = [["--help"]] + [[c, "--help"] for c in args.commands.split(",") if c]
    load_before = os.getloadavg()
    rows = []
    for case in cases:
        once(case, env)  # warm-up: files in the page cache, .pyc written
        times = [once(case, env) for _ in range(args.reps)]
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        rows.append({"args": " ".join(case), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)})
        print(f"workbench {' '.join(case):<22} wall {wall:6.3f} s   cpu {cpu:6.3f} s", flush=True)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); {args.reps} reps, median")
    if args.output:
        out = {"reps": args.reps, "load_before": load_before, "load_after": load_after, "cases": rows}
        args.output.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
