"""The suite's `workbench:` block is parsed once, at load, into a typed `SuiteSettings`."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import SuiteError
from workbench.suite import load
from workbench.suite.settings import PARSED_KEYS
from workbench.suite.validate import WORKBENCH_KEYS
from workbench.types import SuiteCompression, SuiteSettings

BLOCK = """workbench:
  variants: [none, 'llmlingua:0.5']
  compressible: context
  question_var: question
  compression: {model: smollm2-135m, keep_facts: false}
  acceptance: {min_pass_rate: 0.8}
  max_cost: 2
  prices: {echo: {input_cost_per_1m: 1, output_cost_per_1m: 2}}
  fallbacks: {'openai:gpt-4o-mini': ['openai:gpt-4o']}
  retries: {max_attempts: 3}
  cache: {ttl: '60'}
  batch: {poll_seconds: 5}
  test_doubles: [canned]
  prompt_growth_warn: 15
"""


def write(tmp_path: Path, name: str, block: str) -> Path:
    path = tmp_path / name
    path.write_text(f"prompts: ['hi {{{{q}}}}']\nproviders: [echo]\ntests: [{{vars: {{q: a}}}}]\n{block}")
    return path


def test_every_key_becomes_a_typed_field(tmp_path: Path) -> None:
    s = load(write(tmp_path, "s.yaml", BLOCK)).settings
    assert s.variants == ["none", "llmlingua:0.5"]
    assert s.compressible == ["context"]  # a single name is a list of one
    assert s.question_var == "question"
    assert s.compression == SuiteCompression(model="smollm2-135m", llmlingua2_model=None, keep_facts=False)
    assert s.acceptance == {"min_pass_rate": 0.8}
    assert s.max_cost == 2.0 and isinstance(s.max_cost, float)
    assert s.prices == {"echo": {"input_cost_per_1m": 1, "output_cost_per_1m": 2}}
    assert s.fallbacks == {"openai:gpt-4o-mini": ["openai:gpt-4o"]}
    assert s.retries == {"max_attempts": 3}
    assert s.cache_ttl == 60.0
    assert s.batch == {"poll_seconds": 5}
    assert s.test_doubles == ["canned"]
    assert s.prompt_growth_warn == 15  # stored with the run as written


def test_no_block_is_the_defaults(tmp_path: Path) -> None:
    s = load(write(tmp_path, "s.yaml", "")).settings
    assert s == SuiteSettings()
    assert s.compressible is None and s.question_var is None  # the prompt family decides
    assert s.cache_ttl is None and s.prices is None and s.given == frozenset()


def test_several_suites_the_later_block_wins_per_key(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "workbench: {variants: [none], max_cost: 1, retries: {max_attempts: 5}}\n")
    b = write(tmp_path, "b.yaml", "workbench: {max_cost: 3, test_doubles: [canned]}\n")
    s = load([a, b]).settings
    assert s.variants == ["none"]  # only a.yaml sets it
    assert s.retries == {"max_attempts": 5}
    assert s.max_cost == 3.0  # both set it: the later wins, as promptfoo's -c a -c b
    assert s.test_doubles == ["canned"]
    assert s.given == {"variants", "max_cost", "retries", "test_doubles"}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("workbench: {compressible: 5}\n", "s.yaml: workbench.compressible: must be a list of var names"),
        ("workbench: {compression: [a]}\n", "s.yaml: workbench.compression: must be a mapping such as"),
        ("workbench: {compression: {keep_facts: 1}}\n", "s.yaml: workbench.compression.keep_facts: expected true"),
        ("workbench: {cache: {ttl: soon}}\n", "s.yaml: workbench.cache.ttl: must be a number of seconds, got 'soon'"),
        ("workbench: {retries: [1]}\n", "s.yaml: workbench.retries: expected a mapping (max_attempts, timeout"),
        ("workbench: {variants: 5}\n", "s.yaml: workbench.variants: must be a list, got a number"),
    ],
)
def test_bad_values_are_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SuiteError) as e:
        load(write(tmp_path, "s.yaml", block))
    assert str(e.value).startswith(message)


def test_a_key_nothing_reads_is_warned_about_not_silently_accepted(tmp_path: Path) -> None:
    # `budget`, `target`, ... were once accepted and then ignored: a user setting them got no effect
    # and no word. Every accepted key is one the loader reads.
    assert {*PARSED_KEYS, "allow_paths"} == WORKBENCH_KEYS
    suite = load(write(tmp_path, "s.yaml", "workbench:\n  budget: 5\n  target: 0.9\n  max_cost: 2\n"))
    warned = " ".join(suite.warnings)
    assert "budget" in warned and "target" in warned and "max_cost" not in warned
    assert suite.settings.max_cost == 2
