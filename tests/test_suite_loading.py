"""Suite loading: prompts, providers, tests files, defaultTest, scenarios, expansion, warnings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.render.prompt import render_prompt
from workbench.suite import load
from workbench.suite.csv_tests import assertion_from_string

FULL = Path(__file__).parent / "fixtures" / "suites" / "full" / "suites" / "full.yaml"


def _suite(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch, name: str = "suite.yaml") -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_full_fixture_prompts_and_providers() -> None:
    suite = load(FULL)
    labels = [p.label for p in suite.prompts]
    assert labels == [
        "../prompts/ticket_summary/v1.md: Summarize this ticket: {{ ticket }}\n...",
        "../prompts/ticket_summary/v2.md: Summarize briefly:   \n{{ ticket }}\n...",
        "chat",
        "Inline {{ ticket }}",
    ]
    assert [(p.family, p.version) for p in suite.prompts] == [
        ("ticket_summary", "v1"),
        ("ticket_summary", "v2"),
        ("ticket_summary", "chat"),
        (None, None),
    ]
    assert [p.is_chat for p in suite.prompts] == [False, False, True, False]
    assert suite.prompts[2].raw == (
        '[{"role":"system","content":"You summarize tickets."},{"role":"user","content":"{{ ticket }}"}]'
    )
    assert [(p.id, p.label, p.config) for p in suite.providers] == [
        ("echo", None, {}),
        ("openai:gpt-4o-mini", "mini", {"temperature": 0}),
        ("anthropic:messages:claude-3-5-haiku", None, {"max_tokens": 50}),
    ]
    assert suite.warnings == []
    assert suite.evaluate_options == {"maxConcurrency": 4, "repeat": 1}
    assert suite.settings.variants == ["none", "llmlingua:0.5"]
    assert suite.derived_metrics == [{"name": "combined", "value": "quality * 2"}]
    assert len(suite.sha256) == 64


def test_full_fixture_tests() -> None:
    suite = load(FULL)
    rows = [(t.index, t.description, t.vars.get("ticket"), [a["type"] for a in t.asserts]) for t in suite.tests]
    assert rows == [
        (0, None, "a", ["is-valid-anything", "contains"]),
        (1, None, "b", ["is-valid-anything", "contains"]),
        (2, "csv row", "Printer on fire", ["is-valid-anything", "contains"]),
        (3, None, "jsonl one", ["is-valid-anything"]),
        (4, None, "jsonl two", ["is-valid-anything", "contains"]),
        (5, "from yaml file", "from vars file", ["is-valid-anything"]),
        (6, None, "file://../data/ticket.txt", []),
        (7, None, "scenario ticket", ["is-valid-anything", "icontains"]),
        (8, None, "scenario ticket", ["is-valid-anything", "icontains"]),
    ]
    # defaultTest vars come first; a vars array whose first element is not a string is not expanded
    assert list(suite.tests[0].vars) == ["lang", "ticket", "n"] and suite.tests[0].vars["n"] == [1, 2]
    assert all(t.threshold == 0.5 for t in suite.tests)
    assert suite.tests[6].providers == ["echo"]
    assert [t.vars.get("tone") for t in suite.tests[7:]] == ["calm", "angry"]
    assert suite.tests[8].metadata == {"conversationId": "__scenario_1__"}


def test_file_var_prefix_suffix_render() -> None:
    suite = load(FULL)
    test = suite.tests[6]
    text, messages = render_prompt(
        suite.prompts[3],
        test.vars,
        prefix=test.options["prefix"],
        suffix=test.options["suffix"],
        base_dir=suite.base_dir,
    )
    assert text == "P:Inline Long ticket text from a file.:S"  # file vars are trimmed
    assert messages == [{"role": "user", "content": text}]


def test_txt_sections_and_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p.txt").write_text("First {{x}}\n---\n\n  Second\n---\n")
    path = _suite(
        tmp_path,
        """\
        prompts: [file://p.txt, {raw: file://p.txt, label: L}]
        providers: [echo]
        """,
        monkeypatch,
    )
    suite = load(path)
    assert [p.label for p in suite.prompts] == [
        "p.txt: First {{x}}",
        "p.txt: Second",
        "L: p.txt: First {{x}}",
        "L: p.txt: Second",
    ]
    assert [t.index for t in suite.tests] == [0] and suite.tests[0].vars == {}


def test_vars_cartesian_product_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _suite(
        tmp_path,
        """\
        prompts: ["{{a}}{{b}}"]
        providers: [echo]
        defaultTest: {vars: {d: [x, y]}}
        tests:
          - vars: {a: ["1", "2"], b: [one, 2]}
          - vars: {a: [[1, 2], [3]], b: []}
          - vars: {a: ["1", "2"]}
            options: {disableVarExpansion: true}
        """,
        monkeypatch,
    )
    suite = load(path)
    combos = [(t.index, t.vars) for t in suite.tests]
    expected_first = [{"d": d, "a": a, "b": b} for d in ("x", "y") for a in ("1", "2") for b in ("one", 2)]
    assert [v for _, v in combos[:8]] == expected_first
    assert [i for i, _ in combos] == list(range(len(combos)))
    assert combos[8][1] == {"d": "x", "a": [[1, 2], [3]], "b": []}
    assert combos[10][1] == {"d": ["x", "y"], "a": ["1", "2"]}


def test_file_var_glob_expands_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    for name in ("b.txt", "a.txt"):
        (tmp_path / "docs" / name).write_text(name)
    path = _suite(
        tmp_path,
        """\
        prompts: ["{{doc}}"]
        providers: [echo]
        tests: [{vars: {doc: "file://docs/*.txt"}}]
        """,
        monkeypatch,
    )
    suite = load(path)
    assert [t.vars["doc"] for t in suite.tests] == ["file://docs/a.txt", "file://docs/b.txt"]
    assert render_prompt(suite.prompts[0], suite.tests[1].vars, base_dir=suite.base_dir)[0] == "b.txt"


def test_unknown_keys_warn_with_suggestions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _suite(
        tmp_path,
        """\
        prompts: ["{{x}}"]
        providers: [echo]
        sharing: true
        promtps: []
        tests:
          - vars: {x: 1}
          - vars: {x: 1}
          - vars: {x: 1}
            asert: []
            assert:
              - {type: equals, value: 1, wieght: 2}
            options: {trasnform: output}
        workbench: {variants: [none], acceptence: 0.9}
        """,
        monkeypatch,
    )
    assert load(path).warnings == [
        "suite.yaml: 'sharing' is a promptfoo option workbench ignores",
        "suite.yaml: unknown key 'promtps' (did you mean 'prompts'?)",
        "suite.yaml: tests[2]: unknown key 'asert' (did you mean 'assert'?)",
        "suite.yaml: tests[2].assert[0]: unknown key 'wieght' (did you mean 'weight'?)",
        "suite.yaml: tests[2].options: unknown key 'trasnform' (did you mean 'transform'?)",
        "suite.yaml: workbench: unknown key 'acceptence' (did you mean 'acceptance'?)",
    ]


def test_assertion_errors_are_left_to_grading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _suite(
        tmp_path,
        """\
        prompts: ["{{x}}"]
        providers: [echo]
        tests:
          - vars: {x: 1}
            assert: [{type: no-such-type}, {type: contains}]
        """,
        monkeypatch,
    )
    assert [a["type"] for a in load(path).tests[0].asserts] == ["no-such-type", "contains"]


def test_scenarios_without_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _suite(
        tmp_path,
        """\
        prompts: ["{{x}}"]
        providers: [echo]
        scenarios:
          - config:
              - {vars: {x: "1"}, assert: [{type: equals, value: "1"}]}
              - {vars: {x: ["2", "3"]}}
        """,
        monkeypatch,
    )
    suite = load(path)
    assert [(t.index, t.vars, len(t.asserts)) for t in suite.tests] == [
        (0, {"x": "1"}, 1),
        (1, {"x": "2"}, 0),
        (2, {"x": "3"}, 0),
    ]


def test_multiple_configs_combine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _suite(tmp_path, "prompts: [A]\nproviders: [echo]\ntests: [{vars: {x: 1}}]\n", monkeypatch, "a.yaml")
    b = _suite(
        tmp_path, "prompts: [B]\nproviders: [echo]\ntests: [{vars: {x: 2}}, {vars: {x: 3}}]\n", monkeypatch, "b.yaml"
    )
    suite = load([a, b])
    assert [p.raw for p in suite.prompts] == ["A", "B"]
    assert [(t.index, t.vars["x"]) for t in suite.tests] == [(0, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Paris", {"type": "equals", "value": "Paris"}),
        ("contains: World", {"type": "contains", "value": "World"}),
        ("not-icontains:HELLO", {"type": "not-icontains", "value": "HELLO"}),
        ('contains-all:"1,000",in stock', {"type": "contains-all", "value": ["1,000", "in stock"]}),
        ("levenshtein:hello", {"type": "levenshtein", "value": "hello", "threshold": 0.75}),
        ("levenshtein(2):hello", {"type": "levenshtein", "value": "hello", "threshold": 2}),
        ("similar:x", {"type": "similar", "value": "x", "threshold": 0.8}),
        ("is-json", {"type": "is-json", "value": None}),
        ("fn:output.startsWith('h')", {"type": "javascript", "value": "output.startsWith('h')"}),
        ("python: output.upper() == 'HELLO'", {"type": "python", "value": "output.upper() == 'HELLO'"}),
        ("grade:be nice", {"type": "llm-rubric", "value": "be nice"}),
        ("Foo: bar", {"type": "equals", "value": "Foo: bar"}),
    ],
)
def test_csv_expected_language(cell: str, expected: dict[str, object]) -> None:
    assert assertion_from_string(cell) == expected


def test_csv_special_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t.csv").write_text(
        "q,__expected1,__expected2,__metric,__threshold,__prefix,__metadata:tags[],__config:__expected2:threshold\n"
        '  hi  ,  contains:hi ,rouge-n:hi there,m,0.5,>> ,"a,b\\,c",0.3\n'
        "x,,,,abc,,,1\n"
    )
    path = _suite(tmp_path, "prompts: ['{{q}}']\nproviders: [echo]\ntests: file://t.csv\n", monkeypatch)
    t0, t1 = load(path).tests
    assert t0.vars == {"q": "  hi  "}
    assert t0.asserts == [
        {"type": "contains", "value": "hi", "metric": "m"},
        {"type": "rouge-n", "value": "hi there", "threshold": 0.3, "metric": "m"},
    ]
    assert t0.threshold == 0.5 and t0.options == {"prefix": ">> "} and t0.description == "Row #1"
    assert t0.metadata == {"tags": ["a", "b,c"], "threshold": 0.3}
    assert t1.asserts == [] and t1.threshold is None
