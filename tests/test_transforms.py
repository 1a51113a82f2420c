"""apply_transform: JS expressions and bodies in V8, file:// Python/JS, errors (QUIRKS 28, 29)."""

from __future__ import annotations

from pathlib import Path

import pytest
from assertion_helpers import grade, one

from workbench.errors import AssertionConfigError
from workbench.runtimes import CodeNotAllowed, ScriptError
from workbench.runtimes.transforms import apply_transform
from workbench.types import GradeConfig

CTX = {"vars": {"k": "v"}, "prompt": {"label": "p"}}


def test_inline_expressions_and_bodies(tmp_path: Path) -> None:
    assert apply_transform("output.toUpperCase()", "abc", CTX, tmp_path) == "ABC"
    assert apply_transform("JSON.parse(output).a", '{"a": [1, 2]}', CTX, tmp_path) == [1, 2]
    assert apply_transform("output.length", "abcd", CTX, tmp_path) == 4
    assert apply_transform("const x = output + context.vars.k;\nreturn x", "a", CTX, tmp_path) == "av"
    assert apply_transform("vars.k + '!'", {"k": "v"}, CTX, tmp_path, input_name="vars") == "v!"


def test_one_line_block_is_not_trimmed(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="did not return a value"):  # "output\n" is a body without return
        apply_transform("output.trim()\n", "x", CTX, tmp_path)


def test_null_undefined_and_throw_are_errors(tmp_path: Path) -> None:
    for code in ("null", "undefined", "(() => { throw new Error('bad') })()"):
        with pytest.raises(ScriptError):
            apply_transform(code, "x", CTX, tmp_path)


def test_file_transforms(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text(
        "def get_transform(output, context):\n    return output[::-1]\ndef up(o, c):\n    return o.upper()\n"
    )
    (tmp_path / "t.js").write_text("module.exports = (output, context) => output + context.vars.k;\n")
    assert apply_transform("file://t.py", "abc", CTX, tmp_path) == "cba"
    assert apply_transform("file://t.py:up", "abc", CTX, tmp_path) == "ABC"
    assert apply_transform("file://t.js", "a", CTX, tmp_path) == "av"
    with pytest.raises(ScriptError, match="Unsupported transform file"):
        apply_transform("file://t.rb", "a", CTX, tmp_path)


def test_disabled_code(tmp_path: Path) -> None:
    with pytest.raises(CodeNotAllowed):
        apply_transform("output", "x", CTX, tmp_path, GradeConfig(allow_code=False))


def test_assertion_transform() -> None:
    assert one({"type": "equals", "value": "ABC", "transform": "output.toUpperCase()"}, "abc") == (True, 1.0)
    # a non-string result is JSON.stringify'd for string checks, passed as-is to scripts
    assert one({"type": "equals", "value": 5, "transform": "output.length"}, "abcde") == (True, 1.0)
    assert one({"type": "javascript", "value": "output.a === 1", "transform": "JSON.parse(output)"}, '{"a":1}') == (
        True,
        1.0,
    )
    with pytest.raises(AssertionConfigError):
        grade({"type": "contains", "value": "x", "transform": "null"}, "x")
