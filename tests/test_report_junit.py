"""`-o out.junit.xml`: valid JUnit XML shaped like promptfoo's, with counts per suite."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from report_fixtures import make_run, sample_run

from workbench.report import write_outputs
from workbench.store.db import open_db
from workbench.types import Cell, CellResult, GradingResult, Prompt, ProviderResponse, ProviderSpec, Suite
from workbench.types import TestCase as Case


def test_junit_structure(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    out = tmp_path / "out.junit.xml"
    write_outputs(db, run_id, [out])
    root = etree.parse(str(out)).getroot()
    assert root.tag == "testsuites"
    assert (root.get("name"), root.get("tests"), root.get("failures"), root.get("errors")) == (
        "promptfoo",
        "12",
        "4",
        "4",
    )
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "[echo] prompt 1 (ticket_summary/v1)",
        "[echo] prompt 2 (ticket_summary/v2)",
        "[mini] prompt 1 (ticket_summary/v1)",
        "[mini] prompt 2 (ticket_summary/v2)",
    ]
    for s in suites:
        cases = s.findall("testcase")
        assert int(s.get("tests")) == len(cases) == 3
        assert int(s.get("failures")) == len(s.findall("testcase/failure")) == 1
        assert int(s.get("errors")) == len(s.findall("testcase/error")) == 1
        assert [c.get("name") for c in cases] == ["test 1: refund", 'test 2: pii <&> "quoted"', "test 3"]
        assert all(c.get("classname") == s.get("name") for c in cases)
    failure = suites[0].find("testcase/failure")
    assert failure.get("type") == "assertion"
    assert failure.get("message") == "Output matched the regex"
    assert "- not-regex (guardrail/pii): Output matched the regex" in failure.text
    error = suites[2].findall("testcase")[2].find("error")
    assert error.get("type") == "error" and error.get("message") == "HTTP 500 from provider"
    assert suites[0].findall("testcase")[1].get("time") == "0.200"


def test_junit_survives_control_characters_and_markup(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    nasty = "bad \x00\x1b[31m <tag> & ]]> end"
    suite = Suite(
        path=None,
        description=None,
        prompts=[Prompt(raw="{{x}}", label="p<1>", sha256="s")],
        providers=[ProviderSpec(id="echo", label='e"&')],
        tests=[Case(index=0, vars={"x": nasty}, asserts=[{"type": "equals", "value": "y"}], description=nasty)],
    )
    g = GradingResult(
        False,
        0.0,
        nasty,
        component_results=[GradingResult(False, 0.0, nasty, assertion={"type": "equals", "value": "y"})],
    )
    results = [CellResult(Cell(0, 0, 0), nasty, ProviderResponse(output=nasty), False, 0.0, None, g)]
    run_id = make_run(db, suite, results)
    out = tmp_path / "o.junit.xml"
    write_outputs(db, run_id, [out])
    root = etree.parse(str(out)).getroot()  # parses: no invalid characters or broken markup
    case = root.find("testsuite/testcase")
    assert case.get("name").startswith("test 1: bad")
    assert "<tag> & ]]>" in case.find("failure").text
    assert root.find("testsuite").get("name") == '[e"&] prompt 1'
