"""What a comparison prints and writes: the terminal summary, the reports (Markdown, JUnit, JSON),
`$GITHUB_STEP_SUMMARY` and one stderr line per tripped gate. Shared by `workbench compare` and
`workbench run --baseline`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from workbench.analysis.evidence_plan import settle
from workbench.analysis.pairs import describe_repeats
from workbench.ci.compare_inputs import Review, resolve_inputs, review
from workbench.ci.gates import EXIT_GATE, GateConfig
from workbench.report.compare_junit import render_compare_junit
from workbench.report.html_report import render_review_html
from workbench.report.markdown import render_review


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def terminal_summary(review: Review) -> str:
    lines = [f"BASE {review.inputs.base_label} vs HEAD {review.inputs.head_label}"]
    for s in review.suites:
        c = s.comparison
        if c is None:
            lines.append(f"[{s.name}] only in {'HEAD' if s.base_id is None else 'BASE'}: not compared")
            continue
        b, h = c.base_matched_pass_rate, c.head_matched_pass_rate
        rate = "n/a" if b is None or h is None else f"{b:.1%} -> {h:.1%} ({(h - b) * 100:+.1f} pts)"
        lines.append(
            f"[{s.name}] pass rate {rate} on {c.matched} matched (test, pair) rows ({c.only_in_base_rows} only in"
            f" BASE, {c.only_in_head_rows} only in HEAD); {c.regressed} regressed, {c.improved} improved;"
            f" {c.new_guardrail_failures} new guardrail failures; {c.new_errors} new errors"
        )
        lines.append(f"  verdict: {c.significance.line()}")
        more = settle(c)
        if more:
            lines.append(f"  {more.line()}")
        for p in c.pairs:
            if p.new_version and p.matched:
                lines.append(
                    f"  {p.name}: {p.new_version}: {p.regressed} regressed, {p.improved} improved;"
                    f" {p.significance.verdict}"
                )
        for p in c.pairs:
            sides = [
                (side, d)
                for side, stats in (("BASE", p.base), ("HEAD", p.head))
                if stats and (d := describe_repeats(stats))
            ]
            for side, d in sides:
                lines.append(f"  {p.name}: {side} {d}")
        for t in c.regressions[:10]:
            lines.append(f"  regressed: {t.description or t.test} ({t.pair})")
        for m in c.missing[:10]:
            lines.append(f"  missing in HEAD (passed in BASE): {m['description'] or m['test']} ({m['pair']})")
        if not c.same_tests:
            lines.append(
                f"  different tests: {len(c.tests_only_in_base)} only in BASE, {len(c.tests_only_in_head)} only in HEAD"
            )
    lines.append("PASS: no gate tripped" if review.ok else f"FAIL: {len(review.tripped)} gate(s) tripped")
    return "\n".join(lines)


def emit(review: Review, outputs: list[Path], as_json: bool = False) -> int:
    """Write the reports, the GitHub step summary and the gate lines; return the exit code."""
    markdown: str | None = None
    for p in outputs:
        name = str(p).lower()
        if name.endswith(".md"):
            markdown = markdown or render_review(review)
            _write(p, markdown)
        elif name.endswith(".html"):
            _write(p, render_review_html(review))
        elif name.endswith(".junit.xml"):
            _write(p, render_compare_junit(review))
        else:
            _write(p, json.dumps(review.to_dict(), indent=2, default=str) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        markdown = markdown or render_review(review)
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    if as_json:
        print(json.dumps(review.to_dict(), indent=2, default=str))
    else:
        print(terminal_summary(review))
    for g in review.tripped:
        print(g.line(), file=sys.stderr)
    return EXIT_GATE if review.tripped else 0


def run_baseline(baseline: str, db: Path | None, run_ids: list[int], config: GateConfig, outputs: list[Path]) -> int:
    """`workbench run --baseline BASE`: compare the runs just made with BASE, apply the gates."""
    result = review(resolve_inputs(baseline, "this run", db, head_ids=run_ids), config)
    md = [p for p in outputs if str(p).lower().endswith((".md", ".html"))]
    return emit(result, md)
