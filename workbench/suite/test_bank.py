"""The tests of a large suite in near-constant memory: `TestBank`, a read-only sequence of TestCases.

A suite's tests are built one at a time (suite/tests_files.py) and appended here. Up to
`in_memory_limit()` of them stay objects; past that every test is pickled (a tuple of its
fields, ~0.5 KB) to an unlinked temporary file and read back when iterated or indexed, so a
500,000-test bank costs 8 bytes of RAM per test (its offset) plus the tests in use. Reading is
~3 us per test. A bank that never spilled is handed out as a list (`finish`: a `HeldTests`, which
also carries the facts), so small suites behave exactly as before.

`TestFacts` are what runs ask about every test (a storeOutputAs, transformVars, a test-level
`providers`/`prompts` filter, a `file://` value, the assertion types used): collected while
tests are added, so nothing needs another pass over a spilled bank to answer them.
`facts_for(tests)` answers for a bank or a plain list alike.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, overload

from workbench.types import TestCase

DEFAULT_IN_MEMORY = 4096  # tests kept as objects before the bank spills to its file
_READ_BYTES = 1 << 20  # sequential reads of a spilled bank, a megabyte at a time


def in_memory_limit() -> int:
    """Tests a bank keeps as objects (`WORKBENCH_TESTS_IN_MEMORY`, default 4096; 0 spills every test)."""
    raw = os.environ.get("WORKBENCH_TESTS_IN_MEMORY", "")
    try:
        return max(0, int(raw)) if raw.strip() else DEFAULT_IN_MEMORY
    except ValueError:
        return DEFAULT_IN_MEMORY


@dataclass
class TestFacts:
    """What runs ask about all the tests of a suite, without a pass over them."""

    __test__ = False  # not a pytest class

    filters: bool = False  # a test has its own `providers` or `prompts` filter
    store_output: bool = False  # options.storeOutputAs
    transform_vars: bool = False  # options.transformVars
    provider_output: bool = False  # providerOutput (no call for that test)
    file_refs: bool = False  # a `file://` string in vars or in an assertion's value
    assert_types: set[str] = field(default_factory=set)  # top-level assertion types

    def add(self, test: TestCase) -> None:
        opts = test.options or {}
        self.filters = self.filters or test.providers is not None or test.prompts is not None
        self.store_output = self.store_output or bool(opts.get("storeOutputAs"))
        self.transform_vars = self.transform_vars or bool(opts.get("transformVars"))
        self.provider_output = self.provider_output or test.provider_output is not None
        for a in test.asserts or []:
            if isinstance(a, dict) and isinstance(a.get("type"), str):
                self.assert_types.add(a["type"])
        if not self.file_refs:
            self.file_refs = _has_file_ref(test.vars) or _asserts_have_file_ref(test.asserts)


def _has_file_ref(vars: Any) -> bool:
    for value in (vars or {}).values() if isinstance(vars, dict) else ():
        for v in value if isinstance(value, list) else (value,):
            if isinstance(v, str) and v.startswith("file://"):
                return True
    return False


def _asserts_have_file_ref(asserts: Any) -> bool:
    for a in asserts or []:
        if not isinstance(a, dict):
            continue
        value = a.get("value")
        if isinstance(value, str) and value.startswith("file://"):
            return True
        if isinstance(a.get("assert"), list) and _asserts_have_file_ref(a["assert"]):
            return True
    return False


def facts_of(tests: Iterable[TestCase]) -> TestFacts:
    facts = TestFacts()
    for t in tests:
        facts.add(t)
    return facts


def facts_for(tests: Sequence[TestCase]) -> TestFacts:
    """The facts of a bank or of its held list (collected as it was built), or of any other
    sequence (one pass)."""
    return tests.facts if isinstance(tests, (TestBank, HeldTests)) else facts_of(tests)


class HeldTests(list[TestCase]):
    """The tests of a bank that never spilled: a plain list that also carries the bank's facts,
    so the several runs' questions about them (`facts_for`) need no pass over the tests. Nothing
    changes a suite's tests in place; a filtered or sliced copy is a plain list again."""

    __test__ = False  # not a pytest class

    def __init__(self, facts: TestFacts) -> None:
        super().__init__()
        self.facts = facts


def _fields(t: TestCase) -> tuple[Any, ...]:
    return (
        t.index,
        t.vars,
        t.asserts,
        t.description,
        t.threshold,
        t.options,
        t.metadata,
        t.providers,
        t.prompts,
        t.assert_scoring_function,
        t.provider_output,
    )


def _test(blob: bytes) -> TestCase:
    return TestCase(*pickle.loads(blob))


class TestBank(Sequence[TestCase]):
    """An append-only sequence of TestCases that spills to an unlinked temporary file."""

    __test__ = False  # not a pytest class

    def __init__(self, tests: Iterable[TestCase] = (), *, keep: int | None = None) -> None:
        self._keep = in_memory_limit() if keep is None else keep
        self.facts = TestFacts()
        self._held = HeldTests(self.facts)
        self._file: IO[bytes] | None = None
        self._offsets = array("q", [0])  # start of test i; the last entry is the end of the file
        self._dirty = False
        for t in tests:
            self.append(t)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def append(self, test: TestCase) -> None:
        self.facts.add(test)
        if self._file is None:
            self._held.append(test)
            if len(self._held) <= self._keep:
                return
            self._file = tempfile.TemporaryFile(prefix="workbench-tests-")  # noqa: SIM115 - lives with the bank
            held, self._held = self._held, HeldTests(self.facts)
            for t in held:
                self._write(t)
            return
        self._write(test)

    def _write(self, test: TestCase) -> None:
        assert self._file is not None
        blob = pickle.dumps(_fields(test), protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(blob)
        self._offsets.append(self._offsets[-1] + len(blob))
        self._dirty = True

    def finish(self) -> Sequence[TestCase]:
        """The bank, or its tests as a list (`HeldTests`) when it never spilled."""
        return self if self._file is not None else self._held

    def _flush(self) -> int:
        assert self._file is not None
        if self._dirty:
            self._file.flush()
            self._dirty = False
        return self._file.fileno()

    def __len__(self) -> int:
        return len(self._held) if self._file is None else len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> TestCase: ...

    @overload
    def __getitem__(self, i: slice) -> list[TestCase]: ...

    def __getitem__(self, i: int | slice) -> TestCase | list[TestCase]:
        if self._file is None:
            return self._held[i]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("test index out of range")
        start, end = self._offsets[i], self._offsets[i + 1]
        return _test(os.pread(self._flush(), end - start, start))

    def __iter__(self) -> Iterator[TestCase]:
        if self._file is None:
            yield from self._held
            return
        fd = self._flush()
        n = len(self)
        i = 0
        while i < n:  # a megabyte of pickled tests per read
            start = self._offsets[i]
            j = i + 1
            while j < n and self._offsets[j + 1] - start <= _READ_BYTES:
                j += 1
            chunk = os.pread(fd, self._offsets[j] - start, start)
            for k in range(i, j):
                yield _test(chunk[self._offsets[k] - start : self._offsets[k + 1] - start])
            i = j

    def __reduce__(self) -> tuple[Any, ...]:  # a copy (pickle, deepcopy) is a plain list
        return (list, (list(self),))

    def __repr__(self) -> str:
        where = "spilled to a temporary file" if self._file is not None else "in memory"
        return f"<TestBank of {len(self)} tests, {where}>"

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass
