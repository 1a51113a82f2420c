"""YAML parsed the way promptfoo 0.121.20 parses it (js-yaml 5 with promptfoo's YAML_LOAD_SCHEMA).

promptfoo loads YAML with js-yaml's YAML 1.2 *core* schema plus the merge, binary, timestamp,
omap, pairs and set tags (src/util/yamlLoad.ts). PyYAML implements YAML 1.1, whose implicit
typing differs (QUIRKS 13): `yes/no/on/off` are booleans there, `017` is octal, `1_000` is 1000
and `12:30` is sexagesimal. This module swaps PyYAML's resolvers and scalar constructors for the
core-schema ones and mirrors JavaScript numbers: integral floats become ints (`42.0` is 42) and
integers beyond 2**53 become floats (they lose precision in JS too). Unquoted dates become
`JsDate`, which assertions treat specially (it never equals anything).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import SuiteError

_BaseLoader: type[yaml.SafeLoader]
try:  # libyaml's parser is ~10x faster; constructors and resolvers stay in Python
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

MAX_SAFE_INTEGER = 2**53

_INT_RE = re.compile(r"^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?[0-9]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_TIMESTAMP_RE = re.compile(
    r"^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9]{2}))?))?$"
)
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class JsDate(str):
    """A JavaScript `Date` from an unquoted YAML date/timestamp.

    The string value is the ISO form `JSON.stringify` gives (`2024-01-31T00:00:00.000Z`), so
    json.dumps of vars keeps working; `str()` gives what JavaScript's `String(date)` prints (in
    UTC). Like a JS object compared by identity, a JsDate equals nothing but itself.
    """

    __slots__ = ("moment",)
    moment: _dt.datetime

    def __new__(cls, moment: _dt.datetime) -> JsDate:
        moment = moment.astimezone(_dt.timezone.utc)
        iso = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        obj = super().__new__(cls, iso)
        obj.moment = moment
        return obj

    def iso(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        m = self.moment
        return (
            f"{_DAYS[m.weekday()]} {_MONTHS[m.month - 1]} {m.day:02d} {m.year:04d} "
            f"{m.hour:02d}:{m.minute:02d}:{m.second:02d} GMT+0000 (Coordinated Universal Time)"
        )

    def __repr__(self) -> str:
        return f"JsDate({self.iso()!r})"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsDate, (self.moment,))


def js_number(value: float | int) -> float | int:
    """Normalize a number the way a JS number behaves: one numeric type, 2**53 precision."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER and value != 0.0:
        return int(value)
    if value == 0.0 and math.copysign(1.0, value) > 0:
        return 0
    return value


def _parse_int(text: str) -> int | float | None:
    sign = 1
    body = text
    if body[0] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body.startswith("0o"):
        n = int(body[2:], 8)
    elif body.startswith("0x"):
        n = int(body[2:], 16)
    else:
        n = int(body, 10)  # 017 is decimal 17 in the core schema
    return js_number(sign * n)


def _parse_float(text: str) -> float | int:
    lower = text.lower()
    sign = -1.0 if lower.startswith("-") else 1.0
    if lower[:1] in "+-":
        lower = lower[1:]
    if lower == ".inf":
        return sign * math.inf
    if lower == ".nan":
        return math.nan
    return js_number(sign * float(lower))


def _parse_timestamp(text: str) -> JsDate | None:
    m = _DATE_RE.match(text)
    if m:
        try:
            return JsDate(_dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=_dt.timezone.utc))
        except ValueError:
            return None  # js-yaml leaves an impossible date (2024-02-30) a string
    m = _TIMESTAMP_RE.match(text)
    if not m:
        return None
    frac = (m[7] or "")[:3].ljust(3, "0")
    try:
        moment = _dt.datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), int(frac) * 1000, tzinfo=_dt.timezone.utc
        )
    except ValueError:
        return None
    if m[9]:
        offset = _dt.timedelta(hours=int(m[10]), minutes=int(m[11] or 0))
        moment = moment - offset if m[9] == "+" else moment + offset
    return JsDate(moment)


class Yaml12Loader(_BaseLoader):  # type: ignore[misc,valid-type,unused-ignore]
    """PyYAML loader with js-yaml core-schema typing."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_core_int(self, node: yaml.ScalarNode) -> Any:
        text = self.construct_scalar(node)
        return _parse_int(str(text)) if _INT_RE.match(str(text)) else _parse_float(str(text))

    def construct_core_float(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node))
        if _FLOAT_RE.match(text):
            return _parse_float(text)
        return text

    def construct_core_timestamp(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node))
        return _parse_timestamp(text) or text

    def construct_core_bool(self, node: yaml.ScalarNode) -> Any:
        return str(self.construct_scalar(node)).lower() == "true"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # js-yaml rejects duplicated keys; PyYAML silently keeps the last one.
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hashable = key in seen
            except TypeError:
                continue
            if hashable:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicated mapping key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class Yaml12JsonLoader(Yaml12Loader):
    """js-yaml's `json: true`: a duplicated mapping key keeps its last value instead of failing."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        return super(Yaml12Loader, self).construct_mapping(node, deep=deep)


def _add(tag: str, pattern: re.Pattern[str], first: str | None) -> None:
    Yaml12Loader.add_implicit_resolver(tag, pattern, list(first) if first is not None else None)


# Order matters within a first character: null, bool, int, float, merge, timestamp (js-yaml's order).
_add("tag:yaml.org,2002:null", _NULL_RE, "~nN")
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL_RE, [""])
_add("tag:yaml.org,2002:bool", _BOOL_RE, "tTfF")
_add("tag:yaml.org,2002:int", _INT_RE, "-+0123456789")
_add("tag:yaml.org,2002:float", _FLOAT_RE, "-+.0123456789")
_add("tag:yaml.org,2002:merge", re.compile(r"^<<$"), "<")
_add("tag:yaml.org,2002:timestamp", re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"), "0123456789")

Yaml12Loader.add_constructor("tag:yaml.org,2002:int", Yaml12Loader.construct_core_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", Yaml12Loader.construct_core_float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", Yaml12Loader.construct_core_timestamp)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", Yaml12Loader.construct_core_bool)


# Large suites (generated test banks) go through py-yaml12, a Rust YAML 1.2 core-schema parser:
# ~30x faster than PyYAML's Python constructor (1.3 MB: 0.1 s instead of 3 s). It cannot tell a
# quoted from an unquoted date, does not reject duplicate keys, and keeps only the first document,
# so it is used only above FAST_PATH_BYTES, for text without date-like scalars, merge keys, tags or
# extra documents; anything it rejects is re-parsed by the exact loader for a precise error.
FAST_PATH_BYTES = 100_000
# Each pattern starts with its rarest literal character, so the regex engine skips to it: the
# same matches as \d\d\d\d-\d, (?:^|\s)![^\s=] and (?:^|[\s\[{,])&\S, ~15x faster on a large suite.
_FAST_PATH_UNSAFE = (
    re.compile(r"-(?=\d)(?<=\d\d\d\d-)"),  # a date-like scalar
    re.compile(r"!(?<!\S!)[^\s=]"),  # a tag
    re.compile(r"^(?:---|\.\.\.)", re.MULTILINE),  # document markers
    re.compile(r"&(?<![^\s\[{,]&)\S"),  # an anchor: aliases are expanded only by the bounded loader
)

# Bounds on what one YAML document may expand to: aliases are shared nodes, so a few lines can
# stand for billions of values ("billion laughs"); every later step (refs, tests, hashing) would
# walk them all. Counted on the composed node graph, before anything is constructed.
MAX_NODES = 2_000_000  # values after alias expansion
MAX_DEPTH = 100  # nesting of mappings and sequences


def _jsify(value: Any) -> Any:
    # keys and short strings are interned: a generated bank repeats "type", "value", "contains"...
    # once per assertion, and each parse makes a new string object for every occurrence. A string
    # member is handled in place (most leaves are strings): one call per container, not per value.
    if isinstance(value, dict):
        return {
            (_intern(k) if type(k) is str else k): (
                (_intern(v) if len(v) <= _INTERN_CHARS else v) if type(v) is str else _jsify(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [(_intern(v) if len(v) <= _INTERN_CHARS else v) if type(v) is str else _jsify(v) for v in value]
    if type(value) is str:
        return _intern(value) if len(value) <= _INTERN_CHARS else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return js_number(value)
    return value


_intern = sys.intern


_INTERN_CHARS = 24


def _load_fast(text: str) -> Any:
    if len(text) < FAST_PATH_BYTES or "<<" in text or _fast_path_unsafe(text):
        return _NO_FAST
    try:
        import yaml12 as rust_yaml  # py-yaml12
    except ImportError:
        return _NO_FAST
    try:
        chunked = _load_chunked(text, rust_yaml.parse_yaml)
        return chunked if chunked is not _NO_FAST else _jsify(rust_yaml.parse_yaml(text))
    except Exception:
        return _NO_FAST


# The parser builds its own tree of the whole document before handing it over (~25x the text:
# 12.8 MB of tests peaked at 330 MB). A top-level block `tests:` sequence is therefore parsed a
# batch of items at a time; the rest of the document (with `tests: []`) separately.
_TESTS_KEY = re.compile(r"^tests:[ \t]*(?:#.*)?$", re.MULTILINE)
_ITEM = re.compile(r"( *)-(?:[ \t]|$)")
CHUNK_BYTES = 256_000


def _load_chunked(text: str, parse: Any) -> Any:
    """The document with its `tests:` items parsed in batches, or _NO_FAST when that split is not
    certain. Item starts are lines `<k spaces>- ` (k = the first item's indent): no block or plain
    scalar continues on such a line, and a quoted one cut there leaves a batch with an unclosed
    quote, which fails to parse and sends the whole text down the ordinary path."""
    keys = list(_TESTS_KEY.finditer(text))
    if len(keys) != 1:
        return _NO_FAST
    key = keys[0]
    pos = key.end() + 1
    lines = text[pos:].splitlines(keepends=True)
    indent: int | None = None
    batches: list[list[str]] = []
    head: list[str] = []  # blank and comment lines before the first item
    size = 0
    end = pos
    for line in lines:
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            (batches[-1] if batches else head).append(line)
            end += len(line)
            continue
        m = _ITEM.match(line)
        if indent is None:
            if m is None:
                return _NO_FAST
            indent = len(m.group(1))
        if m is not None and len(m.group(1)) == indent:
            if not batches or size >= CHUNK_BYTES:
                batches.append([])
                size = 0
        elif len(line) - len(stripped) <= indent:
            break  # the next top-level key: the sequence ended
        batches[-1].append(line)
        size += len(line)
        end += len(line)
    if not batches:
        return _NO_FAST
    try:
        return _parse_batches(text[: key.start()] + "tests: []\n" + "".join(head) + text[end:], batches, parse)
    except Exception:  # e.g. a batch that ends inside a quoted scalar
        return _NO_FAST


def _parse_batches(rest_text: str, batches: list[list[str]], parse: Any) -> Any:
    rest = parse(rest_text)
    if not isinstance(rest, dict) or rest.get("tests") != []:
        return _NO_FAST
    rest = _jsify(rest)
    tests: list[Any] = []
    for batch in batches:
        items = parse("".join(batch))
        if not isinstance(items, list):
            return _NO_FAST
        tests.extend(_jsify(items))
    rest["tests"] = tests
    return rest


_NO_FAST = object()


class StreamBroken(Exception):
    """A batch of a streamed `tests:` list did not parse on its own: load the file the ordinary way."""


class StreamedTests:
    """The items of a suite file's top-level block `tests:` sequence, left in the file and parsed a
    batch (~256 KB) at a time when iterated, so the whole list never exists at once."""

    def __init__(self, path: Path, spans: list[tuple[int, int]]) -> None:
        self.path = path
        self.spans = spans  # byte ranges of the batches, in order

    def batches(self) -> Iterator[list[Any]]:
        """Each batch's items (StreamBroken when one does not parse as a list)."""
        import yaml12 as rust_yaml  # py-yaml12 (the scan found it importable)

        with open(self.path, "rb") as fh:
            for start, end in self.spans:
                fh.seek(start)
                text = fh.read(end - start).decode("utf-8").replace("\r\n", "\n")
                try:
                    items = rust_yaml.parse_yaml(text)
                except Exception as e:
                    raise StreamBroken(str(e)) from None
                if not isinstance(items, list):
                    raise StreamBroken("a batch is not a list")
                yield _jsify(items)


def load_streamed(path: Path) -> tuple[Any, StreamedTests] | None:
    """A large suite file whose `tests:` can be read a batch at a time: (the document with
    `tests: []`, its tests); None when the file is small or not certainly splittable (then it is
    loaded whole, exactly as before). The same split, checks and parser as the in-memory fast
    path, on the file's lines, so the text of the tests is never held whole."""
    try:
        if path.stat().st_size < FAST_PATH_BYTES:
            return None
        import yaml12 as rust_yaml  # py-yaml12
    except (OSError, ImportError):
        return None
    try:
        with open(path, "rb") as fh:
            scanned = _scan_lines(fh)
    except (OSError, UnicodeDecodeError):
        return None
    if scanned is None:
        return None
    rest_text, spans = scanned
    try:
        rest = rust_yaml.parse_yaml(rest_text)
    except Exception:
        return None
    if not isinstance(rest, dict) or rest.get("tests") != []:
        return None
    return _jsify(rest), StreamedTests(path, spans)


def _unsafe(text: str) -> bool:
    return "<<" in text or "$ref" in text or _fast_path_unsafe(text)


def _fast_path_unsafe(text: str) -> bool:
    date, tag, marker, anchor = _FAST_PATH_UNSAFE
    return bool(
        date.search(text)
        or ("!" in text and tag.search(text))
        or (("---" in text or "..." in text) and marker.search(text))
        or ("&" in text and anchor.search(text))
    )


_CR = ord("\r")


def _scan_lines(fh: Any) -> tuple[str, list[tuple[int, int]]] | None:
    """(the text without the tests' items, the items' batches as byte ranges), or None."""
    rest: list[str] = []
    spans: list[tuple[int, int]] = []
    pending: list[str] = []  # the current batch's text, checked when the batch closes
    chars = 0
    pos = 0  # byte offset of the current line
    state = 0  # 0: before `tests:`, 1: in its items, 2: after them
    indent = -1
    deeper = ""
    start = size = 0
    keys = 0
    for raw in fh:
        line_start, pos = pos, pos + len(raw)
        if raw.endswith(b"\r\n"):
            raw = raw[:-2] + b"\n"
        if _CR in raw:  # an int operand: `b"\r" in raw` builds and drops a TypeError per line
            return None  # lone carriage returns: the ordinary path knows those lines
        line = raw.decode("utf-8")
        chars += len(line)
        if state == 1:
            if indent >= 0 and line.startswith(deeper):
                pending.append(line)
                size += len(raw)
                continue
            stripped = line.lstrip(" ")
            if not stripped.strip() or stripped.startswith("#"):
                if indent < 0:
                    rest.append(line)  # before the first item
                else:
                    pending.append(line)
                continue
            m = _ITEM.match(line)
            if indent < 0:
                if m is None:
                    return None
                indent = len(m.group(1))
                deeper = " " * (indent + 1)
                start = line_start
            if m is not None and len(m.group(1)) == indent:
                if size >= CHUNK_BYTES:
                    if _unsafe("".join(pending)):
                        return None
                    spans.append((start, line_start))
                    pending, start, size = [], line_start, 0
            elif len(line) - len(stripped) <= indent:
                state = 2  # the next top-level key: the sequence ended
                if _unsafe("".join(pending)):
                    return None
                spans.append((start, line_start))
                pending = []
                if _TESTS_KEY.match(line):
                    return None
                rest.append(line)
                continue
            pending.append(line)
            size += len(raw)
            continue
        if _TESTS_KEY.match(line.rstrip("\n")):
            keys += 1
            if state != 0 or keys > 1:
                return None
            state = 1
            rest.append("tests: []\n")
            continue
        rest.append(line)
    if state == 1:
        if indent < 0:
            return None
        if _unsafe("".join(pending)):
            return None
        spans.append((start, pos))
    if state == 0 or not spans or chars < FAST_PATH_BYTES:
        return None
    rest_text = "".join(rest)
    if _unsafe(rest_text):
        return None
    return rest_text, spans


def load_yaml(text: str, file: str | None = None, *, json: bool = False) -> Any:
    """Parse one YAML document; an empty document is None. Errors name the file and line.
    `json=True` is js-yaml's `json: true` (promptfoo's extractJsonObjects): duplicated keys keep
    the last value."""
    fast = _load_fast(text)
    if fast is not _NO_FAST:
        return fast
    try:
        docs = _load_bounded(text, file, Yaml12JsonLoader if json else Yaml12Loader)
    except RecursionError:
        raise SuiteError(file, None, f"invalid YAML: nested deeper than {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = e.problem or e.context or "invalid YAML"
        raise SuiteError(file, where, f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as e:  # a NUL or other control character: say where, on one line
        line = text[: e.position].count("\n") + 1
        raise SuiteError(
            file, f"line {line}", f"invalid YAML: control character #x{e.character:04x} is not allowed"
        ) from None
    except yaml.YAMLError as e:
        raise SuiteError(file, None, "invalid YAML: " + " ".join(str(e).split())) from None
    if not docs:
        return None
    if len(docs) > 1:
        raise SuiteError(file, None, "invalid YAML: expected a single document in the stream, but found more")
    return docs[0]


def _load_bounded(text: str, file: str | None, loader_class: type[Yaml12Loader] = Yaml12Loader) -> list[Any]:
    """Compose each document, check its expanded size and depth, then construct it."""
    loader = loader_class(text)
    try:
        docs: list[Any] = []
        while loader.check_node():
            node = loader.get_node()
            if docs:  # a second document: reported by the caller
                docs.append(None)
                break
            check_bounds(node, file)
            docs.append(loader.construct_document(node))
        return docs
    finally:
        loader.dispose()


def check_bounds(root: yaml.Node, file: str | None) -> None:
    """SuiteError when the document nests deeper than MAX_DEPTH or expands past MAX_NODES values."""
    sizes: dict[int, int] = {}
    # iterative post-order walk; a node reached again through an alias reuses its memoized size
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if id(node) in sizes and not done:
            continue
        if depth > MAX_DEPTH:
            line = node.start_mark.line + 1 if node.start_mark else None
            raise SuiteError(
                file, f"line {line}" if line else None, f"invalid YAML: nested deeper than {MAX_DEPTH} levels"
            )
        children = _children(node)
        if done:
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_NODES:
                raise SuiteError(
                    file,
                    None,
                    f"YAML aliases expand to more than {MAX_NODES:,} values (an alias bomb?); refusing to load it",
                )
            sizes[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
