#!/usr/bin/env python3
"""Memory of large suites: peak RSS of `workbench run` and of loading the suite alone, plus times.

For each size, generates the engine-bench suite (bench/make_engine_bench.py: N/2 tests x 2
prompts, echo provider, written a test at a time), then in fresh subprocesses (1) loads it with
`workbench.suite.load` (load seconds, peak RSS) and (2) runs `python -m workbench run SUITE --db X
-q --no-progress` (with `--json`: also `-o out.json`), reporting wall and CPU seconds and the
child's own peak RSS (bench/child_peak.py: measured under a small fresh parent, so the bench's
own size never leaks into the figure). Suites over 50 MB get `WORKBENCH_MAX_FILE_MB` raised for
the run. Prints the load average before and after each size: wall times are noisy on a shared
machine, RSS is not. Exits 1 when a run fails, or a peak passes --limit-mb.

Usage: bench/suite_memory.py [--results 1000 10000 50000 100000] [--json] [--limit-mb MB] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_peak import load_average, run_measured  # a sibling script

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "make_engine_bench.py"

LOAD = """
import sys, time
t = time.perf_counter()
import workbench.file_access as fa
fa.set_policy(fa.FilePolicy(None, fa.default_max_bytes()))
from workbench.suite import load
suite = load(sys.argv[1])
took = time.perf_counter() - t
print(f"{took:.2f} {time.process_time():.2f} {len(suite.tests)}")
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=int, nargs="+", default=[1_000, 10_000, 50_000, 100_000])
    ap.add_argument("--json", action="store_true", help="also write the promptfoo JSON output (-o out.json)")
    ap.add_argument("--limit-mb", type=float, help="fail when a run's peak RSS passes this")
    ap.add_argument("--keep", type=Path, help="generate the suites here and keep them (reused when present)")
    args = ap.parse_args()
    print(load_average())
    print(
        f"{'results':>9} {'yaml MB':>8} {'load s':>7} {'load CPU s':>10} {'load MB':>8} {'run s':>7} {'run CPU s':>9}"
        f" {'run MB':>7}  load average after"
    )
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for n in args.results:
            d = base / str(n)
            suite = d / "promptfooconfig.yaml"
            if not suite.exists():
                subprocess.run(
                    [sys.executable, str(GENERATOR), str(d), "--tests", str(n // 2)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            size = suite.stat().st_size / 2**20
            env = dict(os.environ)
            if size > 50:
                env["WORKBENCH_MAX_FILE_MB"] = str(int(size) + 10)
            loaded = run_measured([sys.executable, "-c", LOAD, str(suite)], env=env)
            load_s, load_cpu = loaded.stdout.split()[:2] if loaded.code == 0 else ("?", "?")
            db = d / "bench.db"
            for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                p.unlink(missing_ok=True)
            cmd = [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "-q", "--no-progress"]
            if args.json:
                cmd += ["-o", str(d / "out.json")]
            run = run_measured(cmd, env=env)
            (d / "out.json").unlink(missing_ok=True)
            bad = run.code not in (0, 100) or (args.limit_mb is not None and run.peak_mb > args.limit_mb)
            failed |= bad
            print(
                f"{n:>9} {size:>8.1f} {load_s:>7} {load_cpu:>10} {loaded.peak_mb:>8.0f} {run.wall_s:>7.1f} {run.cpu_s:>9.1f}"
                f" {run.peak_mb:>7.0f}  {load_average()}" + (f"  FAIL exit {run.code}" if bad else ""),
                flush=True,
            )
            if run.code not in (0, 100):
                print(run.stderr[-2000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
