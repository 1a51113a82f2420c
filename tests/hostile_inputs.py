"""Seeded mutations of the repo's suites and real-world promptfoo configs, and a CLI runner for them.

Used by tests/test_hostile_sweep.py (a fixed seed and a bounded number of cases) and by
bench/hostile_sweep.py (the broad sweep). A seed is one of suites/*.yaml or an in-repo
promptfooconfig.yaml; its directory is copied next to the mutated file so that its `file://`
references resolve. A mutation replaces the value at one key path with a hostile one (a list where
a mapping is expected, a number or null where text is, huge or negative numbers, deep nesting,
NUL/bidi characters, a missing `file://`, an unknown assertion type, a bad regex, a bad threshold,
a circular `$ref`) or rewrites the text (a YAML anchor bomb, non-UTF-8 bytes, a duplicate key, a
truncated file, a deeply nested flow). The contract checked: exit 0 or 2 (or 100, a run below its
threshold), never 1 (internal error); an exit 2 prints one line (`Error: ...`) naming the file.
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import shutil
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import SuiteError
from workbench.suite.yaml12 import load_yaml

ROOT = Path(__file__).resolve().parent.parent


def seeds() -> list[Path]:
    found = sorted(ROOT.glob("suites/*.yaml")) + sorted((ROOT / "tests").rglob("promptfooconfig.yaml"))
    return [p for p in found if _parses(p)]


def _parses(path: Path) -> bool:
    try:
        return isinstance(_parse(path.read_bytes()), dict)
    except (SuiteError, UnicodeDecodeError):
        return False


def _parse(text: bytes) -> Any:
    """The seed as workbench reads it (YAML 1.2: some real configs are not PyYAML's YAML 1.1)."""
    return load_yaml(text.decode("utf-8"))


def _deep(n: int) -> Any:
    out: Any = "x"
    for i in range(n):
        out = {"a": out} if i % 2 else [out]
    return out


HOSTILE: list[Any] = [
    [],
    {},
    None,
    0,
    -1,
    10**40,
    -(10**40),
    1.5,
    float("nan"),
    float("inf"),
    True,
    "",
    "x" * 5000,
    "a\x00b",
    "\u202eevil\u200b",
    "\ufffe",
    ["a", 1, None, {}],
    {"a": [1, {"b": None}]},
    _deep(60),
    "file://does/not/exist.txt",
    "file://does/not/exist.csv",
    "file://does/not/exist.yaml",
    "file://../../../../../../etc/passwd-missing",
    "{{",
    "{% if %}",
    "{{ x | nosuchfilter }}",
    "(",
    "[a-",
    "*",
    "?P<",
    {"$ref": "#/tests"},
    {"$ref": "#/nope/at/all"},
]

ASSERTIONS: list[dict[str, Any]] = [
    {"type": "no-such-assertion-type", "value": "x"},
    {"type": "regex", "value": "("},
    {"type": "regex", "value": "[a-"},
    {"type": "regex", "value": "(?P<"},
    {"type": "regex", "value": "a{99999999999}"},
    {"type": "regex", "value": 12},
    {"type": "regex"},
    {"type": "contains", "value": "x", "threshold": "high"},
    {"type": "contains", "value": "x", "threshold": float("nan")},
    {"type": "contains", "value": "x", "threshold": 10**40},
    {"type": "contains", "value": "x", "weight": "heavy"},
    {"type": "contains", "value": "x", "weight": -(10**40)},
    {"type": "similar", "value": "x", "threshold": -5},
    {"type": "levenshtein", "value": "x", "threshold": "3"},
    {"type": "javascript", "value": "file://missing.js"},
    {"type": "python", "value": "file://missing.py"},
    {"type": "contains-any", "value": {"a": 1}},
    {"type": "assert-set", "assert": "notalist"},
    {"type": "assert-set", "assert": [{"type": "assert-set", "assert": [None]}]},
    {"type": None},
    {"type": ["contains"]},
    {"$ref": "#/tests/0/assert/0"},
    {"$ref": "#/definitions/loop"},
    "contains",
    None,
    [],
]

BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


@dataclass
class Case:
    seed: Path
    kind: str  # what was done, for the report
    data: bytes


def key_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from key_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from key_paths(v, (*prefix, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


def _dump(doc: Any) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10**6).encode("utf-8", "surrogatepass")


def mutate(seed: Path, rng: random.Random) -> Case:
    text = seed.read_bytes()
    doc = _parse(text)
    roll = rng.random()
    try:
        case = _structured(seed, doc, roll, rng)
    except yaml.YAMLError:  # a value PyYAML cannot write back (a date, a JS number): a text mutation
        case = None
    return case or _textual(seed, text, rng)


def _structured(seed: Path, doc: Any, roll: float, rng: random.Random) -> Case | None:
    if roll < 0.55:  # a hostile value at one key path
        paths = list(key_paths(doc))
        path = rng.choice(paths)
        value = copy.deepcopy(rng.choice(HOSTILE))
        return Case(
            seed, f"set {'.'.join(map(str, path)) or '<root>'} = {_short(value)}", _dump(_set(doc, path, value))
        )
    if roll < 0.75:  # a hostile assertion in a test (or defaultTest)
        doc = copy.deepcopy(doc)
        tests = doc.get("tests")
        target: dict[str, Any]
        if isinstance(tests, list) and tests and isinstance(tests[0], dict):
            target = rng.choice([t for t in tests if isinstance(t, dict)])
        else:
            target = doc.setdefault("defaultTest", {}) if isinstance(doc.get("defaultTest", {}), dict) else {}
        a = copy.deepcopy(rng.choice(ASSERTIONS))
        existing = target.get("assert")
        target["assert"] = [*(existing if isinstance(existing, list) else []), a]
        if rng.random() < 0.2:
            doc["definitions"] = {"loop": {"$ref": "#/definitions/loop"}}
        return Case(seed, f"assert {_short(a)}", _dump(doc))
    return None


def _textual(seed: Path, text: bytes, rng: random.Random) -> Case:
    kind = rng.choice(["bomb", "non-utf8", "duplicate", "truncate", "deep-flow", "nul", "unknown-key", "bom"])
    if kind == "bomb":
        data = BOMB.encode() + text
    elif kind == "non-utf8":
        at = rng.randrange(len(text) + 1)
        data = text[:at] + rng.choice([b"\xff\xfe", b"\xc3\x28", b"\x80", b"\xed\xa0\x80"]) + text[at:]
    elif kind == "duplicate":
        first = text.split(b"\n", 1)[0]
        data = text + b"\n" + first + b"\n"
    elif kind == "truncate":
        data = text[: rng.randrange(len(text) + 1)]
    elif kind == "deep-flow":
        n = rng.choice([100, 1000, 20000])
        data = text + b"\nworkbench: " + b"[" * n + b"]" * n + b"\n"
    elif kind == "nul":
        at = rng.randrange(len(text) + 1)
        data = text[:at] + b"\x00" + text[at:]
    elif kind == "unknown-key":
        data = text + b"\nnoSuchTopLevelKey: [1, 2]\n"
    else:
        data = b"\xef\xbb\xbf" + text
    return Case(seed, kind, data)


def _short(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def place(case: Case, work: Path, index: int) -> Path:
    """Copy the seed's directory (and the repo's prompts/ for suites/) under `work`; write the case."""
    home = work / f"case{index}"
    shutil.copytree(case.seed.parent, home / "s", dirs_exist_ok=True)
    if case.seed.parent == ROOT / "suites":
        shutil.copytree(ROOT / "prompts", home / "prompts", dirs_exist_ok=True)
    target = home / "s" / case.seed.name
    target.write_bytes(case.data)
    return target


def run_in_process(args: list[str]) -> tuple[int, str]:
    """`workbench ARGS` through the same `main()` as `python -m workbench` (its exit mapping:
    WorkbenchError -> its code, anything else -> `Internal error` and 1); (exit code, stderr)."""
    from workbench.cli.main import main

    err, out = io.StringIO(), io.StringIO()
    saved = sys.argv, signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), sys.unraisablehook
    sys.argv = ["workbench", *args]
    code: int
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = saved[0]
        signal.signal(signal.SIGINT, saved[1])
        signal.signal(signal.SIGTERM, saved[2])
        sys.unraisablehook = saved[3]
    return code, err.getvalue()


def verdict(path: Path, code: int, stderr: str) -> str | None:
    """None when the outcome keeps the contract, else what is wrong."""
    if code not in (0, 2, 100):
        return f"exit {code}: {stderr.strip()[-300:]}"
    if "Traceback" in stderr:
        return "traceback on stderr"
    if code == 2:
        lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("warning: ")]
        if len(lines) != 1:
            return f"exit 2 with {len(lines)} lines: {stderr.strip()[:300]}"
        named = lines[0].removeprefix("Error: ").split(": ", 1)[0]
        # the suite, or the file it references that is bad (`tests: '*'` globbing a README.md)
        if path.name not in lines[0] and not any(p.name == Path(named).name for p in path.parent.rglob("*")):
            return f"exit 2 without the file: {lines[0][:300]}"
    return None


def cases(seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    pool = seeds()
    return [mutate(rng.choice(pool), rng) for _ in range(n)]
