"""JavaScript `new RegExp(src)` semantics on Python's re (QUIRKS 17)."""

from __future__ import annotations

import pytest

from workbench.assertions.jsregex import JsRegexError, js_regex_test


@pytest.mark.parametrize(
    ("src", "subject", "expected"),
    [
        (r"order \d+", "order 123", True),
        ("abc$", "abc\n", False),  # $ is end of input only
        ("^abc", "x\nabc", False),  # no multiline
        (r"\d", "٣", False),  # ASCII digits
        (r"\w", "é", False),
        (r"\bfoo\b", "é foo", True),
        (r"\s", "\u00a0", True),  # JS \s is Unicode whitespace
        ("^.$", "😀", False),  # one UTF-16 code unit
        ("^..$", "😀", True),
        (".", "\n", False),
        (".", "\u2028", False),
        (r"\p{L}", "p{L}", True),  # identity escape without the u flag
        ("a{,3}", "a{,3}", True),  # not a quantifier in JS
        ("a{2}", "aa", True),
        (r"\Z", "Z", True),
        (r"\A", "A", True),
        ("(?<=a+)b", "aaab", True),  # variable-length lookbehind
        (r"(?<n>x)\k<n>", "xx", True),
        ("[^]", "\n", True),
        ("[]", "a", False),
        (r"[\d-z]", "-", True),
        (r"\x41\u0042", "AB", True),
        (r"\cJ", "\n", True),
        ("a|b", "b", True),
        (r"\/path", "/path", True),
        (r"(a)\1", "aa", True),
        (r"\0", "\x00", True),
    ],
)
def test_js_regex(src: str, subject: str, expected: bool) -> None:
    assert js_regex_test(src, subject) is expected


@pytest.mark.parametrize(
    "src", ["(?i)abc", "(?P<n>x)", "a**", "(?>a)", "a++", "*a", "(abc", "abc)", "[abc", "a{3,1}", "[z-a]"]
)
def test_syntax_errors_like_js(src: str) -> None:
    with pytest.raises(JsRegexError, match="Invalid regular expression"):
        js_regex_test(src, "x")
