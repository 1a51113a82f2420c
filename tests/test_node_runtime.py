"""JavaScript files run in a real Node.js when it is on PATH (ES modules, require of helpers), and
in the embedded V8 otherwise, with one clear line for what then cannot run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbench.runtimes import ScriptError, node
from workbench.runtimes.javascript import run_file_function
from workbench.runtimes.jsvalues import UNDEFINED

needs_node = pytest.mark.skipif(not node.available(), reason="Node.js is not on PATH")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def esm(tmp_path: Path) -> Path:
    return write(
        tmp_path / "esm",
        {
            "package.json": '{"type": "module"}',
            "lib/words.js": "export const words = (s) => s.split(' ').length;\n",
            "check.js": "import { words } from './lib/words.js';\n"
            "export function noEmail(output, context) { return !/@/.test(output) && words(output) > context.min; }\n"
            "export async function later(o) { return {pass: true, score: 0.25, reason: o}; }\n",
        },
    )


@pytest.fixture
def cjs(tmp_path: Path) -> Path:
    return write(
        tmp_path / "cjs",
        {
            "extract.js": "exports.first = (s) => s[0];\n",
            "check.js": "const { first } = require('./extract');\nconsole.log('noise on stdout');\n"
            "module.exports = (output) => first(output) === 'x' ? NaN : undefined;\n",
            "both.mjs": "export default (o) => o.length;\nexport const named = () => 1;\n",
            "plain.js": "module.exports = { upper: (s) => s.toUpperCase() };\n",
            "spin.js": "module.exports = () => { for (;;) {} };\n",
        },
    )


@needs_node
def test_es_module_with_relative_import(esm: Path) -> None:
    assert run_file_function(esm / "check.js", "noEmail", ["three words here", {"min": 2}]).value is True
    assert run_file_function(esm / "check.js", "noEmail", ["a@b.c d e", {"min": 2}]).value is False
    res = run_file_function(esm / "check.js", "later", ["why"])
    assert (res.type, res.value) == ("object", {"pass": True, "score": 0.25, "reason": "why"})


@needs_node
def test_commonjs_require_of_helper_keeps_js_types(cjs: Path) -> None:
    nan = run_file_function(cjs / "check.js", None, ["xy"])
    assert nan.type == "number" and math.isnan(nan.value)
    assert run_file_function(cjs / "check.js", None, ["yy"]).value is UNDEFINED  # console.log did not break it


@needs_node
def test_default_export_hides_named_exports_as_in_promptfoo(cjs: Path) -> None:
    assert run_file_function(cjs / "both.mjs", None, ["abcd"]).value == 4
    with pytest.raises(ScriptError, match="Cannot read properties of undefined"):
        run_file_function(cjs / "both.mjs", "named", [])


@needs_node
def test_a_stuck_function_times_out_and_the_next_call_runs(cjs: Path) -> None:
    with pytest.raises(ScriptError, match="JavaScript timed out"):
        run_file_function(cjs / "spin.js", None, [], timeout_s=1.0)
    assert run_file_function(cjs / "plain.js", "upper", ["ok"]).value == "OK"


def test_without_node_self_contained_files_run_and_the_rest_say_why(
    esm: Path, cjs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_NODE", str(cjs / "no-such-node"))
    assert not node.available()
    assert run_file_function(cjs / "plain.js", "upper", ["ok"]).value == "OK"  # embedded V8
    with pytest.raises(ScriptError) as e:
        run_file_function(esm / "check.js", "noEmail", ["x", {"min": 0}])
    assert str(e.value) == "check.js is an ES module: it needs Node.js, which is not on PATH"
    with pytest.raises(ScriptError) as e:
        run_file_function(cjs / "check.js", None, ["xy"])
    assert "require('./extract') needs Node.js, which is not on PATH" in str(e.value)
