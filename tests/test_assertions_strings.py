"""String assertions against promptfoo 0.121.20 semantics, with their not- forms and invariants."""

from __future__ import annotations

import pytest
from assertion_helpers import grade, one

from workbench.errors import AssertionConfigError


@pytest.mark.parametrize(
    ("assertion", "output", "expected"),
    [
        ({"type": "equals", "value": "Hello"}, "Hello", (True, 1.0)),
        ({"type": "equals", "value": "Hello"}, "hello", (False, 0.0)),
        ({"type": "not-equals", "value": "Hello"}, "hello", (True, 1.0)),
        ({"type": "not-equals", "value": "Hello"}, "Hello", (False, 0.0)),
        ({"type": "equals", "value": 42}, "42", (True, 1.0)),
        ({"type": "equals", "value": {"a": 1, "b": [1, 2]}}, '{"b": [1, 2.0], "a": 1}', (True, 1.0)),
        ({"type": "equals", "value": {"a": True}}, '{"a": 1}', (False, 0.0)),
        ({"type": "equals", "value": [1]}, "not json", (False, 0.0)),
        ({"type": "not-equals", "value": [1]}, "not json", (True, 1.0)),
        ({"type": "equals"}, "undefined", (True, 1.0)),  # a missing value compares with "undefined"
        ({"type": "contains", "value": "wor"}, "hello world", (True, 1.0)),
        ({"type": "contains", "value": 3.0}, "v3", (True, 1.0)),
        ({"type": "not-contains", "value": "wor"}, "hello world", (False, 0.0)),
        ({"type": "icontains", "value": "WORLD"}, "hello world", (True, 1.0)),
        ({"type": "icontains", "value": "STRASSE"}, "Straße", (False, 0.0)),  # toLowerCase, not casefold
        ({"type": "not-icontains", "value": "WORLD"}, "hello", (True, 1.0)),
        ({"type": "contains-any", "value": ["x", "wor"]}, "hello world", (True, 1.0)),
        ({"type": "contains-any", "value": "x, wor"}, "hello world", (True, 1.0)),
        ({"type": "contains-any", "value": []}, "hello", (False, 0.0)),
        ({"type": "not-contains-any", "value": []}, "hello", (True, 1.0)),
        ({"type": "contains-all", "value": ["hel", "wor"]}, "hello world", (True, 1.0)),
        ({"type": "contains-all", "value": []}, "hello", (True, 1.0)),
        ({"type": "not-contains-all", "value": ["hel", "zzz"]}, "hello", (True, 1.0)),
        ({"type": "not-contains-all", "value": []}, "hello", (False, 0.0)),
        ({"type": "contains-all", "value": '"a,b", c'}, "a,b c", (True, 1.0)),
        ({"type": "icontains-any", "value": ["WOR"]}, "hello world", (True, 1.0)),
        ({"type": "not-icontains-any", "value": ["WOR"]}, "hello world", (False, 0.0)),
        ({"type": "icontains-all", "value": ["HEL", "WOR"]}, "hello world", (True, 1.0)),
        ({"type": "not-icontains-all", "value": ["HEL", "WOR"]}, "hello world", (False, 0.0)),
        ({"type": "starts-with", "value": "hel"}, "hello", (True, 1.0)),
        ({"type": "not-starts-with", "value": "hel"}, "hello", (False, 0.0)),
        ({"type": "regex", "value": r"order \d+"}, "order 123", (True, 1.0)),
        ({"type": "not-regex", "value": r"order \d+"}, "order 123", (False, 0.0)),
        ({"type": "regex", "value": "(?i)hello"}, "hello", (False, 0.0)),  # SyntaxError in JS: fails
        ({"type": "not-regex", "value": "(?i)hello"}, "hello", (False, 0.0)),  # and fails inverted too
        ({"type": "levenshtein", "value": "hello"}, "hellp", (True, 1.0)),
        ({"type": "levenshtein", "value": "hello", "threshold": 0}, "hellp", (False, 0.0)),
        ({"type": "not-levenshtein", "value": "hello", "threshold": 0}, "hellp", (True, 1.0)),
        ({"type": "levenshtein", "value": "a", "threshold": 1}, "😀", (False, 0.0)),  # 2 UTF-16 units + 1
        ({"type": "word-count", "value": 3}, "one two  three", (True, 1.0)),
        ({"type": "word-count", "value": {"min": 1, "max": 2}}, "one two three", (False, 0.0)),
        ({"type": "not-word-count", "value": {"min": 1, "max": 2}}, "one two three", (True, 1.0)),
        ({"type": "word-count", "value": {"max": 3}}, "a\u00a0b\u3000c", (True, 1.0)),
        ({"type": "word-count", "value": 1}, "a\u200bb", (True, 1.0)),  # zero-width space joins
        ({"type": "is-refusal"}, "I'm sorry, I cannot help with that.", (True, 1.0)),
        ({"type": "is-refusal"}, "Sorry for the delay, here is the report.", (True, 1.0)),
        ({"type": "not-is-refusal"}, "Here is the report.", (True, 1.0)),
        ({"type": "is-refusal"}, "   ", (True, 0.0)),  # empty output: pass with score 0
        ({"type": "not-is-refusal"}, "", (False, 0.0)),
    ],
)
def test_string_assertions(assertion: dict, output: str, expected: tuple[bool, float]) -> None:
    assert one(assertion, output) == expected


@pytest.mark.parametrize(
    "assertion",
    [
        {"type": "contains", "value": ""},
        {"type": "contains", "value": True},
        {"type": "not-contains"},
        {"type": "starts-with", "value": 5},
        {"type": "regex", "value": ""},
        {"type": "contains-any"},
        {"type": "contains-all", "value": {"a": 1}},
        {"type": "levenshtein", "value": 3},
        {"type": "word-count", "value": {"min": 5, "max": 1}},
        {"type": "word-count", "value": "many"},
        {"type": "contains-any", "value": '"unterminated'},
        {"type": "no-such-type", "value": "x"},
    ],
)
def test_bad_values_error_the_row(assertion: dict) -> None:
    with pytest.raises(AssertionConfigError):
        grade([assertion, {"type": "contains", "value": "x"}], "x")


def test_values_are_rendered_with_vars() -> None:
    assert one({"type": "contains", "value": "{{ name }}"}, "hi Ada", vars={"name": "Ada"}) == (True, 1.0)
    assert one({"type": "contains-any", "value": ["{{ a }}", "zz"]}, "x1", vars={"a": "x1"}) == (True, 1.0)
    with pytest.raises(AssertionConfigError):  # renders to "": contains throws
        grade({"type": "contains", "value": "{{ missing }}"}, "x")


def test_threshold_on_string_assertions() -> None:
    r = grade([{"type": "contains", "value": "a"}, {"type": "contains", "value": "zz"}], "abc", threshold=0.5)
    assert (r.pass_, r.score) == (True, 0.5)
    r = grade([{"type": "contains", "value": "a"}, {"type": "contains", "value": "zz"}], "abc", threshold=0.6)
    assert (r.pass_, r.score) == (False, 0.5)
