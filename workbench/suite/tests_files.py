"""Tests: reading (inline, CSV/JSON/JSONL/YAML files, globs), defaultTest merge, scenarios and
vars-array expansion into TestCases (promptfoo src/util/testCaseReader.ts, src/evaluator.ts).

Order and indices follow promptfoo: `tests` first, then scenario tests (for each scenario, each
config entry, each scenario test); each test expands its vars into the cartesian product of the
array-valued vars whose first element is a string (QUIRKS 33), defaultTest vars first in key order;
`TestCase.index` counts the expanded rows (promptfoo's testIdx, before `repeat`).
"""

from __future__ import annotations

import glob as globlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError
from workbench.suite.csv_tests import read_csv_tests
from workbench.suite.validate import (
    SCENARIO_KEYS,
    TEST_KEYS,
    TEST_OPTIONS,
    TEST_PROMPTFOO_ONLY,
    check_assertions,
    check_keys,
    expect_list,
    expect_mapping,
    expect_number,
    type_name,
)
from workbench.suite.yaml12 import JsDate, load_yaml
from workbench.types import TestCase

_SCRIPT_EXTS = (".py", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts")
_REQUIRED_ONE_OF = ("assert", "vars", "options", "metadata", "provider", "providerOutput", "threshold")


@dataclass
class RawTest:
    """A test dict as written, plus where it came from (for error messages)."""

    data: dict[str, Any]
    file: str | None
    where: str
    base_dir: Path | None = None  # where its own file:// refs resolve (the tests file's folder)


def _has_magic(s: str) -> bool:
    return any(c in s for c in "*?[{")


def _rel(path: Path, base_dir: Path) -> str:
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return str(path)


def _read(path: Path, file: str | None, where: str | None, shown: str) -> str:
    try:
        return file_access.read_text(path)
    except FileNotFoundError:
        raise SuiteError(file, where, f"file not found: {shown}") from None
    except file_access.FileAccessError as e:
        raise SuiteError(file, where, e.reason if file == shown else f"{shown}: {e.reason}") from None
    except (IsADirectoryError, UnicodeDecodeError) as e:
        raise SuiteError(file, where, f"cannot read {shown}: {e}") from None


# Runs a test generator: (file, function name or None, the `config` given with it) -> its value.
Generator = Callable[[Path, str | None, Any], Any]


def _is_script(rel: str) -> bool:
    return rel.endswith(_SCRIPT_EXTS) or ".py:" in rel or ".js:" in rel or ".ts:" in rel or ".mjs:" in rel


def _generated(
    ref: str, config: Any, base_dir: Path, file: str | None, where: str, generate: Generator | None
) -> list[RawTest] | None:
    """The tests a generator (`file://gen.py:fn`, `file://gen.js`) returns; None for other refs."""
    rel = ref[len("file://") :] if ref.startswith("file://") else ref
    if not _is_script(rel):
        return None
    i = rel.rfind(":")
    path_part, fn = (rel[:i], rel[i + 1 :]) if i > 1 else (rel, None)
    if path_part.endswith((".ts", ".cts", ".mts")):
        raise SuiteError(file, where, f"TypeScript test generators are not supported by workbench: {rel}")
    if generate is None:
        raise SuiteError(
            file, where, f"test generators run code: only `workbench run` without --no-code-asserts runs them: {rel}"
        )
    path = base_dir / path_part
    if not file_access.is_file(path):
        raise SuiteError(file, where, f"file not found: {path_part}")
    try:
        data = generate(path.resolve(), fn, config)
    except Exception as e:  # the user's code raised: a load error naming the generator
        raise SuiteError(file, where, f"test generator {rel} failed: {e}") from None
    if not isinstance(data, list):
        raise SuiteError(file, where, f"test generator {rel} must return a list of tests, got {type_name(data)}")
    out = []
    for j, item in enumerate(data):
        if not isinstance(item, dict):
            raise SuiteError(file, f"{where} ({rel})[{j}]", f"must be a test mapping, got {type_name(item)}")
        out.append(RawTest(item, file, f"{where} ({rel})[{j}]", path.parent))
    return out


def _glob(ref: str, base_dir: Path, file: str | None, where: str) -> list[Path]:
    rel = ref[len("file://") :] if ref.startswith("file://") else ref
    if _is_script(rel):
        raise SuiteError(file, where, f"a code file is not a tests file here: {rel}")
    if rel.startswith(("huggingface://", "langfuse://", "az://", "https://", "http://")):
        raise SuiteError(file, where, f"remote test sources are not supported by workbench: {rel}")
    target = base_dir / rel
    if _has_magic(rel):
        matches = sorted(Path(p) for p in globlib.glob(str(target), recursive=True) if file_access.is_file(p))
        if not matches:
            raise SuiteError(file, where, f"no files match {rel}")
        return matches
    if not file_access.is_file(target):
        if os.path.lexists(target):  # a FIFO, socket, directory or symlink loop: say which
            try:
                file_access.check(target)
            except file_access.FileAccessError as e:
                raise SuiteError(file, where, f"{rel}: {e.reason}") from None
            except IsADirectoryError:
                raise SuiteError(file, where, f"{rel}: is a directory") from None
        raise SuiteError(file, where, f"file not found: {rel}")
    return [target]


def _parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SuiteError(shown, f"line {e.lineno}", f"invalid JSON: {e.msg}") from None
    except RecursionError:
        raise SuiteError(shown, None, "invalid JSON: nested too deep") from None


def _as_test_list(data: Any, shown: str) -> list[Any]:
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    raise SuiteError(shown, None, f"must be a list of tests, got {type_name(data)}")


def _read_file(path: Path, base_dir: Path, standalone: bool) -> list[RawTest]:
    """One tests file. `standalone` = the `tests: file://x` string form (adds `Row #N` to JSON)."""
    shown = _rel(path, base_dir)
    ext = path.suffix.lower()
    if ext == ".csv":
        return [RawTest(t, shown, f"row {i + 1}") for i, t in enumerate(read_csv_tests(path, shown))]
    text = _read(path, shown, None, shown)
    if ext in (".yaml", ".yml"):
        items = _as_test_list(load_yaml(text, shown), shown)
        described = False
    elif ext == ".jsonl":
        items = []
        for n, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise SuiteError(shown, f"line {n}", f"invalid JSON: {e.msg}") from None
                except RecursionError:
                    raise SuiteError(shown, f"line {n}", "invalid JSON: nested too deep") from None
        described = standalone
    elif ext == ".json":
        items = _as_test_list(load_yaml(text, shown) if standalone else _parse_json(text, shown), shown)
        described = standalone
    else:
        raise SuiteError(
            shown, None, f"unsupported tests file type '{ext or path.name}' (use .csv, .json, .jsonl, .yaml)"
        )
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SuiteError(shown, f"[{i}]", f"must be a test mapping, got {type_name(item)}")
        if described and not item.get("description"):
            item = {**item, "description": f"Row #{i + 1}"}
        out.append(RawTest(item, shown, f"[{i}]", path.parent))
    return out


def read_tests(
    value: Any, base_dir: Path, file: str | None, key: str = "tests", generate: Generator | None = None
) -> list[RawTest]:
    """The `tests:` value -> raw tests in promptfoo's order (generators called through `generate`)."""
    if value is None:
        return []
    if isinstance(value, str):
        generated = _generated(value, None, base_dir, file, key, generate)
        if generated is not None:
            return generated
        return [t for p in _glob(value, base_dir, file, key) for t in _read_file(p, base_dir, standalone=True)]
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        generated = _generated(value["path"], value.get("config"), base_dir, file, key, generate)
        if generated is not None:
            return generated
        return [t for p in _glob(value["path"], base_dir, file, key) for t in _read_file(p, base_dir, True)]
    if not isinstance(value, list):
        raise SuiteError(file, key, f"must be a list of tests or a file:// path, got {type_name(value)}")
    return read_test_items(value, base_dir, file, key, generate)


def read_test_items(
    items: list[Any],
    base_dir: Path,
    file: str | None,
    key: str = "tests",
    generate: Generator | None = None,
    start: int = 0,
) -> list[RawTest]:
    """Items of a `tests:` list (item `start` onwards when the list is read a batch at a time)."""
    out: list[RawTest] = []
    for i, item in enumerate(items, start=start):
        where = f"{key}[{i}]"
        if isinstance(item, str):
            generated = _generated(item, None, base_dir, file, where, generate)
            if generated is not None:
                out.extend(generated)
                continue
            out.extend(t for p in _glob(item, base_dir, file, where) for t in _read_file(p, base_dir, False))
        elif isinstance(item, dict) and isinstance(item.get("path"), str) and "vars" not in item:
            generated = _generated(item["path"], item.get("config"), base_dir, file, where, generate)
            if generated is not None:
                out.extend(generated)
                continue
            out.extend(t for p in _glob(item["path"], base_dir, file, where) for t in _read_file(p, base_dir, True))
        elif isinstance(item, dict):
            out.append(RawTest(item, file, where))
        else:
            raise SuiteError(file, where, f"must be a test mapping or a file:// path, got {type_name(item)}")
    return out


def stream_tests_file(value: Any, base_dir: Path, file: str | None) -> Iterator[list[RawTest]] | None:
    """`tests: file://tests.jsonl` (one JSONL file, the string form): its rows a batch of
    `JSONL_BATCH` at a time, the file read line by line, so a large bank is never held whole.
    None for any other value (read whole by `read_tests`). The file is checked now, as ever; a
    bad row is reported when its batch is read."""
    if not isinstance(value, str):
        return None
    rel = value[len("file://") :] if value.startswith("file://") else value
    if _has_magic(rel) or _is_script(rel) or not rel.lower().endswith(".jsonl"):
        return None
    path = _glob(value, base_dir, file, "tests")[0]
    shown = _rel(path, base_dir)
    try:
        file_access.check(path)
    except FileNotFoundError:
        raise SuiteError(shown, None, f"file not found: {shown}") from None
    except file_access.FileAccessError as e:
        raise SuiteError(shown, None, e.reason) from None
    except IsADirectoryError as e:
        raise SuiteError(shown, None, f"cannot read {shown}: {e}") from None
    return _jsonl_batches(path, shown)


JSONL_BATCH = 1000


def _jsonl_batches(path: Path, shown: str) -> Iterator[list[RawTest]]:
    """The rows of a JSONL tests file as `_read_file` reads them (universal newlines, blank lines
    skipped, `Row #N` descriptions), a batch at a time."""
    batch: list[RawTest] = []
    n = i = 0
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError as e:
                raise SuiteError(shown, None, f"cannot read {shown}: {e}") from None
            parts = text.split("\n")
            for line in parts[:-1] if text.endswith("\n") else parts:
                n += 1
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as e:
                    raise SuiteError(shown, f"line {n}", f"invalid JSON: {e.msg}") from None
                except RecursionError:
                    raise SuiteError(shown, f"line {n}", "invalid JSON: nested too deep") from None
                if not isinstance(item, dict):
                    raise SuiteError(shown, f"[{i}]", f"must be a test mapping, got {type_name(item)}")
                if not item.get("description"):
                    item = {**item, "description": f"Row #{i + 1}"}
                batch.append(RawTest(item, shown, f"[{i}]", path.parent))
                i += 1
                if len(batch) >= JSONL_BATCH:
                    yield batch
                    batch = []
    if batch:
        yield batch


def load_vars_files(value: Any, base_dir: Path, file: str | None, where: str) -> dict[str, Any]:
    """`vars: file://vars.yaml` (or a list of globs): the files' mappings merged in order."""
    refs = value if isinstance(value, list) else [value]
    merged: dict[str, Any] = {}
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            at = f"{where}[{i}]" if isinstance(value, list) else where
            raise SuiteError(file, at, f"must be a mapping or file:// paths, got {type_name(ref)}")
        for path in _glob(ref, base_dir, file, where):
            shown = _rel(path, base_dir)
            data = load_yaml(_read(path, file, where, shown), shown)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise SuiteError(shown, None, f"a vars file must hold a mapping, got {type_name(data)}")
            merged.update(data)
    return merged


def read_default_test(value: Any, base_dir: Path, file: str | None, warnings: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        paths = _glob(value, base_dir, file, "defaultTest")
        shown = _rel(paths[0], base_dir)
        data = load_yaml(_read(paths[0], file, "defaultTest", shown), shown)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise SuiteError(shown, None, f"defaultTest must be a mapping, got {type_name(data)}")
        return normalize_test(RawTest(data, shown, "defaultTest"), paths[0].parent, warnings, is_default=True)
    if not isinstance(value, dict):
        raise SuiteError(file, "defaultTest", f"must be a mapping or a file:// path, got {type_name(value)}")
    return normalize_test(RawTest(value, file, "defaultTest"), base_dir, warnings, is_default=True)


def _str_list(value: Any, file: str | None, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    items = expect_list(value, file, where)
    for i, v in enumerate(items):
        if not isinstance(v, str):
            raise SuiteError(file, f"{where}[{i}]", f"must be a string, got {type_name(v)}")
    return list(items)


def normalize_test(raw: RawTest, base_dir: Path, warnings: list[str], *, is_default: bool = False) -> dict[str, Any]:
    """Validate one test mapping; load vars files. Returns a copy safe to merge."""
    t, file, where = raw.data, raw.file, raw.where
    base_dir = raw.base_dir or base_dir
    check_keys(t, where, TEST_KEYS, warnings, TEST_PROMPTFOO_ONLY)
    out = dict(t)
    if "vars" in t and t["vars"] is not None:
        v = t["vars"]
        out["vars"] = dict(v) if isinstance(v, dict) else load_vars_files(v, base_dir, file, f"{where}.vars")
    if "assert" in t and t["assert"] is not None:
        check_assertions(t["assert"], file, f"{where}.assert", warnings)
    if t.get("options") is not None:
        opts = expect_mapping(t["options"], file, f"{where}.options")
        check_keys(opts, f"{where}.options", TEST_OPTIONS, warnings)
        for key in ("prefix", "suffix", "transform"):
            if opts.get(key) is not None and not isinstance(opts[key], str):
                raise SuiteError(file, f"{where}.options.{key}", f"must be a string, got {type_name(opts[key])}")
    if t.get("metadata") is not None:
        expect_mapping(t["metadata"], file, f"{where}.metadata")
    if "threshold" in t:
        expect_number(t["threshold"], file, f"{where}.threshold")
    if t.get("description") is not None and not isinstance(t["description"], str):
        raise SuiteError(file, f"{where}.description", f"must be a string, got {type_name(t['description'])}")
    for key in ("providers", "prompts"):
        if key in t:
            out[key] = _str_list(t[key], file, f"{where}.{key}")
    if t.get("assertScoringFunction") is not None and not isinstance(t["assertScoringFunction"], str):
        raise SuiteError(file, f"{where}.assertScoringFunction", "must be a string (file://path:function)")
    if not is_default and not any(t.get(k) is not None for k in _REQUIRED_ONE_OF):
        raise SuiteError(file, where, "a test needs at least one of: " + ", ".join(_REQUIRED_ONE_OF))
    return out


def read_scenarios(value: Any, base_dir: Path, file: str | None, warnings: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = expect_list(value, file, "scenarios")
    out = []
    for i, item in enumerate(items):
        where = f"scenarios[{i}]"
        if isinstance(item, str):
            loaded: list[Any] = []
            for path in _glob(item, base_dir, file, where):
                shown = _rel(path, base_dir)
                loaded.extend(_as_test_list(load_yaml(_read(path, file, where, shown), shown), shown))
            entries = [(f"{where}[{j}]", s) for j, s in enumerate(loaded)]
        else:
            entries = [(where, item)]
        for w, sc in entries:
            sc = expect_mapping(sc, file, w)
            check_keys(sc, w, SCENARIO_KEYS, warnings)
            if "config" not in sc:
                raise SuiteError(file, w, "'config' is required (a list of vars/asserts entries)")
            config = expect_list(sc["config"], file, f"{w}.config")
            for j, c in enumerate(config):
                expect_mapping(c, file, f"{w}.config[{j}]")
            tests = sc.get("tests")
            if tests is not None:
                tests = [(t.data, t.where) for t in read_tests(tests, base_dir, file, f"{w}.tests")]
                for j, (t, _) in enumerate(tests):
                    expect_mapping(t, file, f"{w}.tests[{j}]")
            out.append({"config": config, "tests": tests, "where": w})
    return out


def var_combinations(vars: dict[str, Any], base_dir: Path, file: str | None, where: str) -> list[dict[str, Any]]:
    """promptfoo's generateVarCombinations: cartesian product over string-first arrays and
    `file://` globs (each matching file is one row)."""
    combos: list[dict[str, Any]] = [{}]
    for key, value in vars.items():
        if isinstance(value, str) and value.startswith("file://") and not isinstance(value, JsDate):
            rel = value[len("file://") :]
            if _has_magic(rel):
                found = sorted(globlib.glob(str(base_dir / rel), recursive=True))
                values: list[Any] = [f"file://{_rel(Path(p), base_dir)}" for p in found]
            else:
                values = [value] if os.path.lexists(base_dir / rel) else []  # a refused file is reported by name
            if not values:
                raise SuiteError(file, f"{where}.vars.{key}", f"no files found for {value}")
        elif isinstance(value, list) and value and isinstance(value[0], str) and not isinstance(value[0], JsDate):
            values = value
        else:
            values = [value]
        combos = [{**c, key: v} for c in combos for v in values]
    return combos


def _merge(default: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """prepareTestVariables + prepareTestCaseForEval: defaultTest under the test."""
    own_options = test.get("options") or {}
    # checked on the test's own options, before the merge (as promptfoo does)
    asserts = [] if own_options.get("disableDefaultAsserts") is True else list(default.get("assert") or [])
    options = {**(default.get("options") or {}), **own_options}
    merged = dict(test)
    merged["vars"] = {**(default.get("vars") or {}), **(test.get("vars") or {})}
    merged["assert"] = asserts + list(test.get("assert") or [])
    merged["threshold"] = test["threshold"] if test.get("threshold") is not None else default.get("threshold")
    merged["options"] = options
    merged["metadata"] = {**(default.get("metadata") or {}), **(test.get("metadata") or {})}
    merged["prompts"] = test.get("prompts") if test.get("prompts") is not None else default.get("prompts")
    merged["providers"] = test.get("providers") if test.get("providers") is not None else default.get("providers")
    merged["assertScoringFunction"] = test.get("assertScoringFunction") or default.get("assertScoringFunction")
    return merged


def _scenario_test(default: dict[str, Any], data: dict[str, Any], test: dict[str, Any], idx: int) -> dict[str, Any]:
    """promptfoo's mergeScenarioTest."""
    metadata = {**(default.get("metadata") or {}), **(data.get("metadata") or {}), **(test.get("metadata") or {})}
    metadata.setdefault("conversationId", f"__scenario_{idx}__")
    return {
        **default,
        **data,
        **test,
        "vars": {**(default.get("vars") or {}), **(data.get("vars") or {}), **(test.get("vars") or {})},
        "options": {**(default.get("options") or {}), **(data.get("options") or {}), **(test.get("options") or {})},
        "assert": [*(data.get("assert") or []), *(test.get("assert") or [])],
        "metadata": metadata,
    }


def iter_test_cases(
    raw_batches: Iterable[list[RawTest]],
    default: dict[str, Any],
    scenarios: list[dict[str, Any]],
    base_dir: Path,
    warnings: list[str],
    file: str | None = None,
    share_parsed: bool = False,
) -> Iterator[TestCase]:
    """The TestCases of raw tests given a batch at a time (a streamed `tests:` list; `[raw_tests]`
    for a list in memory), then of the scenarios, numbered in order. Each batch is validated whole
    before its rows are built; the scenarios are validated after the first batch, so a suite given
    as one batch reports its errors in the same order as ever.

    `share_parsed`: the parsed document is dropped after loading, so an assertion dict used by
    no earlier row becomes this row's own instead of being copied (a 25k-test bank: 125k fewer
    dicts alive at the peak). defaultTest's and any dict seen before (aliases, scenarios, vars
    expansion) are still copied, so no two rows share one."""
    base_used = {id(a) for a in default.get("assert") or []}
    index = 0
    seen = False
    scenario_entries: list[tuple[dict[str, Any], str | None, str]] | None = None

    def expand(entries: list[tuple[dict[str, Any], str | None, str]], used: set[int]) -> Iterator[TestCase]:
        nonlocal index
        for test, where_file, where in entries:
            merged = _merge(default, test)
            opts = merged["options"]
            combos = (
                [merged["vars"]]
                if opts.get("disableVarExpansion")
                else var_combinations(merged["vars"], base_dir, where_file, where)
            )
            for vars in combos:
                yield TestCase(
                    index=index,
                    vars=vars,
                    asserts=[_own(a, used, share_parsed) for a in merged["assert"]],
                    description=merged.get("description"),
                    threshold=merged.get("threshold"),
                    options=dict(opts),
                    metadata=dict(merged["metadata"]),
                    providers=merged.get("providers"),
                    prompts=merged.get("prompts"),
                    assert_scoring_function=merged.get("assertScoringFunction"),
                    provider_output=merged.get("providerOutput"),
                )
                index += 1

    used = set(base_used)
    for batch in raw_batches:
        entries = [(normalize_test(rt, base_dir, warnings), rt.file, rt.where) for rt in batch]
        if scenario_entries is None:
            scenario_entries = _scenario_entries(default, scenarios, base_dir, warnings, file)
        elif seen:  # a later batch was parsed on its own: it shares no dict with earlier rows
            used = set(base_used)
        seen = seen or bool(batch)
        yield from expand(entries, used)
        del entries
    if scenario_entries is None:
        scenario_entries = _scenario_entries(default, scenarios, base_dir, warnings, file)
    if not seen and not scenarios:
        scenario_entries = [({}, None, "tests")]
    yield from expand(scenario_entries, used)


def _scenario_entries(
    default: dict[str, Any], scenarios: list[dict[str, Any]], base_dir: Path, warnings: list[str], file: str | None
) -> list[tuple[dict[str, Any], str | None, str]]:
    entries: list[tuple[dict[str, Any], str | None, str]] = []
    sc_idx = 0
    for sc in scenarios:
        for j, data in enumerate(sc["config"]):
            tests = sc["tests"] if sc["tests"] is not None else [({}, None)]
            for t, tw in tests:
                where = f"{sc['where']}.config[{j}]"
                d = normalize_test(RawTest(data, file, where), base_dir, warnings, is_default=True)
                tt = normalize_test(RawTest(t, file, tw or where), base_dir, warnings, is_default=True)
                entries.append((_scenario_test(default, d, tt, sc_idx), file, where))
            sc_idx += 1
    return entries


def _own(assertion: Any, used: set[int], share: bool) -> Any:
    if share and isinstance(assertion, dict) and id(assertion) not in used:
        used.add(id(assertion))
        return assertion
    return dict(assertion)
