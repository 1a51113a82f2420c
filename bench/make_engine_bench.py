#!/usr/bin/env python3
"""Write the engine-throughput benchmark suite: N tests x 2 prompts x 5 deterministic asserts, echo provider.

Usage: make_engine_bench.py OUT_DIR [--tests 2500]
The same file runs unchanged in promptfoo (0.121.20) and in workbench, so the two can be timed side by side.
"""

import argparse
import pathlib
import random

import yaml

WORDS = ["refund", "export", "timeout", "login", "billing", "renewal"]


def build(n_tests: int) -> dict:
    rnd = random.Random(1)
    tests = []
    for i in range(n_tests):
        out = f"Ticket {i}: customer reports issue code E{i % 97} with order {1000 + i}. " + " ".join(
            rnd.choice(WORDS) for _ in range(20)
        )
        tests.append(
            {
                "vars": {"output": out},
                "assert": [
                    {"type": "contains", "value": f"E{i % 97}"},
                    {"type": "icontains", "value": "TICKET"},
                    {"type": "regex", "value": "order \\d+"},
                    {"type": "not-contains", "value": "password"},
                    {"type": "levenshtein", "value": out[:50], "threshold": 200},
                ],
            }
        )
    return {
        "description": "engine throughput benchmark",
        "prompts": ["{{output}}", "Summary: {{output}}"],
        "providers": ["echo"],
        "tests": tests,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--tests", type=int, default=2500)
    args = ap.parse_args()
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "promptfooconfig.yaml"
    path.write_text(yaml.safe_dump(build(args.tests), sort_keys=False))
    print(path)


if __name__ == "__main__":
    main()
