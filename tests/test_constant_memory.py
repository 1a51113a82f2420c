"""Constant-memory suites (issue #19, target 3): a large `tests:` list streams from the file into a
TestBank that spills to a temporary file, the engine reads tests as it reaches them, a resume
reads the stored cells a window at a time, and the run's peak RSS does not grow with the suite.

Each behaviour is checked against the in-memory path it replaces: the same tests, the same
stored rows, the same outputs.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workbench.suite as suite_module
import workbench.suite.yaml12 as y
from workbench.run.command import RunRequest, execute
from workbench.store.writer import DoneCells
from workbench.suite import load
from workbench.suite.test_bank import TestBank, facts_for, facts_of
from workbench.suite.yaml12 import JsDate, load_streamed
from workbench.types import TestCase

ROOT = Path(__file__).resolve().parent.parent


def _cases(n: int) -> list[TestCase]:
    import datetime as dt

    return [
        TestCase(
            index=i,
            vars={"q": f"question {i}", "n": i, "when": JsDate(dt.datetime(2024, 1, 1 + i % 28))},
            asserts=[{"type": "contains", "value": str(i)}, {"type": "max-score"} if i == 3 else {"type": "equals"}],
            description=f"case {i}" if i % 2 else None,
            threshold=0.5 if i == 4 else None,
            options={"storeOutputAs": "prev"} if i == 5 else {},
            metadata={"k": [i, "x"]},
            providers=["echo"] if i == 6 else None,
            provider_output="given" if i == 7 else None,
        )
        for i in range(n)
    ]


def test_bank_spills_to_a_file_and_reads_every_test_back() -> None:
    tests = _cases(10)
    bank = TestBank(tests, keep=3)
    assert bank.spilled and bank.finish() is bank
    assert len(bank) == 10
    back = list(bank)
    # JsDate equals only itself, so compare everything else field by field
    for a, b in zip(back, tests, strict=True):
        assert (a.index, a.asserts, a.description, a.threshold, a.options, a.metadata) == (
            b.index,
            b.asserts,
            b.description,
            b.threshold,
            b.options,
            b.metadata,
        )
        assert (a.providers, a.provider_output, a.vars["q"], a.vars["n"]) == (
            b.providers,
            b.provider_output,
            b.vars["q"],
            b.vars["n"],
        )
        assert isinstance(a.vars["when"], JsDate) and a.vars["when"].iso() == b.vars["when"].iso()
    assert bank[4].threshold == 0.5 and bank[-1].index == 9 and [t.index for t in bank[2:5]] == [2, 3, 4]
    with pytest.raises(IndexError):
        bank[10]
    # facts were collected as tests were added, and agree with a pass over the list
    assert facts_for(bank) == facts_of(tests)
    f = bank.facts
    assert f.filters and f.store_output and f.provider_output and not f.transform_vars and not f.file_refs
    assert {"contains", "max-score", "equals"} <= f.assert_types
    assert isinstance(pickle.loads(pickle.dumps(bank)), list)  # a copy is a plain list
    small = TestBank(tests, keep=100)
    assert not small.spilled and isinstance(small.finish(), list) and small.finish() == tests
    # the held list carries the facts collected as it was built: asking again makes no pass
    assert facts_for(small.finish()) is small.facts and small.facts == facts_of(tests)
    assert facts_for(small.finish()[:3]) == facts_of(tests[:3])  # a slice is a plain list: its own pass
    assert isinstance(pickle.loads(pickle.dumps(small.finish())), list)


def test_bank_reads_in_chunks_across_read_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.suite.test_bank as tb

    monkeypatch.setattr(tb, "_READ_BYTES", 300)  # a few tests per read, one test larger than a read
    tests = _cases(40)
    tests[17].vars["big"] = "x" * 2000
    bank = TestBank(tests, keep=0)
    assert [t.index for t in bank] == list(range(40))
    assert [t.vars.get("big") for t in bank] == [t.vars.get("big") for t in tests]


ITEM = """\
  # item {i}
  - description: row {i}
    vars:
      text: |
        line one of {i}
        - not an item
      lang: [en, fr]
    assert:
      - type: contains
        value: "{i}"
"""


def _big_suite(path: Path, n: int, *, extra: str = "", tail: str = "") -> Path:
    head = "description: streamed\nprompts: ['{{text}} {{lang}}', 'B {{text}}']\nproviders: [echo]\ntests:\n"
    items = "".join(ITEM.format(i=i) for i in range(n))
    # defaultTest and scenarios come after the tests: the streamed build must still merge them
    rest = (
        "defaultTest:\n  assert:\n    - {type: not-contains, value: secret}\n  vars: {lang: de, extra: 1}\n"
        "scenarios:\n  - config: [{vars: {text: s1}}, {vars: {text: s2}}]\n"
        "    tests: [{assert: [{type: contains, value: s}]}]\n"
    )
    path.write_text(head + items + extra + rest + tail)
    assert path.stat().st_size > y.FAST_PATH_BYTES  # large enough for the fast path
    return path


def _whole_load(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(suite_module, "load_streamed", lambda p: None)
        return load(path)


def test_streamed_load_equals_the_whole_file_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _big_suite(tmp_path / "promptfooconfig.yaml", 700)
    assert path.stat().st_size > y.FAST_PATH_BYTES
    monkeypatch.setattr(y, "CHUNK_BYTES", 4000)  # many batches
    monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", "50")
    got = load_streamed(path)
    assert got is not None and len(got[1].spans) > 10 and got[0]["tests"] == []
    streamed = load(path)
    whole = _whole_load(path, monkeypatch)
    assert isinstance(streamed.tests, TestBank) and streamed.tests.spilled
    assert len(streamed.tests) == len(whole.tests) == 700 * 2 + 2  # vars arrays expanded, 2 scenario rows
    assert list(streamed.tests) == list(whole.tests)
    assert streamed.sha256 == whole.sha256 and streamed.warnings == whole.warnings
    first = streamed.tests[0]
    assert first.asserts[0] == {"type": "not-contains", "value": "secret"} and first.vars["extra"] == 1


def test_a_batch_that_does_not_parse_alone_falls_back_to_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a quoted scalar continues on a line that looks like an item start: the cut there breaks a
    # batch, which is noticed while the tests are being built; the file is then loaded whole
    quoted = '  - vars:\n      text: "first\n  - second"\n      lang: en\n'
    path = _big_suite(tmp_path / "promptfooconfig.yaml", 700, extra=quoted)
    monkeypatch.setattr(y, "CHUNK_BYTES", 1)
    monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", "0")
    assert load_streamed(path) is not None  # the scan alone cannot tell
    streamed = load(path)
    whole = _whole_load(path, monkeypatch)
    assert list(streamed.tests) == list(whole.tests)
    assert any(t.vars.get("text") == "first - second" for t in streamed.tests)


@pytest.mark.parametrize(
    "tail",
    [
        "x: {$ref: '#/tests/0'}\n",  # a $ref may point into the tests: resolved on the whole document
        "when: 2024-01-02\n",  # a date: the fast path's parser cannot tell quoted from unquoted
        "anchor: &a 1\n",
    ],
)
def test_files_the_fast_path_refuses_are_not_streamed(tmp_path: Path, tail: str) -> None:
    assert load_streamed(_big_suite(tmp_path / "plain.yaml", 700)) is not None
    path = _big_suite(tmp_path / "promptfooconfig.yaml", 700, tail=tail)
    assert load_streamed(path) is None


PLANTED = """
description: planted
prompts:
  - id: p1
    raw: "Q: {{q}} {{prev}}"
  - "Short {{q}}"
providers:
  - id: echo
    label: first
  - id: echo
    label: second
defaultTest:
  assert: [{type: contains, value: "Q"}]
tests:
{tests}
"""


def _planted(path: Path, n: int, *, store: bool = True) -> Path:
    rows = []
    for i in range(n):
        row = f"  - description: t{i}\n    vars: {{q: [a{i}, b{i}]}}\n    metadata: {{group: g{i % 3}}}\n"
        if i % 5 == 1:
            row += "    providers: [second]\n"
        if i % 7 == 2:
            row += "    prompts: [p1]\n"
        if i % 4 == 3:
            row += "    assert: [{type: equals, value: 'Short a3'}, {type: icontains, value: B}]\n"
        if i == 6 and store:
            row += "    options: {storeOutputAs: prev}\n"
        rows.append(row)
    path.write_text(PLANTED.replace("{tests}", "".join(rows)))
    return path


def _rows(db: Path, run_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select cell_key, success, score, output, error, named_scores, prompt, test_idx from results"
            " where run_id = ? order by cell_key",
            [run_id],
        ).fetchall()


def _test_rows(db: Path, run_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select test_idx, identity, description, vars, asserts, metadata from test_cases where run_id = ?"
            " order by test_idx",
            [run_id],
        ).fetchall()


def _comparable(out: Path) -> list[Any]:
    data = json.loads(out.read_text())
    rows = data["results"]["results"]
    for r in rows:
        for key in ("id", "latencyMs", "workbench", "timestamp"):
            r.pop(key, None)
        r.get("response", {}).pop("cached", None)
    return rows


@pytest.mark.parametrize("flt", [None, "first-n"])
def test_a_spilled_run_stores_what_an_in_memory_run_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flt: str | None
) -> None:
    from workbench.suite.filters import TestFilter

    suite = _planted(tmp_path / "promptfooconfig.yaml", 40)
    db = tmp_path / "wb.db"
    outs = []
    for keep in ("100000", "0"):  # default-like (all in memory), then every test spilled
        monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", keep)
        out = tmp_path / f"out-{keep}.json"
        req = RunRequest(paths=[suite], outputs=[out], db=db, quiet=True, threshold=0, use_cache=False)
        if flt:
            req.test_filter = TestFilter(first_n=25, metadata=["group=g1"])
        assert execute(req) == 0
        outs.append(out)
    a, b = _rows(db, 1), _rows(db, 2)
    assert a == b and len(a) > 40
    assert _test_rows(db, 1) == _test_rows(db, 2)
    assert _comparable(outs[0]) == _comparable(outs[1])
    # the storeOutputAs register reached later tests' prompts, in order, in both runs
    if not flt:
        assert sum(r[6] == "Q: a7 Short b6" for r in b) == 2


def test_resume_of_a_spilled_run_reads_stored_cells_a_window_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _planted(tmp_path / "promptfooconfig.yaml", 60, store=False)  # a resume restores no registers
    db = tmp_path / "wb.db"
    monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", "0")
    monkeypatch.setattr(DoneCells, "WINDOW", 7)  # many windows
    assert execute(RunRequest(paths=[suite], db=db, quiet=True, threshold=0, use_cache=False)) == 0
    before = {r[0]: r for r in _rows(db, 1)}
    with sqlite3.connect(db) as conn:
        ids_before = dict(conn.execute("select cell_key, id from results where run_id = 1").fetchall())
        gone = [k for k in before if int(k.rsplit(":", 2)[1]) % 9 == 4]  # spread over many windows
        conn.executemany("delete from results where run_id = 1 and cell_key = ?", [(k,) for k in gone])
        conn.execute("update runs set status = 'interrupted' where id = 1")
    assert len(gone) > 10
    assert execute(RunRequest(paths=[suite], db=db, quiet=True, threshold=0, resume=1, use_cache=False)) == 0
    after = {r[0]: r for r in _rows(db, 1)}
    assert after == before  # every missing cell ran again, identically
    with sqlite3.connect(db) as conn:
        ids_after = dict(conn.execute("select cell_key, id from results where run_id = 1").fetchall())
    assert all(ids_after[k] == ids_before[k] for k in before if k not in gone)  # the others untouched
    assert all(ids_after[k] > max(ids_before.values()) for k in gone)


# The CLI under a bare parent that reports the peak of its child: ru_maxrss through os.wait4 from
# this (large) test process would report this process's own peak (Linux carries it over a fork),
# and the CLI ends with os._exit, so no exit hook of its own would run.
PEAK = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    fh.write(f"{code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def _run_peak_mb(tmp_path: Path, tests: int) -> float:
    d = tmp_path / str(tests)
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_engine_bench.py"), str(d), "--tests", str(tests)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    report = d / "peak"
    cli = [sys.executable, "-m", "workbench", "run", str(d / "promptfooconfig.yaml"), "--db", str(d / "wb.db")]
    subprocess.run(
        [sys.executable, "-S", "-c", PEAK, str(report), *cli, "-q", "--no-progress", "-o", str(d / "out.json")],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        timeout=240,
    )
    code, peak_kb = report.read_text().split()
    assert code == "0"
    with sqlite3.connect(d / "wb.db") as conn:
        assert conn.execute("select count(*) from results").fetchone()[0] == 2 * tests
    return int(peak_kb) / 1024


def test_run_peak_rss_does_not_grow_with_the_suite(tmp_path: Path) -> None:
    # 2,000 vs 20,000 results through the CLI (JSON output included). Holding every test made
    # the larger run peak 24 MB higher (91 -> 116 MB); streamed, both peak at ~91 MB.
    small = _run_peak_mb(tmp_path, 1_000)
    large = _run_peak_mb(tmp_path, 10_000)
    assert large - small < 12, f"peak RSS {small:.0f} MB at 2k results, {large:.0f} MB at 20k"


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"repeat": 3, "variants": ["none", "x"]},
        {"filter_providers": "second"},
        {"filter_prompts": "Short", "repeat": 2},
        {"shard": (2, 3)},
        {"shard": (3, 3), "repeat": 2, "filter_providers": "first|second"},
        {"shard": (4, 3)},  # out of range: no cells, as the expansion says
    ],
)
@pytest.mark.parametrize("filters", [False, True])
def test_count_cells_arithmetic_equals_the_expansion(
    tmp_path: Path, options: dict[str, Any], filters: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.run.cells import count_cells, expand_cells
    from workbench.run.config import RunConfig

    path = _planted(tmp_path / "promptfooconfig.yaml", 23)
    if not filters:  # no test-level providers/prompts: the arithmetic path
        path.write_text("\n".join(x for x in path.read_text().splitlines() if "providers: [second]" not in x))
        path.write_text("\n".join(x for x in path.read_text().splitlines() if "prompts: [p1]" not in x))
    monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", "0")
    suite = load(path)
    assert facts_for(suite.tests).filters is filters
    config = RunConfig(**options)
    assert count_cells(suite, config) == sum(1 for _ in expand_cells(suite, config))


def test_fast_unsafe_patterns_match_exactly_what_the_plain_ones_match() -> None:
    # the scan's checks were rewritten to start at their rarest character (~15x faster on a big
    # suite); they must refuse exactly the texts the plain patterns refuse
    import random
    import re

    plain = [
        re.compile(r"\d\d\d\d-\d"),
        re.compile(r"(?:^|\s)![^\s=]"),
        re.compile(r"^(?:---|\.\.\.)", re.MULTILINE),
        re.compile(r"(?:^|[\s\[{,])&\S"),
    ]
    rnd = random.Random(7)
    alphabet = "0123-!&= \n\t[{,a."
    texts = ["", "2024-01-02", "x !tag", "!!str", "a=!b", "---\n", "k: &a 1", "[&a x]", "a&b", "1999-x", "- 12-3"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))) for _ in range(30_000)]
    for text in texts:
        expected = any(p.search(text) for p in plain)
        assert y._fast_path_unsafe(text) == expected, repr(text)


def _jsonl_suite(tmp_path: Path, body: bytes) -> Path:
    (tmp_path / "tests.jsonl").write_bytes(body)
    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(
        "prompts: ['{{q}}']\nproviders: [echo]\ntests: file://tests.jsonl\n"
        "defaultTest: {assert: [{type: contains, value: q}]}\n"
    )
    return path


def _whole_jsonl_load(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(suite_module, "stream_tests_file", lambda *a: None)
        return load(path)


def test_a_jsonl_tests_file_streams_to_the_same_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.suite.tests_files as tf

    monkeypatch.setattr(tf, "JSONL_BATCH", 7)
    monkeypatch.setenv("WORKBENCH_TESTS_IN_MEMORY", "5")
    rows = []
    for i in range(120):
        row = {
            "vars": {"q": [f"q{i}", f"r{i}"] if i % 10 == 0 else f"q{i}"},
            "assert": [{"type": "icontains", "value": "Q"}],
        }
        if i % 3 == 0:
            row["description"] = f"named {i}"
        ending = ["\n", "\r\n", "\r", "\n\n"][i % 4]  # LF, CRLF, a lone CR, a blank line
        rows.append(json.dumps(row).encode() + ending.encode())
    path = _jsonl_suite(tmp_path, b"".join(rows) + b'{"vars": {"q": "last, no newline"}}')
    streamed = load(path)
    whole = _whole_jsonl_load(path, monkeypatch)
    assert isinstance(streamed.tests, TestBank) and streamed.tests.spilled
    assert len(streamed.tests) == 121 + 12
    assert list(streamed.tests) == list(whole.tests)
    assert streamed.tests[2].description == "Row #2" and streamed.tests[1].description == "named 0"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"vars": {"q": 1}}\r\n\r\n{"vars": \n', "line 3: invalid JSON"),
        (b'{"vars": {"q": 1}}\r[1, 2]\n', "[1]: must be a test mapping, got a list"),
    ],
)
def test_a_bad_jsonl_row_is_reported_as_a_whole_read_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes, message: str
) -> None:
    from workbench.errors import SuiteError

    path = _jsonl_suite(tmp_path, body)
    with pytest.raises(SuiteError) as streamed:
        load(path)
    with pytest.raises(SuiteError) as whole:
        _whole_jsonl_load(path, monkeypatch)
    assert str(streamed.value) == str(whole.value) and message in str(streamed.value)
