"""YAML is typed like js-yaml's core schema (QUIRKS 13), not PyYAML's YAML 1.1."""

from __future__ import annotations

import json
import math

import pytest

from workbench.errors import SuiteError
from workbench.jsjson import js_str
from workbench.suite.yaml12 import JsDate, load_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("1e3", 1000),
        ("1.5e3", 1500),
        ("0o17", 15),
        ("0x1F", 31),
        ("017", 17),
        ("1_000", "1_000"),
        ("12:30", "12:30"),
        ("+5", 5),
        (".5", 0.5),
        ("~", None),
        ("null", None),
        ("", None),
        ("TRUE", True),
        ("True", True),
        ("false", False),
        ("1.10", 1.1),
        ("42.0", 42),
        ("2.50", 2.5),
        ("0b101", "0b101"),
        ("-0x1F", "-0x1F"),
        ("2024-02-30", "2024-02-30"),
    ],
)
def test_scalars(text: str, expected: object) -> None:
    value = load_yaml(f"v: {text}\n")["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_special_floats_and_big_ints() -> None:
    data = load_yaml("a: .inf\nb: -.Inf\nc: .nan\nd: 12345678901234567890\ne: 9007199254740992\n")
    assert data["a"] == math.inf and data["b"] == -math.inf and math.isnan(data["c"])
    assert isinstance(data["d"], float) and js_str(data["d"]) == "12345678901234567000"
    assert data["e"] == 2**53 and isinstance(data["e"], int)


def test_dates_are_js_dates() -> None:
    data = load_yaml("d: 2024-01-31\nt: 2024-01-31T10:20:30.5+02:00\nq: '2024-01-31'\n")
    d, t = data["d"], data["t"]
    assert isinstance(d, JsDate) and isinstance(t, JsDate)
    assert d.iso() == "2024-01-31T00:00:00.000Z"
    assert t.iso() == "2024-01-31T08:20:30.500Z"
    assert str(d) == "Wed Jan 31 2024 00:00:00 GMT+0000 (Coordinated Universal Time)"
    assert d != "2024-01-31T00:00:00.000Z" and d != load_yaml("d: 2024-01-31")["d"]
    assert d == d
    assert json.dumps(d) == '"2024-01-31T00:00:00.000Z"'
    assert data["q"] == "2024-01-31" and not isinstance(data["q"], JsDate)


def test_merge_keys_and_empty_document() -> None:
    data = load_yaml("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n")
    assert data["derived"] == {"x": 1, "y": 3}
    assert load_yaml("# only a comment\n") is None


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(SuiteError) as e:
        load_yaml("a: 1\nb: [1, 2\nc: 3\n", "suites/x.yaml")
    assert str(e.value).startswith("suites/x.yaml: line ")
    assert "invalid YAML" in str(e.value)


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(SuiteError) as e:
        load_yaml("a: 1\nb: 2\na: 3\n", "s.yaml")
    assert str(e.value) == "s.yaml: line 3: invalid YAML: duplicated mapping key 'a'"


def test_multiple_documents_rejected() -> None:
    with pytest.raises(SuiteError) as e:
        load_yaml("a: 1\n---\nb: 2\n", "s.yaml")
    assert str(e.value) == "s.yaml: invalid YAML: expected a single document in the stream, but found more"
