#!/usr/bin/env python3
"""Engine throughput: the 5,000-result echo suite of bench/make_engine_bench.py through `workbench run`.

Prints wall time, results/s and peak RSS (the child's max RSS). With `--promptfoo PATH` it also
runs promptfoo on the same file and prints the ratio. Target (issue 19): <= 1.2 s wall (>= 15x promptfoo), <= 250 MB. CPU seconds are printed too:
on a shared machine they move less with the load than wall time does.

Usage: bench/engine_throughput.py [--tests 2500] [--promptfoo /path/to/promptfoo] [-o out.json]
On a machine shared with other jobs, `chrt -f 10 <this command>` runs it (and its children) with
real-time scheduling, so it gets a core when it needs one, as on a quiet machine; the load
average printed is still the machine's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compile_first import compile_bytecode  # a sibling script

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "make_engine_bench.py"


CPU = {"s": 0.0}  # CPU seconds (user + system) of the last timed child: robust to a loaded machine


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of this child, exit code); the child's CPU seconds go to CPU["s"].

    The figures are the child's own (`os.wait4`), not the max over every child so far: the
    bytecode step before it (compile_first.py) runs a larger process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    CPU["s"] = usage.ru_utime + usage.ru_stime
    if code not in (0, 100):
        sys.stderr.write(err)
    return wall, usage.ru_maxrss / 1024, code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", type=int, default=2500)
    ap.add_argument("--promptfoo", help="promptfoo executable to compare against")
    ap.add_argument("-o", "--output", action="append", default=[], help="also write these outputs")
    ap.add_argument("-j", type=int, default=4)
    ap.add_argument(
        "--source-only", action="store_true", help="do not compile workbench's bytecode first (see compile_bytecode)"
    )
    args = ap.parse_args()
    compile_bytecode(args.source_only)
    if not GENERATOR.exists():
        sys.exit(f"{GENERATOR}: the benchmark generator is missing")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run(
            [sys.executable, str(GENERATOR), str(d), "--tests", str(args.tests)], check=True, stdout=subprocess.DEVNULL
        )
        suite = d / "promptfooconfig.yaml"
        env = {**os.environ, "WORKBENCH_DB": str(d / "bench.db")}
        cmd = [
            sys.executable,
            "-m",
            "workbench",
            "run",
            str(suite),
            "--db",
            str(d / "bench.db"),
            "-q",
            "--no-progress",
            "-j",
            str(args.j),
        ]
        for o in args.output:
            cmd += ["-o", o]
        wall, rss, code = timed(cmd, d, env)
        cpu = CPU["s"]
        import sqlite3

        n = sqlite3.connect(d / "bench.db").execute("select count(*) from results").fetchone()[0]
        print(
            f"workbench: {n} results in {wall:.2f} s ({n / wall:,.0f} results/s), CPU {CPU['s']:.2f} s,"
            f" peak RSS {rss:.0f} MB, exit {code}; load average {os.getloadavg()[0]:.2f}"
        )
        if args.promptfoo:
            pf_wall, pf_rss, _ = timed(
                [args.promptfoo, "eval", "-c", str(suite), "--no-cache", "-o", str(d / "pf.json")], d, env
            )
            pf_cpu = CPU["s"]
            print(f"promptfoo: {pf_wall:.2f} s, CPU {pf_cpu:.2f} s, peak RSS {pf_rss:.0f} MB")
            print(f"speed-up: {pf_wall / wall:.1f}x wall, {pf_cpu / max(cpu, 1e-9):.1f}x CPU")


if __name__ == "__main__":
    main()
