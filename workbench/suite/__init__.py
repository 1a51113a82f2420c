"""Load promptfoo-compatible suites: `load(path) -> Suite` (promptfoo 0.121.20 semantics).

    suite = load(Path("suites/support.yaml"))
    suite.prompts, suite.providers, suite.tests, suite.warnings

Bad input raises `SuiteError` (`file: key.path: message`); unknown keys are warnings in
`suite.warnings`. Problems promptfoo reports per row (an unknown assertion type, a missing
`value`) are left to grading. See docs/suite-format.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError
from workbench.suite.families import metadata_warnings
from workbench.suite.prompts_loader import load_prompts
from workbench.suite.providers_loader import load_providers
from workbench.suite.refs import resolve_local_refs
from workbench.suite.settings import parse_settings
from workbench.suite.test_bank import TestBank
from workbench.suite.tests_files import (
    Generator,
    RawTest,
    iter_test_cases,
    read_default_test,
    read_scenarios,
    read_test_items,
    read_tests,
    stream_tests_file,
)
from workbench.suite.validate import (
    EVALUATE_OPTIONS,
    TOP_LEVEL,
    TOP_LEVEL_PROMPTFOO_ONLY,
    WORKBENCH_KEYS,
    check_keys,
    expect_list,
    expect_mapping,
    type_name,
    unsupported_feature_warnings,
)
from workbench.suite.yaml12 import JsDate, StreamBroken, StreamedTests, load_streamed, load_yaml
from workbench.types import Suite, TestCase

__all__ = ["Generator", "JsDate", "SuiteError", "load", "load_config", "load_yaml", "rebuild_tests"]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def _suite_read_errors(shown: str) -> Iterator[None]:
    """Reading the suite file: each way it can fail becomes one SuiteError line naming the file."""
    try:
        yield
    except FileNotFoundError:
        raise SuiteError(shown, None, "file not found") from None
    except IsADirectoryError:
        raise SuiteError(shown, None, "is a directory, not a suite file") from None
    except UnicodeDecodeError:
        raise SuiteError(shown, None, "not a UTF-8 text file") from None
    except file_access.FileAccessError as e:
        raise SuiteError(shown, None, e.reason) from None
    except OSError as e:
        raise SuiteError(shown, None, f"cannot read ({e.strerror or e})") from None


def _check_suite_file(path: Path, shown: str) -> None:
    """The suite itself defines the project root: every check but confinement applies to it."""
    with _suite_read_errors(shown):
        file_access.check(path, dataclasses.replace(file_access.current_policy(), roots=None))


def load_config(path: Path | str) -> dict[str, Any]:
    """The suite file parsed (YAML 1.2 / JSON), checked to be a mapping."""
    path = Path(path)
    shown = _display(path)
    _check_suite_file(path, shown)
    with _suite_read_errors(shown):
        text = file_access.decode_text(path.read_bytes())
    data = load_yaml(text, shown)
    if data is None:
        raise SuiteError(shown, None, "the suite file is empty")
    if not isinstance(data, dict):
        raise SuiteError(shown, None, f"a suite must be a mapping, got {type_name(data)}")

    return resolve_local_refs(data, shown)


def _load_config_streamed(path: Path, shown: str) -> tuple[dict[str, Any], StreamedTests] | None:
    """A large suite whose `tests:` list is read a batch at a time (suite/yaml12.py), else None."""
    _check_suite_file(path, shown)
    with _suite_read_errors(shown):
        got = load_streamed(path)
    if got is None:
        return None
    data, stream = got
    return resolve_local_refs(data, shown), stream


def _suite_sha256(path: Path, shown: str) -> str:
    """The suite file's digest, read once more after its tests (it may be gone by then)."""
    digest = hashlib.sha256()
    with _suite_read_errors(shown), open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load(paths: list[Path] | list[str] | Path | str, generate: Generator | None = None) -> Suite:
    """Load one suite, or several combined the way promptfoo combines `-c a.yaml -c b.yaml`.

    `generate` runs test generators (`tests: file://gen.py:fn`); without it they are refused.
    """
    if isinstance(paths, (str, Path)):
        return _load_one(Path(paths), generate)
    suites = [_load_one(Path(p), generate) for p in paths]
    if not suites:
        raise SuiteError(None, None, "no suite file given")
    if len(suites) == 1:
        return suites[0]
    return _combine(suites)


def _combine(suites: list[Suite]) -> Suite:
    """promptfoo concatenates prompts, providers and tests of several configs (first wins for scalars)."""
    first = suites[0]
    tests = TestBank(dataclasses.replace(t, index=i) for i, t in enumerate(t for s in suites for t in s.tests)).finish()
    evaluate: dict[str, Any] = {}
    settings = first.settings
    for s in suites:
        evaluate.update(s.evaluate_options)
    for s in suites[1:]:
        settings = settings.merged(s.settings)
    digest = hashlib.sha256("".join(s.sha256 for s in suites).encode()).hexdigest()
    return Suite(
        path=first.path,
        description=first.description,
        prompts=[p for s in suites for p in s.prompts],
        providers=[p for s in suites for p in s.providers],
        tests=tests,
        evaluate_options=evaluate,
        settings=settings,
        derived_metrics=[m for s in suites for m in s.derived_metrics],
        warnings=[w for s in suites for w in s.warnings],
        sha256=digest,
        extensions=[e for s in suites for e in s.extensions],
        nunjucks_filters={k: v for s in suites for k, v in s.nunjucks_filters.items()},
    )


def _allow_paths(config: dict[str, Any], base_dir: Path, shown: str) -> None:
    """`workbench: {allow_paths: [DIR, ...]}`: directories outside the project this suite may read."""
    wb = config.get("workbench")
    raw = wb.get("allow_paths") if isinstance(wb, dict) else None
    if raw is None:
        return
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(d, str) and d for d in raw):
        raise SuiteError(shown, "workbench.allow_paths", "must be a list of directories")
    dirs = [base_dir / d for d in raw]
    for i, d in enumerate(dirs):
        if not d.is_dir():
            raise SuiteError(shown, f"workbench.allow_paths[{i}]", f"not a directory: {raw[i]}")
    file_access.allow(dirs)


def _load_one(path: Path, generate: Generator | None = None) -> Suite:
    shown = _display(path)
    streamed = _load_config_streamed(path, shown)
    if streamed is not None:
        try:
            return _build(path, shown, streamed[0], streamed[1], generate)
        except StreamBroken:  # a batch that does not parse alone: the whole file, as ever
            pass
    return _build(path, shown, load_config(path), None, generate)


def _streamed_raw(
    stream: StreamedTests, base_dir: Path, shown: str, generate: Generator | None
) -> Iterator[list[RawTest]]:
    """Each batch of the suite file's own `tests:` items read; a failure to read the file (removed or
    changed since the scan) is the suite's one-line error, the items' own errors are theirs."""
    batches = stream.batches()
    start = 0
    while True:
        with _suite_read_errors(shown):
            items = next(batches, None)
        if items is None:
            return
        yield read_test_items(items, base_dir, shown, "tests", generate, start=start)
        start += len(items)


def _into(bank: TestBank, tests: Iterable[TestCase]) -> Iterator[TestCase]:
    for t in tests:
        bank.append(t)
        yield t


def _build(
    path: Path, shown: str, config: dict[str, Any], stream: StreamedTests | None, generate: Generator | None
) -> Suite:
    base_dir = path.resolve().parent
    warnings: list[str] = []
    check_keys(config, "", TOP_LEVEL, warnings, TOP_LEVEL_PROMPTFOO_ONLY)
    warnings = [f"{shown}: {w}" for w in warnings]
    local: list[str] = []

    _allow_paths(config, base_dir, shown)
    description = config.get("description")
    if description is not None and not isinstance(description, str):
        raise SuiteError(shown, "description", f"must be a string, got {type_name(description)}")
    prompts = load_prompts(config.get("prompts"), base_dir, shown, local)
    providers_value = config.get("providers", config.get("targets"))
    providers = load_providers(providers_value, base_dir, shown, local)
    default = read_default_test(config.get("defaultTest"), base_dir, shown, local)
    file_stream = (
        None
        if stream is not None or config.get("extensions")
        else stream_tests_file(config.get("tests"), base_dir, shown)
    )
    raw_tests = [] if file_stream is not None else read_tests(config.get("tests"), base_dir, shown, generate=generate)
    raw_batches: Iterable[list[RawTest]] = [raw_tests] if file_stream is None else file_stream
    if stream is not None:
        raw_batches = _streamed_raw(stream, base_dir, shown, generate)
        if config.get("extensions"):  # hooks see (and may rebuild) every test as written
            raw_tests = [t for batch in raw_batches for t in batch]
            raw_batches = [raw_tests]
    scenarios = read_scenarios(config.get("scenarios"), base_dir, shown, local)
    share = not config.get("extensions")  # hooks rebuild tests from the parsed ones (test_source)
    bank = TestBank()  # built one test at a time; a large bank spills to a temporary file
    cases = iter_test_cases(raw_batches, default, scenarios, base_dir, local, shown, share_parsed=share)
    local.extend(unsupported_feature_warnings(_into(bank, cases)))
    tests = bank.finish()
    extensions = _extensions(config.get("extensions"), shown)
    filters = _nunjucks_filters(config.get("nunjucksFilters"), base_dir, shown, local)

    evaluate = config.get("evaluateOptions") or {}
    expect_mapping(evaluate, shown, "evaluateOptions")
    check_keys(evaluate, "evaluateOptions", EVALUATE_OPTIONS, local)
    for key in ("maxConcurrency", "repeat", "delay", "timeoutMs", "maxEvalTimeMs"):
        v = evaluate.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < math.inf):
            raise SuiteError(shown, f"evaluateOptions.{key}", f"must be a non-negative number, got {v!r}")

    derived = config.get("derivedMetrics") or []
    for i, m in enumerate(expect_list(derived, shown, "derivedMetrics")):
        m = expect_mapping(m, shown, f"derivedMetrics[{i}]")
        for key in ("name", "value"):
            if not isinstance(m.get(key), str):
                raise SuiteError(shown, f"derivedMetrics[{i}]", f"'{key}' is required (a string)")

    wb = config.get("workbench") or {}
    expect_mapping(wb, shown, "workbench")
    check_keys(wb, "workbench", WORKBENCH_KEYS, local)
    settings = parse_settings(wb, shown)

    warnings.extend(w if w.startswith(shown) else f"{shown}: {w}" for w in local)
    for family_dir in dict.fromkeys(Path(p.path).parent for p in prompts if p.family and p.path):
        warnings.extend(metadata_warnings(family_dir))  # prompts/<family>/prompt.yaml
    return Suite(
        path=path,
        description=description,
        prompts=prompts,
        providers=providers,
        tests=tests,
        evaluate_options=dict(evaluate),
        settings=settings,
        derived_metrics=list(derived),
        warnings=warnings,
        sha256=_suite_sha256(path, shown),
        extensions=extensions,
        nunjucks_filters=filters,
        test_source=(raw_tests, config.get("defaultTest"), scenarios) if extensions else None,
    )


def _extensions(value: Any, shown: str) -> list[str]:
    """`extensions:` hooks; only `file://` Python and JavaScript files (promptfoo's common form)."""
    out = []
    for i, ext in enumerate(expect_list(value or [], shown, "extensions")):
        if not isinstance(ext, str) or not ext.startswith("file://"):
            raise SuiteError(shown, f"extensions[{i}]", f"must be a file:// hook (file://hooks.py:fn), got {ext!r}")
        body = ext[len("file://") :]
        i_colon = body.rfind(":")
        target = body[:i_colon] if i_colon > 1 else body
        if not target.endswith((".py", ".js", ".cjs", ".mjs")):
            raise SuiteError(shown, f"extensions[{i}]", f"hooks must be .py or .js files, got {ext}")
        out.append(ext)
    return out


def _nunjucks_filters(value: Any, base_dir: Path, shown: str, warnings: list[str]) -> dict[str, Path]:
    """`nunjucksFilters: {name: path.js}`; as in promptfoo a path that matches no file (such as a
    `file://` one) leaves the filter undefined, which is said here rather than silently."""
    out: dict[str, Path] = {}
    for name, ref in expect_mapping(value or {}, shown, "nunjucksFilters").items():
        if not isinstance(ref, str):
            raise SuiteError(shown, f"nunjucksFilters.{name}", f"must be a path to a .js file, got {type_name(ref)}")
        path = base_dir / ref
        if not file_access.is_file(path):
            warnings.append(f"nunjucksFilters.{name}: no file {ref} (the filter stays undefined, as in promptfoo)")
            continue
        out[str(name)] = path.resolve()
    return out


def rebuild_tests(suite: Suite, tests: list[Any], default_test: Any) -> Sequence[Any]:
    """The suite's tests rebuilt from tests as written (a beforeAll hook's edited copy)."""
    if suite.test_source is None:
        return suite.tests
    raw_tests, _, scenarios = suite.test_source
    shown = _display(suite.path) if suite.path else None
    base_dir = suite.base_dir
    warnings: list[str] = []
    default = read_default_test(default_test, base_dir, shown, warnings)
    raws = []
    for i, data in enumerate(tests):
        if not isinstance(data, dict):
            raise SuiteError(shown, f"tests[{i}]", "a beforeAll hook returned a test that is not a mapping")
        orig = raw_tests[i] if i < len(raw_tests) else None
        raws.append(
            RawTest(data, orig.file if orig else shown, orig.where if orig else f"tests[{i}]", orig and orig.base_dir)
        )
    return list(iter_test_cases([raws], default, scenarios, base_dir, warnings, shown))
