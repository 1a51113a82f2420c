"""Large suites load in bounded memory: `tests:` is parsed a batch of items at a time (issue #19).

The batched parse must give exactly the document the one-shot parse gives, and must refuse (fall
back to the one-shot parse) whenever an item boundary is not certain.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml12

import workbench.suite.yaml12 as y
from workbench.suite.yaml12 import load_yaml

ROOT = Path(__file__).resolve().parent.parent


def whole(text: str) -> object:
    return y._jsify(yaml12.parse_yaml(text))


def chunked(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(y, "CHUNK_BYTES", 1)  # every item its own batch: the most cuts possible
    return y._load_chunked(text, yaml12.parse_yaml)


SAME = {
    "indentless": "description: d\ntests:\n- vars: {a: 1}\n- vars:\n    a: 2\n  assert:\n  - type: equals\n    value: x\nprompts: [p]\n",
    "indented": "tests:\n  - vars: {a: 1}\n  # a comment\n\n  - description: two\n    vars: {a: 2}\nproviders: [echo]\n",
    "block scalar": "tests:\n- vars:\n    t: |\n      line one\n      - not an item\n- vars: {t: b}\n",
    "plain multi-line": "tests:\n- description: a long\n    plain scalar\n- vars: {n: 3}\n",
    "nested sequences": "tests:\n- assert:\n  - type: contains\n    value: a\n  - - nested\n- {}\n",
    "comment key line": "prompts: [p]\ntests:   # the bank\n- vars: {a: 1}\n",
    "last key": "prompts: [p]\ntests:\n- vars: {a: 1}\n- vars: {a: 2}",
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_batched_parse_equals_whole_parse(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = SAME[name]
    got = chunked(text, monkeypatch)
    assert got is not y._NO_FAST
    assert got == whole(text)
    assert list(got) == list(whole(text))  # type: ignore[call-overload]  # key order kept


def test_quoted_scalar_spanning_an_item_line_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # a double-quoted value continues on a line that looks like an item start: the batch cut
    # there ends inside the quote, fails to parse, and the whole text goes the ordinary way
    text = 'tests:\n- vars:\n    q: "first\n- second"\n- vars: {a: 1}\n'
    assert chunked(text, monkeypatch) is y._NO_FAST
    flow = "tests:\n- vars: {a: [1,\n- 2]}\n"
    assert chunked(flow, monkeypatch) is y._NO_FAST


@pytest.mark.parametrize(
    "text",
    [
        "tests: [{vars: {a: 1}}]\n",  # flow style: not split
        "tests:\n- a\ntests:\n- b\n",  # two tests keys
        "tests: file://tests.csv\n",
        "prompts: [p]\n",
    ],
)
def test_unsplittable_documents_are_left_to_the_whole_parse(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert chunked(text, monkeypatch) is y._NO_FAST


def test_large_generated_suite_parses_identically(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_engine_bench.py"), str(tmp_path), "--tests", "2000"],
        check=True,
        capture_output=True,
    )
    text = (tmp_path / "promptfooconfig.yaml").read_text()
    assert len(text) > y.FAST_PATH_BYTES
    loaded = load_yaml(text, "x.yaml")
    assert loaded == whole(text)
    assert len(loaded["tests"]) == 2000
    # repeated keys and short values are one object each, not one per assertion
    a, b = loaded["tests"][0]["assert"][1], loaded["tests"][1999]["assert"][1]
    assert a["type"] is b["type"] and a["value"] is b["value"]
    assert next(iter(a)) is next(iter(b))


LOAD_PEAK = """
import sys
from workbench.suite import load
suite = load(sys.argv[1])
assert len(suite.tests) == int(sys.argv[2]), len(suite.tests)
# VmHWM starts afresh at exec; ru_maxrss would carry the forking test process's own peak
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(int(hwm.split()[1]) // 1024)
"""


def test_loading_a_20k_test_suite_stays_under_a_memory_bound(tmp_path: Path) -> None:
    # 20,000 tests (10 MB of YAML). The one-shot parse peaked near 300 MB; batched, ~115 MB.
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_engine_bench.py"), str(tmp_path), "--tests", "20000"],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, "-c", LOAD_PEAK, str(tmp_path / "promptfooconfig.yaml"), "20000"],
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=120,
    )
    peak_mb = int(out.stdout.split()[0])
    assert peak_mb < 180, f"peak RSS {peak_mb} MB loading 20k tests"
