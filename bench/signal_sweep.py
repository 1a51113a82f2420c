#!/usr/bin/env python3
"""Signal a real `workbench run` at many moments after its start; count runs left `running`.

Each case starts `python -m workbench run` in a fresh subprocess on a 3-test suite whose provider
never answers (127.0.0.1:9, retries 5-10 s apart), so the run is still going when SIGINT or
SIGTERM (alternating) arrives OFFSET s after the start. It then reads the run's status from the
SQLite file. A case is bad when the exit code is not 130/143, the process takes a second or more
to exit, stderr is not one line, or a run is left `running`. A signal that arrives before
workbench's own handlers exist (seen in /proc: the interpreter is still starting) may end the
process Python's way, provided nothing was written; those are counted as "early".

Usage: bench/signal_sweep.py [--from 0.1] [--to 1.5] [--step 0.05] [--reps 3]
Prints one line per case and a summary with the outcome counts and the load average.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def suite(d: Path) -> Path:
    provider = {"apiBaseUrl": "http://127.0.0.1:9/v1", "apiKey": "sk-sweep", "retry_base_delay": 10}
    tests = [{"vars": {"n": i}, "assert": [{"type": "contains", "value": f"Q {i}"}]} for i in range(3)]
    p = d / "suite.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "prompts": ["Q {{n}}"],
                "providers": [{"id": "openai:chat:gpt-4o-mini", "config": provider}],
                "tests": tests,
            }
        )
    )
    return p


def handlers_ready(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    caught = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("SigCgt:")), None)
    return caught is None or bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


def one(d: Path, offset: float, sig: int) -> tuple[str, str]:
    """(outcome, detail): outcome is ok / early / running / bad."""
    s = suite(d)
    db = d / "s.db"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(PYTHONPATH=str(ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True", WORKBENCH_DB=str(db))
    t_start = time.monotonic()
    cmd = [sys.executable, "-m", "workbench", "run", str(s), "--db", str(db), "-q", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(0.0, offset - (time.monotonic() - t_start)))
    early = not handlers_ready(proc.pid)
    t0 = time.monotonic()
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    took = time.monotonic() - t0
    runs: list[tuple[int, str]] = []
    if db.exists():
        with sqlite3.connect(db) as conn:
            try:
                runs = list(conn.execute("select id, status from runs"))
            except sqlite3.OperationalError:
                pass
    lines = err.splitlines()
    detail = f"exit {proc.returncode} in {took:.2f} s, runs {runs}, stderr {err.strip()[-120:]!r}"
    if any(status == "running" for _, status in runs):
        return "running", detail
    if early and proc.returncode in (-sig, 1) and not db.exists():
        return "early", detail
    good = proc.returncode == 128 + sig and took < 1.0 and len(lines) == 1
    return ("ok" if good else "bad"), detail


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="lo", type=float, default=0.1)
    ap.add_argument("--to", dest="hi", type=float, default=1.5)
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    counts: dict[str, int] = {}
    load_before = os.getloadavg()
    n = 0
    with tempfile.TemporaryDirectory(prefix="signal-sweep-") as tmp:
        offset = a.lo
        while offset <= a.hi + 1e-9:
            for _ in range(a.reps):
                sig = (signal.SIGINT, signal.SIGTERM)[n % 2]
                d = Path(tmp) / f"c{n}"
                d.mkdir()
                outcome, detail = one(d, round(offset, 3), sig)
                counts[outcome] = counts.get(outcome, 0) + 1
                print(f"{offset:.2f} s {signal.Signals(sig).name:7} {outcome:7} {detail}", flush=True)
                n += 1
            offset += a.step
    print(f"{n} cases: {counts}; load {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
