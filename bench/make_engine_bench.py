#!/usr/bin/env python3
"""Write the engine-throughput benchmark suite: N tests x 2 prompts x 5 deterministic asserts, echo provider.

Usage: make_engine_bench.py OUT_DIR [--tests 2500]
The same file runs unchanged in promptfoo (0.121.20) and in workbench, so the two can be timed side by side.
"""

import argparse
import pathlib
import random
from collections.abc import Iterator

import yaml

WORDS = ["refund", "export", "timeout", "login", "billing", "renewal"]


def iter_tests(n_tests: int) -> Iterator[dict]:
    rnd = random.Random(1)
    for i in range(n_tests):
        out = f"Ticket {i}: customer reports issue code E{i % 97} with order {1000 + i}. " + " ".join(
            rnd.choice(WORDS) for _ in range(20)
        )
        yield {
            "vars": {"output": out},
            "assert": [
                {"type": "contains", "value": f"E{i % 97}"},
                {"type": "icontains", "value": "TICKET"},
                {"type": "regex", "value": "order \\d+"},
                {"type": "not-contains", "value": "password"},
                {"type": "levenshtein", "value": out[:50], "threshold": 200},
            ],
        }


HEAD = {
    "description": "engine throughput benchmark",
    "prompts": ["{{output}}", "Summary: {{output}}"],
    "providers": ["echo"],
}


def build(n_tests: int) -> dict:
    return {**HEAD, "tests": list(iter_tests(n_tests))}


def write(path: pathlib.Path, n_tests: int) -> None:
    """The suite written a test at a time (a million tests never sit in memory): the same bytes
    as `yaml.safe_dump(build(n))`."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(yaml.dump(HEAD, Dumper=dumper, sort_keys=False))
        fh.write("tests:\n" if n_tests else "tests: []\n")
        batch = []
        for test in iter_tests(n_tests):
            batch.append(test)
            if len(batch) == 1000:
                fh.write(yaml.dump(batch, Dumper=dumper, sort_keys=False))
                batch = []
        if batch:
            fh.write(yaml.dump(batch, Dumper=dumper, sort_keys=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--tests", type=int, default=2500)
    args = ap.parse_args()
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "promptfooconfig.yaml"
    write(path, args.tests)
    print(path)


if __name__ == "__main__":
    main()
