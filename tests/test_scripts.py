"""javascript and python assertions: results, not-, thresholds, errors, timeouts, --no-code-asserts."""

from __future__ import annotations

import pytest
from assertion_helpers import grade, one

from workbench.errors import AssertionConfigError
from workbench.types import GradeConfig


@pytest.mark.parametrize(
    ("assertion", "output", "expected"),
    [
        ({"type": "javascript", "value": "output === 'x'"}, "x", (True, 1.0)),
        ({"type": "javascript", "value": "output.length"}, "abc", (True, 3.0)),  # raw score
        ({"type": "javascript", "value": "-1"}, "x", (False, -1.0)),
        ({"type": "javascript", "value": "0.4", "threshold": 0.5}, "x", (False, 0.4)),
        ({"type": "javascript", "value": "0.6", "threshold": 0.5}, "x", (True, 0.6)),
        ({"type": "not-javascript", "value": "0.8"}, "x", (False, 0.8)),  # keeps the raw score
        ({"type": "not-javascript", "value": "false"}, "x", (True, 1.0)),
        (
            {"type": "javascript", "value": "({pass: true, score: 0.3, reason: 'r'})", "threshold": 0.9},
            "x",
            (True, 0.3),
        ),
        ({"type": "javascript", "value": "({pass: true, score: 0.3})"}, "x", (False, 0.0)),  # reason required
        ({"type": "javascript", "value": "output.split(',')"}, "a,b", (False, 0.0)),  # wrong type
        ({"type": "javascript", "value": "(() => { throw new Error('boom') })()"}, "x", (False, 0.0)),
        ({"type": "javascript", "value": "Promise.resolve(output === 'x')"}, "x", (True, 1.0)),
        ({"type": "javascript", "value": "const n = output.length; n > 2"}, "abc", (True, 1.0)),
        ({"type": "javascript", "value": "const n = 1;\nreturn n === 1"}, "x", (True, 1.0)),
        ({"type": "javascript", "value": "const n = 1;\nn === 1"}, "x", (False, 0.0)),  # no return
        (
            {"type": "javascript", "value": "context.vars.name === 'Ada' && context.prompt === 'the prompt'"},
            "x",
            (True, 1.0),
        ),
        ({"type": "python", "value": "output == 'x'"}, "x", (True, 1.0)),
        ({"type": "python", "value": "len(output) / 10"}, "abcde", (True, 0.5)),
        ({"type": "python", "value": "{'pass': False, 'score': 0.2, 'reason': 'r'}"}, "x", (False, 0.2)),
        ({"type": "not-python", "value": "{'pass': False, 'score': 0.2, 'reason': 'r'}"}, "x", (True, 0.2)),
        (
            {"type": "python", "value": "{'pass_': True, 'score': 0.4, 'reason': 'r'}", "threshold": 0.5},
            "x",
            (False, 0.4),
        ),
        ({"type": "python", "value": "'TRUE'"}, "x", (True, 1.0)),
        ({"type": "python", "value": "'0.7'"}, "x", (True, 0.7)),
        ({"type": "python", "value": "1/0"}, "x", (False, 0.0)),
        ({"type": "python", "value": "None"}, "x", (False, 0.0)),
        ({"type": "python", "value": "x = context['vars']['name']\nreturn x == 'Ada'"}, "x", (True, 1.0)),
    ],
)
def test_script_assertions(assertion: dict, output: str, expected: tuple[bool, float]) -> None:
    assert one(assertion, output, vars={"name": "Ada"}) == expected


def test_script_errors_keep_the_reason() -> None:
    r = grade({"type": "javascript", "value": "(() => { throw new Error('boom') })()"}, "x").component_results[0]
    assert "boom" in r.reason
    r = grade({"type": "python", "value": "1/0"}, "x").component_results[0]
    assert r.reason.startswith("Python code execution failed: ZeroDivisionError")


def test_timeouts_fail_the_assertion() -> None:
    cfg = GradeConfig(script_timeout_s=0.3)
    r = grade({"type": "javascript", "value": "(() => { while (true) {} })()"}, "x", config=cfg).component_results[0]
    assert (r.pass_, r.score) == (False, 0.0) and "timed out" in r.reason
    r = grade({"type": "python", "value": "__import__('time').sleep(2)"}, "x", config=cfg).component_results[0]
    assert (r.pass_, r.score) == (False, 0.0) and "timed out" in r.reason
    assert one({"type": "javascript", "value": "1 + 1 === 2"}, "x") == (True, 1.0)  # engine still usable


def test_code_can_be_disabled() -> None:
    cfg = GradeConfig(allow_code=False)
    for t in ("javascript", "python"):
        with pytest.raises(AssertionConfigError, match="no-code-asserts"):
            grade({"type": t, "value": "true"}, "x", config=cfg)
    with pytest.raises(AssertionConfigError, match="no-code-asserts"):
        grade({"type": "contains", "value": "x", "transform": "output"}, "x", config=cfg)


def test_file_scripts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "check.py").write_text(
        "def get_assert(output, context):\n    return {'pass': True, 'score': len(output) / 10, 'reason': context['vars']['name']}\n"
        "def other(output, context):\n    return output.startswith('a')\n"
    )
    (tmp_path / "check.js").write_text(
        "module.exports = (output, context) => output.length > 2;\n"
        "module.exports.named = (output) => ({pass: false, score: 0.1, reason: 'named'});\n"
    )
    kw = {"vars": {"name": "Ada"}, "base_dir": tmp_path}
    assert one({"type": "python", "value": "file://check.py"}, "abcde", **kw) == (True, 0.5)
    assert one({"type": "python", "value": "file://check.py:other"}, "abc", **kw) == (True, 1.0)
    assert one({"type": "javascript", "value": "file://check.js"}, "abc", **kw) == (True, 1.0)
    assert one({"type": "javascript", "value": "file://check.js:named"}, "abc", **kw) == (False, 0.1)
    assert one({"type": "python", "value": "file://missing.py"}, "abc", **kw)[0] is False
    with pytest.raises(AssertionConfigError):  # a .js file that cannot load errors the row
        grade({"type": "javascript", "value": "file://missing.js"}, "abc", **kw)


def test_values_render_before_running() -> None:
    assert one({"type": "javascript", "value": "output === '{{ name }}'"}, "Ada", vars={"name": "Ada"}) == (True, 1.0)


def test_object_output_reaches_scripts() -> None:
    assert one({"type": "javascript", "value": "output.a === 1"}, {"a": 1}) == (True, 1.0)
    assert one({"type": "python", "value": "output['a'] == 1"}, {"a": 1}) == (True, 1.0)


def test_missing_js_engine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import threading

    from workbench.runtimes import ScriptError
    from workbench.runtimes import javascript as js

    monkeypatch.setitem(sys.modules, "py_mini_racer", None)  # import fails like a missing package
    errors: list[str] = []

    def probe() -> None:  # a fresh thread has no V8 context yet
        try:
            js._context()
        except ScriptError as e:
            errors.append(str(e))

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert errors == ["JavaScript assertions need the embedded V8 engine: pip install mini-racer"]
