#!/usr/bin/env python3
"""Analysis speed: build two 100,000-result runs and time recommend / diff / compare / routing.

Target (issue 6/7): each answers in well under the UI's 2 s first-render budget.
Usage: bench/analysis_speed.py [DB_PATH]
"""

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from analysis_data import make_run, prompt

from workbench.store.db import open_db

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "bench100k.db"
for suffix in ("", "-wal", "-shm"):
    Path(str(path) + suffix).unlink(missing_ok=True)
db = open_db(path)
rnd = random.Random(1)
prompts = [
    prompt("ticket", "v1", "Summarize the ticket.\n{{text}}\n"),
    prompt("ticket", "v2", "Summarize the ticket briefly.\n{{text}}\n"),
]
models = ["m0", "m1", "m2", "m3", "m4"]
variants = ["none", "llmlingua:0.5"]
TESTS, REPEATS = 2500, 2


def build(label):
    run = make_run(db, [], prompts=prompts, providers=models, tests=TESTS, label=label)
    rows = []
    for p in range(2):
        for v in variants:
            for m in range(5):
                for t in range(TESTS):
                    for r in range(REPEATS):
                        ok = rnd.random() < 0.80 + 0.04 * m
                        tin = rnd.randint(200, 900)
                        tout = rnd.randint(20, 200)
                        cost = tin * 1e-7 * (m + 1) + tout * 4e-7 * (m + 1)
                        cached = rnd.random() < 0.1
                        rows.append(
                            (
                                run,
                                f"{p}:{v}:{m}:{t}:{r}",
                                p,
                                m,
                                t,
                                r,
                                v,
                                p + 1,
                                f"echo:m{m}",
                                f"m{m}",
                                "x",
                                "prompt text " * 20,
                                "output text " * 15,
                                int(ok),
                                1.0 if ok else 0.0,
                                None,
                                tin,
                                tout,
                                0.0 if cached else cost,
                                cost if cached else None,
                                rnd.uniform(100, 2000),
                                int(cached),
                                1,
                                int(not ok and rnd.random() < 0.1),
                                json.dumps({"fluency": rnd.random()}),
                            )
                        )
    with db.conn:
        db.conn.executemany(
            "insert into results (run_id, cell_key, prompt_idx, provider_idx, test_idx, repeat, variant, prompt_version_id,"
            " provider_id, provider_label, model, prompt, output, success, score, error, tokens_in, tokens_out, cost,"
            " cached_cost, latency_ms, cached, attempts, guardrail_failures, named_scores) values"
            " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return run


t = time.perf_counter()
base = build("base")
head = build("head")
print(f"built 2 x {db['results'].count // 2} results in {time.perf_counter() - t:.1f}s")
db.conn.close()

from workbench.analysis.comparison import compare_runs
from workbench.analysis.diff import diff_versions
from workbench.analysis.oracle_routing import routing_bound
from workbench.analysis.recommend import recommend_for

for name, fn in [
    ("recommend", lambda db: recommend_for(db, run=head, requests_per_day=10000)),
    ("diff", lambda db: diff_versions(db, "ticket", "v1", "v2", run_id=head)),
    ("compare", lambda db: compare_runs(db, base, head)),
    ("routing", lambda db: routing_bound(db, [head])),
]:
    db = open_db(path)
    t = time.perf_counter()
    out = fn(db)
    dt = time.perf_counter() - t
    print(f"{name}: {dt * 1000:.0f} ms")
import subprocess

for args in (["recommend", "--run", str(head)], ["diff", "ticket", "v1", "v2", "--run", str(head)]):
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "workbench", *args, "--db", str(path)], check=True, capture_output=True)
    print(f"CLI workbench {args[0]} (process incl. startup): {(time.perf_counter() - t) * 1000:.0f} ms")
