#!/usr/bin/env python3
"""The broad hostile-input sweep: mutated suites and promptfoo configs through `workbench run --dry-run`.

Each case is a seeded mutation (tests/hostile_inputs.py) of one of suites/*.yaml or an in-repo
promptfooconfig.yaml, run through the CLI's own `main()` in this process (the exit mapping of
`python -m workbench`; `--subprocess` runs each case as a real process instead). A case breaks the
contract when it exits 1 (an internal error) or anything but 0/2/100, prints a traceback, or exits 2
with more than one line or a line that does not name the file.

With `--run`, each case is a real run instead (`--providers echo`, offline, a database per case;
it may be written: a run is stored), so assertion values are compiled and graded too.

Usage: bench/hostile_sweep.py [--seed 1] [--cases 2000] [--subprocess] [--run]
Prints each failing case, then: cases run, failures, exit-code counts, wall and CPU time, load.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_inputs import cases, place, run_in_process, verdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--subprocess", action="store_true")
    ap.add_argument("--run", action="store_true", help="real runs with the echo provider, not --dry-run")
    args = ap.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    codes: collections.Counter[int] = collections.Counter()
    bad = 0
    jump = (0.0, "")  # the largest rise of this process's peak RSS in one case (MiB), and the case
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i, case in enumerate(cases(args.seed, args.cases)):
            path = place(case, work, i)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            argv = ["run", str(path), "--dry-run", "--db", str(work / "never.db")]
            if args.run:
                argv = [
                    "run",
                    str(path),
                    "--providers",
                    "echo",
                    "-q",
                    "--no-progress",
                    "--db",
                    str(path.parent / "w.db"),
                ]
            if args.subprocess:
                p = subprocess.run(
                    [sys.executable, "-m", "workbench", *argv], capture_output=True, text=True, timeout=120
                )
                code, err = p.returncode, p.stderr
            else:
                code, err = run_in_process(argv)
            codes[code] += 1
            rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
            if rise > jump[0]:
                jump = (rise, f"case {i} {case.seed.relative_to(ROOT)} [{case.kind}]")
            problem = verdict(path, code, err)
            if problem is None and (work / "never.db").exists():
                problem = "wrote the database"
            if problem:
                bad += 1
                print(f"case {i} {case.seed.relative_to(ROOT)} [{case.kind}]: {problem}", flush=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.cases} cases (seed {args.seed}): {bad} broke the contract; exit codes {dict(sorted(codes.items()))};"
        f" wall {wall:.1f} s, cpu {cpu:.1f} s, peak RSS {peak:.0f} MiB (largest rise {jump[0]:.0f} MiB: {jump[1]});"
        f" load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
