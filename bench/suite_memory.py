#!/usr/bin/env python3
"""Memory of large suites: peak RSS of `workbench run` and of loading the suite alone, plus load time.

For each size, generates the engine-bench suite (bench/make_engine_bench.py: N tests x 2 prompts,
echo provider), then in fresh subprocesses (1) loads it with `workbench.suite.load` (load seconds,
peak RSS) and (2) runs `python -m workbench run SUITE --db X -q` (wall seconds, peak RSS of exactly
that child from `os.wait4`). Prints the load average: wall times are noisy on a shared machine,
RSS is not. Exits 1 when a run fails.

Usage: bench/suite_memory.py [--results 1000 10000 50000 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "make_engine_bench.py"

LOAD = """
import sys, time
t = time.perf_counter()
from workbench.suite import load
suite = load(sys.argv[1])
took = time.perf_counter() - t
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(f"{took:.2f} {int(hwm.split()[1]) / 1024:.0f} {len(suite.tests)}")
"""


def measured(cmd: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB of exactly this child, exit code, stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out.read().decode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=int, nargs="+", default=[1_000, 10_000, 50_000, 100_000])
    args = ap.parse_args()
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} {five:.2f} on {os.cpu_count()} CPUs")
    print(f"{'results':>8} {'yaml MB':>8} {'load s':>7} {'load RSS MB':>12} {'run s':>7} {'run RSS MB':>11}")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.results:
            d = Path(tmp) / str(n)
            subprocess.run(
                [sys.executable, str(GENERATOR), str(d), "--tests", str(n // 2)], check=True, stdout=subprocess.DEVNULL
            )
            suite = d / "promptfooconfig.yaml"
            _, _, code, out = measured([sys.executable, "-c", LOAD, str(suite)])
            load_s, load_mb, _ = out.split() if code == 0 else ("?", "?", "?")
            wall, run_mb, code, _ = measured(
                [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(d / "bench.db"), "-q"]
            )
            failed |= code != 0
            size = suite.stat().st_size / 2**20
            print(
                f"{n:>8} {size:>8.1f} {load_s:>7} {load_mb:>12} {wall:>7.1f} {run_mb:>11.0f}"
                + ("" if code == 0 else f"  exit {code}")
            )
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} {five:.2f} after")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
