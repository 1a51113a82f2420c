"""Engine hooks: transformVars, storeOutputAs, and the cross-output select-best / max-score step."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from workbench.providers.base import ProviderFactory
from workbench.providers.resolution import register
from workbench.run.command import RunRequest, execute
from workbench.store.db import open_db
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class Picker:
    """A scripted grader: answers from a queue, records prompts."""

    replies: deque[str] = deque()
    prompts: list[str] = []

    def __init__(self, spec: ProviderSpec, base: Path) -> None:
        self.spec = spec

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        self.prompts.append(request.prompt)
        return ProviderResponse(output=self.replies.popleft(), tokens_in=7, tokens_out=1, cost=0.002)


register(ProviderFactory("picker", lambda pid: pid == "picker", lambda s, b: Picker(s, b)))


def run(tmp_path: Path, suite: str, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(suite)
    out = tmp_path / "out.json"
    code = execute(RunRequest(paths=[path], outputs=[out], db=tmp_path / "wb.db", quiet=True, threshold=0))
    rows = json.loads(out.read_text())["results"]["results"]
    return code, sorted(rows, key=lambda r: (r["testIdx"], r["promptIdx"]))


def test_transform_vars_from_test_and_default_test(tmp_path: Path) -> None:
    _, rows = run(
        tmp_path,
        """
prompts: ["{{greeting}} {{name}}"]
providers: [echo]
defaultTest:
  options:
    transformVars: "({ greeting: 'Hi ' + vars.name.toUpperCase() })"
tests:
  - vars: {name: ada}
  - vars: {name: bob}
    options:
      transformVars: |
        const name = vars.name + '!';
        return { name, greeting: 'Yo' };
""",
    )
    assert [r["response"]["output"] for r in rows] == ["Hi ADA ada", "Yo bob!"]


def test_transform_vars_error_is_an_error_row(tmp_path: Path) -> None:
    _, rows = run(
        tmp_path,
        """
prompts: ["{{name}}"]
providers: [echo]
tests:
  - vars: {name: ada}
    options: {transformVars: "42"}
""",
    )
    assert rows[0]["success"] is False and "Transform function did not return a valid object" in rows[0]["error"]


def test_store_output_as_feeds_later_tests(tmp_path: Path) -> None:
    _, rows = run(
        tmp_path,
        """
prompts: ["{{msg}}"]
providers: [echo]
evaluateOptions: {maxConcurrency: 8}
tests:
  - vars: {msg: Paris}
    options: {storeOutputAs: city}
  - vars: {msg: "The capital is {{city}}"}
    assert: [{type: equals, value: The capital is Paris}]
""",
    )
    assert [r["response"]["output"] for r in rows] == ["Paris", "The capital is Paris"]
    assert rows[1]["success"] is True


MAX_SCORE = """
prompts: ["{{a}}", "{{b}}", "{{a}} {{b}}"]
providers: [echo]
tests:
  - vars: {a: apple, b: banana}
    assert:
      - {type: contains, value: apple}
      - {type: contains, value: banana}
      - {type: max-score}
"""


def test_max_score_marks_the_best_output(tmp_path: Path) -> None:
    code, rows = run(tmp_path, MAX_SCORE)
    assert code == 0  # the helper runs with pass-rate threshold 0
    assert [r["success"] for r in rows] == [False, False, True]
    last = [c for c in rows[0]["gradingResult"]["componentResults"]][-1]
    assert last["assertion"]["type"] == "max-score" and last["pass"] is False
    assert last["reason"] == "Not selected (score: 0.500, max: 1.000)"
    assert (
        rows[2]["gradingResult"]["componentResults"][-1]["reason"]
        == "Selected as highest scoring output (score: 1.000)"
    )
    assert rows[0]["score"] == 0 and rows[2]["score"] == 1
    db = open_db(tmp_path / "wb.db")
    types = [r[0] for r in db.execute("select type from assertion_results order by result_id, idx")]
    assert types.count("max-score") == 3


def test_select_best_uses_the_grader_and_records_its_cost(tmp_path: Path) -> None:
    Picker.replies = deque(["1"])
    Picker.prompts = []
    _, rows = run(
        tmp_path,
        """
prompts: ["short: {{x}}", "long: {{x}} {{x}}"]
providers: [echo]
tests:
  - vars: {x: hi}
    assert:
      - {type: select-best, value: the longest text, provider: picker}
""",
    )
    assert [r["success"] for r in rows] == [False, True]
    assert rows[0]["gradingResult"]["reason"] == "Output not selected: the longest text"
    assert len(Picker.prompts) == 1
    assert '<Text index=\\"1\\">\\nlong: hi hi\\n</Text>' in Picker.prompts[0]
    db = open_db(tmp_path / "wb.db")
    costs = [r[0] for r in db.execute("select grader_cost from results order by prompt_idx")]
    assert costs == [pytest.approx(0.002), pytest.approx(0.002)]


def test_select_best_needs_two_outputs(tmp_path: Path) -> None:
    _, rows = run(
        tmp_path,
        """
prompts: ["{{x}}"]
providers: [echo]
tests:
  - vars: {x: hi}
    assert: [{type: select-best, value: c, provider: picker}]
""",
    )
    assert rows[0]["success"] is False
    assert (
        rows[0]["gradingResult"]["reason"] == "select-best assertion must have at least two outputs to compare between"
    )
