"""In-sample vs nested figures of the router on docs/routing.md's synthetic suites, over seeds.

    .venv/bin/python bench/routing_synthetic.py [--seeds 5] [--db PATH]

Writes three planted suites (tests/routing_data.py) into a database, then runs the real CLI in
subprocesses:

- `support`: 60 tickets, 2 repeats; the cheap model ($0.001) fails every ticket with a legal
  clause (one in three), the strong model ($0.01) fails 3 results by leaking an e-mail. Two models.
- `tiers`: 60 tickets; cheap ($0.001) fails 'arbitration' and 'lawsuit' tickets, mid ($0.004) only
  'lawsuit', strong ($0.01) nothing. A cascade (`--models cheap,mid,strong`).
- `noise`: 60 tickets; the three models pass at random (60 / 80 / 95 %): nothing to learn. A cascade.

For each suite and each seed S in 0..N-1: `route train --seed S --nested-seeds 1` (the curve's
chosen point at CV seed S: the in-sample figure; the nested CV with fold assignment S: the honest
one), then `route train --nested-seeds N` and `route eval` (what a user sees: the mean of the N
fold assignments). Deterministic: the suites, folds and bootstraps are seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def workbench(*args: str, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"workbench {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def mix(figures: dict[str, Any], models: list[str]) -> str:
    shares = figures.get("shares") or {models[0]: 1 - figures["strong_share"], models[-1]: figures["strong_share"]}
    return " / ".join(f"{shares[m] * 100:4.1f}" for m in models)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--db", type=Path, help="database to use [default: a temporary one]")
    args = ap.parse_args()
    from routing_data import (
        CASCADE_MODELS,
        random_cascade_scenario,
        support_scenario,
        three_tier_scenario,
        write_scenario,
    )

    from workbench.store.db import open_db

    tmp = Path(tempfile.mkdtemp(prefix="wb-routing-synthetic-"))
    db_path = str(args.db or tmp / "wb.db")
    env = {**os.environ, "WORKBENCH_HOME": str(tmp / "home"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    db = open_db(db_path)
    suites = {
        "support": (write_scenario(db, support_scenario(60), label="support"), ["cheap", "strong"]),
        "tiers": (write_scenario(db, three_tier_scenario(60), label="tiers"), CASCADE_MODELS),
        "noise": (write_scenario(db, random_cascade_scenario(60), label="noise"), CASCADE_MODELS),
    }
    db.conn.close()
    print(f"load before: {os.getloadavg()[0]:.1f}")
    for name, (run_id, models) in suites.items():
        started, cpu0 = time.time(), os.times()
        print(f"\n== {name}: {' -> '.join(models)}, run {run_id}; target 90 %; shares in % ({' / '.join(models)})")
        print(f"  {'seed':>4}  {'in-sample: pass':>15} {'$/request':>10} {'shares':>17}   {'nested: pass':>12} {'95% CI':>13} {'$/request':>10} {'shares':>17}")  # fmt: skip
        rows = []
        for seed in range(args.seeds):
            label = f"{name}-s{seed}"
            train = ["route", "train", "--runs", str(run_id), "--models", ",".join(models), "--name", label]
            workbench(*train, "--seed", str(seed), "--nested-seeds", "1", "--db", db_path, env=env)
            s = json.loads(workbench("route", "eval", "--name", label, "--json", "--db", db_path, env=env))["summary"]
            p, r = s["in_sample"], s["routed"]
            rows.append((p, r))
            lo, hi = r["pass_rate_ci"]
            print(
                f"  {seed:>4}  {p['pass_rate'] * 100:14.1f}% {p['cost_per_request']:10.5f} {mix(p, models):>17}"
                f"   {r['pass_rate'] * 100:11.1f}% {lo * 100:5.1f}-{hi * 100:5.1f}% {r['cost_per_request']:10.5f}"
                f" {mix(r, models):>17}"
            )

        def span(values: list[float], scale: float = 100, digits: int = 1) -> str:
            return f"{min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f}"

        ins, nes = [p for p, _ in rows], [r for _, r in rows]
        print(
            f"  over the seeds: in-sample pass {span([p['pass_rate'] for p in ins])} %,"
            f" ${span([p['cost_per_request'] for p in ins], 1, 5)}; nested pass {span([r['pass_rate'] for r in nes])} %,"
            f" ${span([r['cost_per_request'] for r in nes], 1, 5)}"
            f" ({sum(r['pass_rate'] >= 0.9 - 1e-12 for r in nes)} of {len(nes)} meet 90 %)"
        )
        final = f"{name}-{args.seeds}seeds"
        train = ["route", "train", "--runs", str(run_id), "--models", ",".join(models), "--name", final]
        workbench(*train, "--nested-seeds", str(args.seeds), "--db", db_path, env=env)
        print()
        print(workbench("route", "eval", "--name", final, "--requests-per-day", "5000", "--db", db_path, env=env))
        cpu1 = os.times()
        cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
        print(f"({name}: {time.time() - started:.0f} s wall, {cpu:.0f} s CPU; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
