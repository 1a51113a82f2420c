"""Property-based: any suite text, CSV, prompt file or template gives a result or a clean error.

Complements tests/test_suite_property.py (random mappings): here the raw bytes of the suite file,
of CSV/JSON/YAML test files and of prompt files are arbitrary, and templates are random mixes of
Nunjucks syntax. The only exceptions allowed out are SuiteError (loader) and TemplateError
(rendering); anything else is a bug that would surface as a traceback or an exit 1.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import SuiteError
from workbench.suite import load
from workbench.types import Prompt, Suite

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_TOKENS = [
    "prompts:", "providers:", "tests:", "vars:", "assert:", "defaultTest:", "scenarios:", "- ", "  ", "\n",
    "echo", "{{x}}", "file://t.csv", "file://p.txt", "file://*.txt", "[", "]", "{", "}", ":", ",", "'", '"',
    "&a ", "*a", "<<: *a", "!!str ", "!!binary ", "? ", "|", ">", "#", "---", "...", "%YAML 1.2", "~",
    "1e400", "0x1F", ".nan", "2024-01-31", "type: contains", "value: x", "threshold: 0.5", "\t", "\x00",
]  # fmt: skip
CSV_TOKENS = [
    "q", "__expected", "__expected1", "__description", "__threshold", "__metadata:k", "__prefix", ",", "\n",
    '"', '""', "contains:x", "javascript:", "grader:", "is-json", "\r\n", "\ufeff", "a", "1.5", " ",
]  # fmt: skip
TEMPLATE_TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "x", "y.z", "x[0]", "|", "upper", "join(',')", "dump", "load",
    "default('d')", "round(2)", "int", "length", "if", "endif", "for", "in", "endfor", "set", "=", "raw",
    "endraw", "(", ")", "'", '"', "+", "~", " ", "\n", "1", "0", "-", "/", "%", "range(3)", "loop.index",
    "undefined", "null", "true", "macro", "endmacro", "include", "import", "__class__", "self",
]  # fmt: skip

yaml_text = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=40).map("".join)
csv_text = st.lists(st.sampled_from(CSV_TOKENS) | st.text(max_size=3), max_size=40).map("".join)
template_text = st.lists(st.sampled_from(TEMPLATE_TOKENS) | st.text(max_size=3), max_size=25).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


def _load_ok(path: Path) -> None:
    try:
        suite = load(path)
    except SuiteError as e:
        assert str(e).strip()
        return
    assert isinstance(suite, Suite)


@SETTINGS
@given(text=yaml_text)
def test_any_suite_text_loads_or_is_a_suite_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "suite.yaml"
        path.write_bytes(text.encode("utf-8", "replace"))
        (Path(d) / "p.txt").write_text("Say {{x}}")
        (Path(d) / "t.csv").write_text("x\n1\n")
        _load_ok(path)


@SETTINGS
@given(data=st.binary(max_size=60))
def test_any_suite_bytes_load_or_are_a_suite_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "suite.yaml"
        path.write_bytes(data)
        _load_ok(path)


@SETTINGS
@given(csv=csv_text)
def test_any_csv_tests_file_loads_or_is_a_suite_error(csv: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "tests.csv").write_bytes(csv.encode("utf-8", "replace"))
        path = Path(d) / "suite.yaml"
        path.write_text("prompts: ['{{q}}']\nproviders: [echo]\ntests: file://tests.csv\n")
        _load_ok(path)


@SETTINGS
@given(ext=st.sampled_from(["json", "yaml", "jsonl"]), value=json_values, raw=st.booleans(), text=yaml_text)
def test_any_tests_or_vars_file_loads_or_is_a_suite_error(ext: str, value: Any, raw: bool, text: str) -> None:
    import json

    with tempfile.TemporaryDirectory() as d:
        body = text if raw else json.dumps(value)
        (Path(d) / f"tests.{ext}").write_bytes(body.encode("utf-8", "replace"))
        (Path(d) / "vars.yaml").write_bytes(body.encode("utf-8", "replace"))
        path = Path(d) / "suite.yaml"
        path.write_text(
            f"prompts: ['{{{{q}}}}']\nproviders: [echo]\ntests:\n  - file://tests.{ext}\n  - vars: file://vars.yaml\n"
        )
        _load_ok(path)


@SETTINGS
@given(ext=st.sampled_from(["txt", "md", "json", "yaml", "j2"]), body=yaml_text | template_text)
def test_any_prompt_file_loads_or_is_a_suite_error(ext: str, body: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / f"p.{ext}").write_bytes(body.encode("utf-8", "replace"))
        path = Path(d) / "suite.yaml"
        path.write_text(f"prompts: [file://p.{ext}]\nproviders: [echo]\ntests: [{{vars: {{x: 1}}}}]\n")
        _load_ok(path)


@SETTINGS
@given(template=template_text, vars=st.dictionaries(st.sampled_from(["x", "y", "z", "loop"]), json_values, max_size=3))
def test_any_template_renders_or_is_a_template_error(template: str, vars: dict[str, Any]) -> None:
    from workbench.render.templating import TemplateError, check_syntax, render

    try:
        out = render(template, vars)
    except TemplateError as e:
        assert str(e)
    else:
        assert isinstance(out, str)
    try:
        check_syntax(template)
    except (TemplateError, SuiteError):
        pass


@SETTINGS
@given(
    raw=template_text | yaml_text,
    vars=st.dictionaries(st.sampled_from(["x", "y"]), json_values | template_text, max_size=2),
)
def test_any_prompt_and_vars_render_or_are_a_template_error(raw: str, vars: dict[str, Any]) -> None:
    from workbench.render.prompt import render_prompt
    from workbench.render.templating import TemplateError

    try:
        text, messages = render_prompt(Prompt(raw=raw, label="p"), vars)
    except TemplateError:
        return
    assert isinstance(text, str)
    assert isinstance(messages, list)
