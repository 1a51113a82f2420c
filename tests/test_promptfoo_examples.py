"""promptfoo's public example configs (recreated with the `echo` provider) agree with promptfoo 0.121.20.

The fixtures' expected.json files hold the real promptfoo's verdicts (see the fixtures' README).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.run.compat_check import case_dirs, check_directory
from workbench.suite import load

EXAMPLES = Path(__file__).parent / "fixtures" / "promptfoo_examples"


@pytest.mark.parametrize("case", case_dirs(EXAMPLES), ids=lambda p: p.name)
def test_example_loads(case: Path) -> None:
    suite = load(case / "promptfooconfig.yaml")
    assert suite.tests and all(p.id == "echo" for p in suite.providers)


def test_examples_agree_with_promptfoo() -> None:
    reports = check_directory(EXAMPLES)
    assert len(reports) == 5
    bad = [f"{r.summary()}: {[d.problems for d in r.diffs]}" for r in reports if not r.ok]
    assert not bad, bad
    assert sum(r.rows for r in reports) == sum(r.agree for r in reports) == 24


def test_ref_templates_resolve(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "prompts: ['{{x}}']\nproviders: [echo]\n"
        "tests: [{vars: {x: a}, assert: [{$ref: '#/assertionTemplates/t'}]}]\n"
        "assertionTemplates: {t: {type: contains, value: a}}\n"
    )
    assert load(tmp_path / "s.yaml").tests[0].asserts == [{"type": "contains", "value": "a"}]


def test_dangling_ref_is_a_suite_error(tmp_path: Path) -> None:
    from workbench.errors import SuiteError

    (tmp_path / "s.yaml").write_text(
        "prompts: ['{{x}}']\nproviders: [echo]\ntests: [{vars: {x: a}, assert: [{$ref: '#/nope'}]}]\n"
    )
    with pytest.raises(SuiteError, match=r"tests\[0\]\.assert\[0\]: \$ref '#/nope' does not point to anything"):
        load(tmp_path / "s.yaml")
