"""Scale-out: a 2,000-cell suite, sync vs provider batch API, and one process vs Ray with 2 workers.

    .venv/bin/python bench/scale_out.py [--cells 2000] [-j 50] [--latency 0.1]

Every figure is a `workbench run` in a subprocess (imports included), against loopback servers:
- sync: `openai:chat:gpt-4o-mini` on tests/fake_openai_server.py (fixed latency per call);
- batch: the same suite with `--batch` on tests/fake_batch_server.py (files + batches protocol,
  answered after one poll), both answering 11 input / 7 output tokens per call, priced from
  litellm's map (sync rates, and the map's batch rates for `--batch`);
- Ray: the sync suite with `--executor ray --workers 2` (a local 2-CPU cluster started by the run).
It prints wall time and the run's $ for each.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_suite(directory: Path, base_url: str, n: int, j: int) -> Path:
    tests = "\n".join(f"  - vars: {{q: 'question {i}'}}" for i in range(n))
    path = directory / "scale.yaml"
    path.write_text(
        "prompts: ['Answer briefly: {{q}}']\n"
        "providers:\n"
        f"  - id: openai:chat:gpt-4o-mini\n    config: {{apiBaseUrl: '{base_url}', apiKey: sk-bench, timeout: 30,"
        f" transport: openai-compatible}}\n"
        f"evaluateOptions: {{maxConcurrency: {j}}}\n"
        "workbench: {batch: {poll_seconds: 0.5}}\n"
        f"tests:\n{tests}\n"
    )
    return path


def run(suite: Path, db: Path, *extra: str) -> tuple[float, float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAY_DISABLE_USAGE_STATS": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "-q", "--no-progress", *extra],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"run failed ({r.returncode}): {r.stderr[-2000:]}")
    with sqlite3.connect(db) as conn:
        (cost,) = conn.execute("select sum(cost) from results where run_id = (select max(id) from runs)").fetchone()
    return wall, float(cost or 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=2000)
    ap.add_argument("-j", "--concurrency", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.1)
    args = ap.parse_args()
    sync_server, sync_url = start(
        [sys.executable, str(ROOT / "tests" / "fake_openai_server.py"), "--delay", str(args.latency)]
    )
    batch_server, batch_url = start([sys.executable, str(ROOT / "tests" / "fake_batch_server.py"), "--usage", "11,7"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "sync").mkdir()
            (d / "batch").mkdir()
            sync_suite = write_suite(d / "sync", sync_url, args.cells, args.concurrency)
            batch_suite = write_suite(d / "batch", batch_url, args.cells, args.concurrency)
            rows = [
                ("sync, one process", *run(sync_suite, d / "sync.db")),
                ("batch API (--batch)", *run(batch_suite, d / "batch.db", "--batch")),
                ("sync, Ray 2 workers", *run(sync_suite, d / "ray.db", "--executor", "ray", "--workers", "2")),
            ]
    finally:
        for p in (sync_server, batch_server):
            p.terminate()
            p.wait(10)
    load = os.getloadavg()[0]
    ideal = args.cells / args.concurrency * args.latency
    print(
        f"{args.cells} cells, -j {args.concurrency}, {args.latency * 1000:.0f} ms per sync call (ideal {ideal:.1f} s); load {load:.1f}"
    )
    print(f"{'mode':<22} {'wall s':>8} {'$ for the run':>14}")
    for name, wall, cost in rows:
        print(f"{name:<22} {wall:>8.2f} {cost:>14.6f}")
    sync_cost, batch_cost = rows[0][2], rows[1][2]
    if sync_cost:
        print(f"batch / sync cost: {batch_cost / sync_cost:.2f}")


if __name__ == "__main__":
    main()
