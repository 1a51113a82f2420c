"""Arbitrary YAML-ish mappings give a Suite or a SuiteError, never another exception."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import SuiteError
from workbench.suite import load
from workbench.types import Suite

KEYS = [
    "prompts",
    "providers",
    "tests",
    "defaultTest",
    "scenarios",
    "assert",
    "vars",
    "type",
    "value",
    "options",
    "threshold",
    "config",
    "id",
    "label",
    "raw",
    "description",
    "workbench",
    "evaluateOptions",
    "derivedMetrics",
    "metadata",
    "prefix",
    "disableVarExpansion",
    "providers",
    "file://x.csv",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.sampled_from(["echo", "{{x}}", "file://nope.md", "file://*.md", "contains", "x", ""]),
    st.text(max_size=5),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=12,
)
configs = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=configs)
def test_loader_never_crashes(tmp_path: Path, config: dict[str, object]) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(config))
    try:
        result = load(path)
    except SuiteError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(result, Suite)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="ab:-[]{}\n #'\"&*!|>", max_size=40))
def test_arbitrary_text_never_crashes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    try:
        load(path)
    except SuiteError:
        pass
