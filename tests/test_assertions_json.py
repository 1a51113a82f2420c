"""is-json / contains-json with Ajv-strict JSON Schema (QUIRKS 18, 19)."""

from __future__ import annotations

import pytest
from assertion_helpers import grade, one

from workbench.assertions.json_extract import extract_json_objects
from workbench.errors import AssertionConfigError

SCHEMA = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("assertion", "output", "expected"),
    [
        ({"type": "is-json"}, '{"a": 1}', (True, 1.0)),
        ({"type": "is-json"}, "42", (True, 1.0)),  # bare primitives are JSON
        ({"type": "is-json"}, "NaN", (False, 0.0)),
        ({"type": "is-json"}, "1e400", (True, 1.0)),
        ({"type": "is-json"}, "{'a': 1}", (False, 0.0)),
        ({"type": "not-is-json"}, "plain", (True, 1.0)),
        ({"type": "not-is-json"}, "[]", (False, 0.0)),
        ({"type": "is-json", "value": SCHEMA}, '{"id": 3}', (True, 1.0)),
        ({"type": "is-json", "value": SCHEMA}, '{"id": "3"}', (False, 0.0)),
        ({"type": "not-is-json", "value": SCHEMA}, '{"id": "3"}', (True, 1.0)),
        ({"type": "is-json", "value": "type: object\nrequired: [id]"}, '{"id": 1}', (True, 1.0)),  # YAML schema
        ({"type": "contains-json"}, 'Here: {"a": 1} done', (True, 1.0)),
        ({"type": "contains-json"}, "Here: {a: 1, 'b': 2,} done", (True, 1.0)),  # YAML flow mapping
        ({"type": "contains-json"}, "use {placeholder} here", (True, 1.0)),
        ({"type": "contains-json"}, "[1, 2, 3]", (False, 0.0)),  # only objects from `{`
        ({"type": "contains-json"}, '{"a": 1', (True, 1.0)),  # auto-closed
        ({"type": "contains-json"}, '{"a": 1, // note\n "b": 2}', (True, 1.0)),
        ({"type": "not-contains-json"}, "no braces", (True, 1.0)),
        ({"type": "contains-json", "value": SCHEMA}, 'x {"id": "no"} y {"id": 2}', (True, 1.0)),
        ({"type": "contains-json", "value": SCHEMA}, 'x {"id": "no"}', (False, 0.0)),
        ({"type": "not-contains-json", "value": SCHEMA}, 'x {"id": 1}', (False, 0.0)),
    ],
)
def test_json_assertions(assertion: dict, output: str, expected: tuple[bool, float]) -> None:
    assert one(assertion, output) == expected


def test_unknown_schema_keyword_errors_the_row() -> None:
    with pytest.raises(AssertionConfigError, match="unknown keyword"):
        grade({"type": "is-json", "value": {"type": "object", "requird": ["a"]}}, "{}")


def test_schema_threshold_row() -> None:
    r = grade([{"type": "is-json", "value": SCHEMA}, {"type": "is-json"}], '{"id": "x"}', threshold=0.5)
    assert (r.pass_, r.score) == (True, 0.5)


@pytest.mark.parametrize(
    ("text", "objects"),
    [
        ('Sure: {"a": 1} and {"b": [1, 2]}', [{"a": 1}, {"b": [1, 2]}]),
        ("{a: 1, b: 'two',}", [{"a": 1, "b": "two"}]),  # YAML flow mapping, trailing comma
        ('{"a": 1, "a": 2}', [{"a": 2}]),  # js-yaml `json: true`: the last duplicate wins
        ('{"t": "x}"} and {"ok": true}', [{"ok": True}]),  # a `}` in a string ends the first count
        ('truncated: {"a": 1, "b": [1, 2]', [{"a": 1, "b": [1, 2]}]),  # auto-closed at the end
        ('{"a": 1 // note\n}', [{"a": 1}]),
        ('{"url": "http://x.y//z"}', [{"url": "http://x.y//z"}]),
        ("[1, 2, 3] no object", []),
        ('{"a": "unterminated', []),
    ],
)
def test_extract_json_objects_finds_what_promptfoo_finds(text: str, objects: list[object]) -> None:
    """The one extractor of contains-json and the model graders (promptfoo's extractJsonObjects);
    each row was checked against promptfoo 0.121.20 (tests/compat/differential/contains_json*,
    grader_json)."""
    assert extract_json_objects(text) == objects
