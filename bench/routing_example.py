"""The cost router on the example suite, end to end, with the numbers docs/routing.md quotes.

    .venv/bin/python bench/routing_example.py [--requests-per-day 10000] [--db PATH]

Starts the two loopback models (tests/routing_models.py: `openai/cheap-model` drops the order id
on long, non-English and chargeback tickets; `openai/strong-model` almost never fails) on the
address in suites/routing_demo.yaml (127.0.0.1:8765), then runs the real CLI in subprocesses:

    workbench run suites/routing_demo.yaml
    workbench route train --suite suites/routing_demo.yaml --cheap openai/cheap-model --strong openai/strong-model
    workbench route eval --requests-per-day N
    workbench route predict ...        (two new tickets: a German one and a short English one)
    workbench recommend --requests-per-day N

and prints the figures. Everything is deterministic (the suite is generated with a fixed seed,
the models answer from the request content, CV and bootstrap are seeded), so a second run prints
the same numbers. The database and WORKBENCH_HOME go to a temporary directory unless --db is given.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "suites" / "routing_demo.yaml"
CHEAP, STRONG = "openai/cheap-model", "openai/strong-model"
sys.path.insert(0, str(ROOT / "tests"))

NEW_TICKETS = {
    "German ticket": {
        "ticket": "Meine Jacke ist beschädigt angekommen, ich möchte bitte eine neue. Die Naht ist nicht gut."
    },
    "short English ticket": {
        "ticket": "The discount code did not apply when I bought the Summit down jacket. Can you fix it?"
    },
}


def workbench(*args: str, env: dict[str, str], check: bool = True) -> str:
    exe = Path(sys.executable).parent / "workbench"
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if check and proc.returncode not in (0, 100):
        sys.exit(f"workbench {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def port_of_suite() -> int:
    providers = yaml.safe_load(SUITE.read_text(encoding="utf-8"))["providers"]
    return int(urlparse(providers[0]["config"]["apiBaseUrl"]).port or 80)


def render_v2(vars: dict[str, Any]) -> str:
    from workbench.render.templating import render

    return render((ROOT / "prompts" / "ticket_summary" / "v2.md").read_text(encoding="utf-8"), vars)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests-per-day", type=float, default=10000)
    ap.add_argument("--db", type=Path, help="database to use [default: a temporary one]")
    args = ap.parse_args()
    from routing_models import TicketModels

    tmp = Path(tempfile.mkdtemp(prefix="wb-routing-"))
    db = str(args.db or tmp / "wb.db")
    env = {**os.environ, "WORKBENCH_HOME": str(tmp / "home"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    rpd = f"{args.requests_per_day:g}"
    try:
        server = TicketModels().start(port_of_suite())
    except OSError as e:
        sys.exit(f"cannot listen on 127.0.0.1:{port_of_suite()} ({e}); stop whatever uses that port")
    try:
        print(workbench("run", str(SUITE), "--db", db, "--no-progress", "--no-cache", "-j", "8", env=env))
        print(f"(the loopback server answered {len(server.requests)} requests)\n")
    finally:
        server.stop()

    suite = os.path.relpath(SUITE, ROOT)
    train = (
        "route", "train", "--suite", suite, "--cheap", CHEAP, "--strong", STRONG, "--name", "routing-demo",
        "--nested-seeds", "5",
    )  # fmt: skip
    print(workbench(*train, "--db", db, env=env))
    print(workbench("route", "eval", "--name", "routing-demo", "--requests-per-day", rpd, "--db", db, env=env))
    data = json.loads(
        workbench("route", "eval", "--name", "routing-demo", "--requests-per-day", rpd, "--json", "--db", db, env=env)
    )
    base = {"customer_name": "Eva Novak", "order_id": "NW-777001", "product": "Summit down jacket"}
    for label, extra in NEW_TICKETS.items():
        vars = {**base, **extra}
        out = workbench(
            "route", "predict", "--name", "routing-demo", "--vars", json.dumps(vars), render_v2(vars), "--db", db,
            env=env,
        )  # fmt: skip
        print(f"predict, new {label}: {out.strip()}")
    print()
    recommend = workbench("recommend", "--requests-per-day", rpd, "--db", db, env=env)
    print("\n".join(recommend.splitlines()[-5:]))
    print_numbers(data["summary"], data["evaluation"])


def print_numbers(s: dict[str, Any], ev: dict[str, Any]) -> None:
    r, single = s["routed"], s["single_cheapest_acceptable"]
    lo, hi = s["area_gain_ci"]
    print("\nNumbers")
    print(f"  tests: {ev['tests']}, {ev['folds']}-fold grouped CV, fitted: {ev.get('fitted')}")
    print(f"  always cheap:  pass {ev['cheap']['pass_rate']:.1%}, ${ev['cheap']['cost_per_request']:.6f}/request")
    print(f"  always strong: pass {ev['strong']['pass_rate']:.1%}, ${ev['strong']['cost_per_request']:.6f}/request")
    print(
        f"  oracle:        pass {ev['oracle']['pass_rate']:.1%}, ${ev['oracle']['cost_per_request']:.6f}/request,"
        f" {ev['oracle']['strong_share']:.1%} to strong"
    )
    p = s["in_sample"]
    print(
        f"  in-sample (threshold picked on the curve it is read from): {p['strong_share']:.1%} to strong,"
        f" pass {p['pass_rate']:.1%}, ${p['cost_per_request']:.6f}/request"
    )
    rng = s["nested"]["range"]
    print(
        f"  nested CV over {len(s['nested']['seeds'])} seeds: pass {rng['pass_rate'][0]:.1%}-{rng['pass_rate'][1]:.1%},"
        f" {rng['strong_share'][0]:.1%}-{rng['strong_share'][1]:.1%} to strong,"
        f" ${rng['cost_per_request'][0]:.6f}-${rng['cost_per_request'][1]:.6f}/request;"
        f" {s['nested']['seeds_meeting_target']} of {len(s['nested']['seeds'])} seeds meet the target"
    )
    print(
        f"  routed (nested, mean of the seeds): threshold {r['threshold']:.3f}, {r['strong_share']:.1%} to strong, pass {r['pass_rate']:.1%}"
        f" (95% CI {r['pass_rate_ci'][0]:.1%}-{r['pass_rate_ci'][1]:.1%}), ${r['cost_per_request']:.6f}/request,"
        f" PGR {r['pgr']:.2f}"
    )
    print(
        f"  APGR {ev['apgr']:.2f}; mean gain over random {s['area_gain_over_random']:+.3f} (95% CI {lo:+.3f} to {hi:+.3f})"
    )
    if single is not None:
        print(
            f"  at {s['requests_per_day']:,.0f} requests/day: routed ${r['monthly_cost']:,.2f}/month vs"
            f" {single['model']} ${single['monthly_cost']:,.2f}/month: saving ${s['monthly_saving']:,.2f}/month"
            f" ({s['monthly_saving'] / single['monthly_cost']:.0%})"
        )
    print(f"  choice: {s['choice']}")


if __name__ == "__main__":
    main()
