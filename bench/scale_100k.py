#!/usr/bin/env python3
"""Scale: a 100,000-result `workbench run` on `echo`, then its JSON and JSONL outputs.

Generates the engine-bench suite (bench/make_engine_bench.py) with 50,000 tests (x 2 prompts = 100,000 cells), runs it
through the real CLI (summary table included, stdout discarded), then writes `-o` style JSON and
JSONL from the stored run in a fresh process. Each step's peak RSS is that child's own, measured
under a small fresh parent (bench/child_peak.py: `os.wait4` on a child of a large process reports
the parent's peak), so one step never hides another. Exits 1 when a step fails, a result is missing,
or a peak RSS passes the limit (default 1024 MB). The load average is printed with the timings:
on a shared machine wall times are noisy, RSS is not.

Usage: bench/scale_100k.py [--tests 50000] [--limit-mb 1024] [--dir DIR] [-j 4]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_peak import load_average, run_measured  # a sibling script

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "make_engine_bench.py"

WRITE_OUTPUTS = """
import sys
from pathlib import Path
from workbench.store.lean_import import import_sqlite_utils_lean
import_sqlite_utils_lean()
from workbench.report import write_outputs
from workbench.store.db import open_db
db = open_db(sys.argv[1], create=False)
write_outputs(db, int(sys.argv[2]), [Path(sys.argv[3])])
"""


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB of exactly this child, exit code, stderr tail)."""
    m = run_measured(cmd, env=env)
    return m.wall_s, m.peak_mb, m.code, m.stderr[-2000:]


def load() -> str:
    return load_average()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", type=int, default=50_000, help="tests in the suite (2 prompts each)")
    ap.add_argument("--limit-mb", type=float, default=1024.0, help="fail when a peak RSS passes this")
    ap.add_argument("--dir", type=Path, help="work here and keep the files (default: a temp dir)")
    ap.add_argument("-j", type=int, default=4, help="--max-concurrency of the run")
    args = ap.parse_args()
    if not GENERATOR.exists():
        print(f"{GENERATOR}: the benchmark generator is missing", file=sys.stderr)
        return 1
    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory()
        work = Path(tmp.name)
    else:
        work = args.dir
        work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(work, args)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _bench(work: Path, args: argparse.Namespace) -> int:
    subprocess.run(
        [sys.executable, str(GENERATOR), str(work), "--tests", str(args.tests)], check=True, stdout=subprocess.DEVNULL
    )
    suite = work / "promptfooconfig.yaml"
    db = work / "scale.db"
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    env = {**os.environ, "WORKBENCH_DB": str(db), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    expected = args.tests * 2
    failed = False
    print(f"suite: {args.tests:,} tests x 2 prompts = {expected:,} cells; {load()}")

    cmd = [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "--no-progress", "-j", str(args.j)]
    wall, rss, code, err = measured(cmd, env)
    conn = sqlite3.connect(db)
    n, run_id = conn.execute("select count(*), max(run_id) from results").fetchone()
    status = conn.execute("select status from runs where id = ?", [run_id]).fetchone()[0]
    conn.close()
    print(
        f"run:   {n:,} results in {wall:.1f} s ({n / wall:,.0f} results/s), peak RSS {rss:.0f} MB,"
        f" exit {code}, status {status}; {load()}"
    )
    if code not in (0, 100) or n != expected or status != "completed":
        print(f"FAIL: run exit {code}, {n} of {expected} results, status {status}\n{err}", file=sys.stderr)
        failed = True
    failed |= _check_rss("run", rss, args.limit_mb)

    for ext in ("json", "jsonl"):
        out = work / f"scale.{ext}"
        wall, rss, code, err = measured([sys.executable, "-c", WRITE_OUTPUTS, str(db), str(run_id), str(out)], env)
        size = out.stat().st_size / 1e6 if out.exists() else 0.0
        print(f"{ext}:  {size:,.0f} MB written in {wall:.1f} s, peak RSS {rss:.0f} MB, exit {code}; {load()}")
        if code != 0:
            print(f"FAIL: writing {ext} exited {code}\n{err}", file=sys.stderr)
            failed = True
        failed |= _check_rss(ext, rss, args.limit_mb)
        if ext == "jsonl" and code == 0:
            with open(out, "rb") as fh:
                lines = sum(1 for _ in fh)
            if lines != expected:
                print(f"FAIL: {out} has {lines} lines, expected {expected}", file=sys.stderr)
                failed = True
        out.unlink(missing_ok=True)
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


def _check_rss(step: str, rss: float, limit: float) -> bool:
    if rss > limit:
        print(f"FAIL: {step} peak RSS {rss:.0f} MB > {limit:.0f} MB", file=sys.stderr)
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
