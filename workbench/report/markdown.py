"""Markdown reports: the pull-request comment for a comparison, and the report of one run.

`render_review` answers a reviewer's two questions in its first lines (is the change safe: the
gates; what does it cost: pass rate, $ and tokens per request), then gives the evidence: a table
row per (prompt, variant, model) pair, the worst regressions with prompt and output excerpts, the
text diff of every changed prompt with its token delta, and the cheapest acceptable pair before
and after. Every number comes from `workbench.analysis` (compare, diff, recommend, pairs).

`write_markdown(db, run_id, fh)` is the `-o report.md` writer of `workbench run`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from workbench.analysis.comparison import PairComparison, RunComparison, TestChange
from workbench.analysis.diff import diff_versions
from workbench.analysis.evidence_plan import settle
from workbench.analysis.pairs import PairStats, pair_stats
from workbench.analysis.recommend import recommend_for
from workbench.analysis.version_pairing import version_key
from workbench.ci.compare_inputs import Review, SuiteComparison
from workbench.format import fmt_cost, fmt_spend
from workbench.md_escape import code, html_in_md, md
from workbench.store import queries
from workbench.store.orphaned_runs import close_orphaned_runs
from workbench.suite.families import normalize_content, unified_diff

TOP_REGRESSIONS = 10
EXCERPT = 400
DIFF_LINES = 120
TOP_FAILURES = 20


# -- formatting helpers -----------------------------------------------------------------------------


def cell(text: Any) -> str:
    """A table cell: one line, bare pipes escaped. Untrusted text is md()-escaped before it gets here."""
    return re.sub(r"(?<!\\)\|", r"\\|", str(text).replace("\r", " ").replace("\n", " "))


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def fenced(text: str, lang: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def pts(delta: float | None) -> str:
    return "–" if delta is None else f"{delta * 100:+.1f} pts"


def money(v: float | None) -> str:
    return fmt_cost(v)


def num(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def signed(v: float | None, fmt: str = "{:+.0f}") -> str:
    return "–" if v is None else fmt.format(v)


def rel(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    if before == 0:
        return "" if after == 0 else " (from 0)"
    return f" ({(after - before) / before:+.1%})"


# -- the comparison report ----------------------------------------------------------------------------


def render_review(review: Review, db_note: str | None = None) -> str:
    """The whole PR comment."""
    lines: list[str] = []
    single = len(review.suites) == 1
    if review.ok:
        lines.append("## ✅ workbench: no regression gate tripped")
    else:
        n = len(review.tripped)
        lines.append(f"## ❌ workbench: {n} regression gate{'s' * (n != 1)} tripped")
        lines.append("")
        lines.extend(f"- **{g.name}**: {md(g.message)}" for g in review.tripped)
    lines.append("")
    lines.append(
        f"BASE {code(review.inputs.base_label)} vs HEAD {code(review.inputs.head_label)}"
        + (f" · {md(db_note)}" if db_note else "")
    )
    lines.append("")
    for s in review.suites:
        if not single:
            lines.append(f"### {md(s.name)}")
            lines.append("")
        lines.extend(_suite_section(review, s))
    lines.append(_gates_footer(review))
    return "\n".join(lines).rstrip() + "\n"


def _headline(c: RunComparison) -> list[str]:
    out = [
        f"**Pass rate** {pct(c.base_matched_pass_rate)} → {pct(c.head_matched_pass_rate)}"
        f" ({pts(_d(c.base_matched_pass_rate, c.head_matched_pass_rate))}) on {c.matched} matched (test, pair)"
        f" row{'s' * (c.matched != 1)} ({c.only_in_base_rows} only in BASE, {c.only_in_head_rows} only in HEAD)"
        f" · **{c.regressed} regressed**, {c.improved} improved"
        f" · {c.new_guardrail_failures} new guardrail failure{'s' * (c.new_guardrail_failures != 1)}"
        f" · {c.new_errors} new error{'s' * (c.new_errors != 1)}",
        f"**Cost per request** {money(c.base.cost_per_request)} → {money(c.head.cost_per_request)}"
        f"{rel(c.base.cost_per_request, c.head.cost_per_request)}"
        f" · **tokens in** {num(c.base.mean_tokens_in)} → {num(c.head.mean_tokens_in)}"
        f"{rel(c.base.mean_tokens_in, c.head.mean_tokens_in)}"
        f" · **tokens out** {num(c.base.mean_tokens_out)} → {num(c.head.mean_tokens_out)}",
        f"**Verdict** {c.significance.line()}",
    ]
    more = settle(c)
    if more:
        out.append(f"**Evidence** {more.line()}")
    if c.missing_passed:
        out.append(
            f"⚠️ {c.missing_passed} (test, pair) row{'s' * (c.missing_passed != 1)} passed in BASE and"
            f" {'are' if c.missing_passed != 1 else 'is'} missing in HEAD: "
            + ", ".join(code(f"{m['description'] or m['test']} · {m['pair']}") for m in c.missing[:10])
        )
    if not c.same_tests:
        out.append(
            f"⚠️ BASE and HEAD ran different tests: {len(c.tests_only_in_base)} only in BASE,"
            f" {len(c.tests_only_in_head)} only in HEAD (compared on the {c.matched} matched; the others are"
            " listed below and not counted as passes or failures)."
        )
    return out


def _d(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _suite_section(review: Review, s: SuiteComparison) -> list[str]:
    if s.comparison is None:
        side = "HEAD" if s.base_id is None else "BASE"
        return [f"Only in {side} (run {s.head_id if s.base_id is None else s.base_id}): nothing to compare.", ""]
    c = s.comparison
    db = review.inputs.db
    out = [" \\\n".join(_headline(c)), ""]
    out.extend(_pair_table(c))
    out.extend(_regressions(c))
    out.extend(_prompt_diffs(db, c.base_id, c.head_id))
    out.extend(_cheapest(db, c.base_id, c.head_id))
    out.extend(_only_in(c))
    return out


def _pair_table(c: RunComparison) -> list[str]:
    out = [
        "| prompt · variant · model | pass rate BASE → HEAD | Δ | regressed | improved | verdict (McNemar p)"
        " | new guardrail | new errors | tokens in Δ | $/request BASE → HEAD |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for p in c.pairs:
        out.append("| " + " | ".join(cell(x) for x in _pair_row(p)) + " |")
    out.append("")
    return out


def _pair_row(p: PairComparison) -> list[str]:
    if p.base is None or p.head is None:
        side = "HEAD" if p.base is None else "BASE"
        stats = p.head or p.base
        assert stats is not None
        return [
            md(p.name),
            f"only in {side}: {pct(stats.pass_rate)} ({stats.passes}/{stats.n})",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            money(stats.mean_cost),
        ]
    sig = p.significance
    return [
        md(f"{p.name} ({p.new_version})" if p.new_version else p.name),
        f"{pct(p.base_matched_pass_rate)} → {pct(p.head_matched_pass_rate)}",
        pts(_d(p.base_matched_pass_rate, p.head_matched_pass_rate)),
        f"**{p.regressed}**" if p.regressed else "0",
        str(p.improved),
        f"{sig.verdict} ({sig.p_value:.2g})",
        f"**{p.new_guardrail_failures}**" if p.new_guardrail_failures else "0",
        str(p.new_errors),
        signed(p.delta("mean_tokens_in")) + rel(p.base.mean_tokens_in, p.head.mean_tokens_in),
        f"{money(p.base.mean_cost)} → {money(p.head.mean_cost)}",
    ]


def _change_title(t: TestChange) -> str:
    return f"{t.description or t.test} · {t.pair}"


def _regressions(c: RunComparison) -> list[str]:
    if not c.regressions:
        return []
    shown = c.regressions[:TOP_REGRESSIONS]
    out = [
        f"#### Regressions ({c.regressed}; the worst {len(shown)} shown)"
        if c.regressed > len(shown)
        else f"#### Regressions ({c.regressed})",
        "",
    ]
    for t in shown:
        out.append(f"- **{md(_change_title(t))}**: pass rate {pct(t.base_pass_rate)} → {pct(t.head_pass_rate)}")
    out.append("")
    for t in shown:
        out.append(f"<details><summary>{_html(_change_title(t))}</summary>")
        out.append("")
        if t.vars:
            out.append(f"vars: {code(excerpt(t.vars, 200))}")
            out.append("")
        out.append("HEAD prompt:")
        out.append(fenced(excerpt(t.prompt)))
        out.append("BASE output:")
        out.append(fenced(excerpt(t.base_output)))
        out.append("HEAD output:" if not t.head_error else f"HEAD error: {md(excerpt(t.head_error, 300))}")
        if not t.head_error:
            out.append(fenced(excerpt(t.head_output)))
        out.append("")
        out.append("</details>")
        out.append("")
    return out


def _html(text: str) -> str:
    return html_in_md(text)


def _prompts_of(db: Database, run_id: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in queries.rows(
        db,
        "select pv.family, pv.version, coalesce(pv.label, rp.label) as label, pv.sha256, pv.text, pv.tokens"
        " from run_prompts rp left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?"
        " order by rp.prompt_idx",
        [run_id],
    ):
        name = f"{r['family']}/{r['version']}" if r["family"] and r["version"] else str(r["label"])
        out.setdefault(name, r)
    return out


def _prompt_diffs(db: Database, base_id: int, head_id: int) -> list[str]:
    """Changed prompts (same name, new text) and new versions (diffed against the family's previous)."""
    base, head = _prompts_of(db, base_id), _prompts_of(db, head_id)
    blocks: list[tuple[str, int, str]] = []  # (title, token delta, diff)
    for name, h in head.items():
        b = base.get(name)
        if b is not None:
            if normalize_content(b["text"] or "") == normalize_content(h["text"] or ""):
                continue
            bt, ht = int(b["tokens"] or 0), int(h["tokens"] or 0)
            diff = unified_diff(
                b["text"] or "", h["text"] or "", f"BASE {name} ({bt} tokens)", f"HEAD {name} ({ht} tokens)"
            )
            blocks.append((f"{name} (edited)", ht - bt, diff))
            continue
        fam = h["family"]
        previous = sorted((p["version"] for p in base.values() if fam and p["family"] == fam), key=version_key)
        older = [v for v in previous if version_key(v) < version_key(h["version"])] or previous
        if fam and older and h["version"]:
            prev = f"{fam}/{older[-1]}"
            title = f"{name} (new version, vs {prev})"
            if prev in head:  # both in the HEAD run: analysis.diff also knows which tests flipped
                d = diff_versions(db, fam, older[-1], h["version"], run_id=head_id, flip_limit=0)
                blocks.append(
                    (f"{title}; in HEAD it broke {d.broke} and fixed {d.fixed} results", d.token_delta, d.unified)
                )
            else:
                bt, ht = int(base[prev]["tokens"] or 0), int(h["tokens"] or 0)
                diff = unified_diff(
                    base[prev]["text"] or "",
                    h["text"] or "",
                    f"BASE {prev} ({bt} tokens)",
                    f"HEAD {name} ({ht} tokens)",
                )
                blocks.append((title, ht - bt, diff))
        else:
            blocks.append((f"{name} (new prompt)", int(h["tokens"] or 0), ""))
    removed = [n for n in base if n not in head]
    if not blocks and not removed:
        return []
    out = ["#### Prompt changes", ""]
    for title, delta, diff in blocks:
        out.append(f"<details><summary>{_html(title)}: {delta:+d} tokens</summary>")
        out.append("")
        lines = diff.splitlines()
        if len(lines) > DIFF_LINES:
            lines = [*lines[:DIFF_LINES], f"... {len(lines) - DIFF_LINES} more lines"]
        if lines:
            out.append(fenced("\n".join(lines), "diff"))
        out.append("")
        out.append("</details>")
        out.append("")
    if removed:
        out.append("Removed in HEAD: " + ", ".join(code(n) for n in removed))
        out.append("")
    return out


def _pick_line(db: Database, run_id: int) -> str:
    rec = recommend_for(db, run=run_id)
    if rec.pick is None:
        return f"none ({md(rec.verdict)})"
    p = rec.pick
    return f"{code(p.name)}: pass rate {p.pass_rate:.1%} ({p.passes}/{p.n}), {money(p.mean_cost)} per request"


def _cheapest(db: Database, base_id: int, head_id: int) -> list[str]:
    return [
        "#### Cheapest acceptable pair",
        "",
        f"- BASE: {_pick_line(db, base_id)}",
        f"- HEAD: {_pick_line(db, head_id)}",
        "",
    ]


def _only_in(c: RunComparison) -> list[str]:
    out: list[str] = []
    for side, tests in (("BASE", c.tests_only_in_base), ("HEAD", c.tests_only_in_head)):
        if tests:
            names = ", ".join(code(t.get("description") or excerpt(t.get("vars"), 60)) for t in tests[:20])
            more = f" and {len(tests) - 20} more" if len(tests) > 20 else ""
            out.append(f"Tests only in {side} (not compared): {names}{more}")
            out.append("")
    return out


def _gates_footer(review: Review) -> str:
    g = review.gates
    parts = [f"fail on regression: {'yes' if g.fail_on_regression else 'no'}"]
    if g.fail_on_regression:
        parts.append(
            "on any flip" if g.significance is None else f"only when significant at {g.significance:g} (McNemar)"
        )
        parts.append(f"missing tests {'fail' if g.missing == 'fail' else 'ignored'}")
    if g.max_pass_rate_drop is not None:
        parts.append(f"max pass-rate drop {g.max_pass_rate_drop:g} pts")
    if g.max_new_guardrail_failures is not None:
        parts.append(f"max new guardrail failures {g.max_new_guardrail_failures}")
    if g.max_cost_increase is not None:
        parts.append(f"max cost increase {g.max_cost_increase:g}%")
    if g.max_prompt_token_growth is not None:
        parts.append(f"max prompt token growth {g.max_prompt_token_growth:g}%")
    return "<sub>Gates: " + "; ".join(parts) + ". Generated by `workbench compare`.</sub>"


# -- the run report (`workbench run -o report.md`) -------------------------------------------------


def _pair_stats_row(p: PairStats) -> list[str]:
    return [
        md(p.name),
        f"{p.pass_rate:.1%}",
        f"{p.passes}/{p.n}",
        str(p.errors),
        str(p.guardrail_failures),
        num(p.mean_tokens_in),
        num(p.mean_tokens_out),
        money(p.mean_cost),
    ]


def render_run(db: Database, run_id: int) -> str:
    close_orphaned_runs(db)  # a run killed with `kill -9` reads `interrupted`
    run = queries.rows(db, "select * from runs where id = ?", [run_id])[0]
    rate = run.get("pass_rate")
    failed = int(run.get("failures") or 0) + int(run.get("errors") or 0)
    mark = "✅" if failed == 0 else "❌"
    name = Path(run["suite_path"]).name if run.get("suite_path") else f"run {run_id}"
    lines = [
        f"## {mark} workbench run {run_id}: {md(name)}",
        "",
        f"**Pass rate** {pct(rate)} · {run.get('passes') or 0} passed, {run.get('failures') or 0} failed,"
        f" {run.get('errors') or 0} errors of {run.get('results') or 0}"
        f" · **cost** {fmt_spend(run.get('cost'), run.get('grader_cost', 0.0))}"
        f" · tokens {run.get('tokens_in') or 0} in / {run.get('tokens_out') or 0} out · status {run.get('status')}"
        + (f" · label {code(run['label'])}" if run.get("label") else ""),
        "",
        "| prompt · variant · model | pass rate | passed | errors | guardrail failures | tokens in | tokens out | $/request |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in pair_stats(db, [run_id], with_named_scores=False):
        lines.append("| " + " | ".join(cell(x) for x in _pair_stats_row(p)) + " |")
    lines.append("")
    failures = queries.rows(
        db,
        "select r.id, r.provider_label, r.variant, r.output, r.error, r.prompt_idx, tc.description, tc.vars,"
        " coalesce(pv.family || '/' || pv.version, pv.label) as prompt,"
        " (select group_concat(a.reason, '; ') from assertion_results a where a.result_id = r.id and a.pass = 0)"
        " as reasons"
        " from results r left join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx"
        " left join prompt_versions pv on pv.id = r.prompt_version_id"
        " where r.run_id = ? and r.success = 0 order by r.test_idx, r.prompt_idx, r.variant, r.provider_idx, r.repeat"
        " limit ?",
        [run_id, TOP_FAILURES],
    )
    if failures:
        lines.append(
            f"#### Failures ({failed}{'; the first ' + str(len(failures)) + ' shown' if failed > len(failures) else ''})"
        )
        lines.append("")
        for f in failures:
            title = (
                f"{f['description'] or excerpt(f['vars'], 60)} · {f['prompt']} · {f['variant']} · {f['provider_label']}"
            )
            why = f"error: {f['error']}" if f["error"] else (f["reasons"] or "failed")
            lines.append(f"- **{md(title)}**: {md(excerpt(why, 300))}")
            if f["output"]:
                lines.append("")
                lines.append("  " + fenced(excerpt(f["output"], 300)).replace("\n", "\n  "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(db: Database, run_id: int, fh: IO[str]) -> None:
    fh.write(render_run(db, run_id))
