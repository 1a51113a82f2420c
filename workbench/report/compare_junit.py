"""JUnit XML for a comparison (`workbench compare ... -o report.junit.xml`).

CI test viewers show it like unit tests: one suite `gates` with a test case per configured gate
(failed when it tripped), and per compared suite one test case per (prompt, variant, model) pair
("no regression": failed when a matched test regressed there) plus one per regressed test, with
BASE and HEAD outputs in the failure body.
"""

from __future__ import annotations

from typing import IO

from workbench.ci.compare_inputs import Review
from workbench.report.junit import attr, body

GATE_NAMES = {
    "regression": "fail_on_regression",
    "pass-rate-drop": "max_pass_rate_drop",
    "guardrails": "max_new_guardrail_failures",
    "cost": "max_cost_increase",
    "prompt-tokens": "max_prompt_token_growth",
}


def _case(classname: str, name: str, failure: str | None, detail: str = "") -> str:
    head = f'    <testcase classname="{attr(classname)}" name="{attr(name)}" time="0">'
    if failure is None:
        return head[:-1] + "/>"
    return f'{head}\n      <failure message="{attr(failure)}">{body(detail or failure)}</failure>\n    </testcase>'


def render_compare_junit(review: Review) -> str:
    suites: list[tuple[str, list[tuple[str, str, str | None, str]]]] = []
    config = review.gates.to_dict()
    tripped = {g.name: g for g in review.tripped}
    gate_cases = []
    for name, key in GATE_NAMES.items():
        value = config[key]
        if value is None or value is False:
            continue
        g = tripped.get(name)
        gate_cases.append(("gates", f"{name} ({key}={value})", g.message if g else None, ""))
    suites.append(("gates", gate_cases))
    for s in review.suites:
        c = s.comparison
        if c is None:
            continue
        cases: list[tuple[str, str, str | None, str]] = []
        for p in c.pairs:
            failure = f"{p.regressed} regressed" if p.regressed else None
            cases.append((s.name, f"{p.name}: no regression", failure, ""))
        for t in c.regressions:
            detail = (
                f"pass rate {t.base_pass_rate:.0%} -> {t.head_pass_rate:.0%}\n\nBASE output:\n{t.base_output or ''}"
                f"\n\nHEAD {'error' if t.head_error else 'output'}:\n{t.head_error or t.head_output or ''}"
            )
            cases.append((s.name, f"{t.description or t.test} · {t.pair}", "regressed", detail))
        suites.append((s.name, cases))
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total = sum(len(c) for _, c in suites)
    failures = sum(1 for _, cs in suites for c in cs if c[2] is not None)
    out.append(f'<testsuites name="workbench compare" tests="{total}" failures="{failures}" errors="0">')
    for name, cases in suites:
        n_fail = sum(1 for c in cases if c[2] is not None)
        out.append(f'  <testsuite name="{attr(name)}" tests="{len(cases)}" failures="{n_fail}" errors="0">')
        out.extend(_case(*c) for c in cases)
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def write_compare_junit(review: Review, fh: IO[str]) -> None:
    fh.write(render_compare_junit(review))
