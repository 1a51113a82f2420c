"""`-o report.html` for a run and for `compare`: one static file, no network, everything escaped,
the decision first, the version diff and the flipped tests with the changed words marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ci_project import BREAKING, ORIGINAL, TESTS, wb, write_prompt, write_suite
from fake_openai_server import FakeOpenAI
from ui_browser import CHROMIUM, CHROMIUM_ARGS

from workbench.report.html_report import marked_diff


def loop(server: FakeOpenAI) -> list[dict[str, object]]:
    """A priced model on the loopback server (it answers `echo: <prompt>`): echo itself is a test
    double and never the decision."""
    cfg = {"apiBaseUrl": server.base_url, "apiKey": "sk-x", "input_cost_per_1m": 1, "output_cost_per_1m": 2}
    return [{"id": "openai:chat:loop", "label": "loop", "config": cfg}]


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(""", re.I)


def test_marked_diff_escapes_and_marks_changed_words() -> None:
    before, after = marked_diff("Say <b>hello</b> to Alice", "Say <b>hi</b> to Alice")
    assert before == "Say &lt;b&gt;<del>hello</del>&lt;/b&gt; to Alice"
    assert after == "Say &lt;b&gt;<ins>hi</ins>&lt;/b&gt; to Alice"


def test_run_report_decision_pairs_diff_flips_failures(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    write_prompt(tmp_path, ORIGINAL, version="v1")
    write_prompt(tmp_path, BREAKING, version="v2")
    hostile = [
        *TESTS,
        {
            "description": "<script>alert(1)</script>",
            "vars": {"name": "<img src=x>", "topic": "t"},
            "assert": [{"type": "contains", "value": "Mention"}],
        },
    ]
    suite = write_suite(tmp_path, tests=hostile, providers=loop(fake_openai))
    out = tmp_path / "report.html"
    res = wb("run", suite, "--db", tmp_path / "r.db", "-q", "-o", out, "--pass-rate-threshold", "0")
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # The decision comes before the details: v1 passes 4/4 on echo, v2 drops "politely" and "Mention".
    assert page.index("Decision: ship greet/v1 · none · loop") < page.index("<h2>Pairs</h2>")
    assert "100.0% (4/4)" in page and "25.0% (1/4)" in page
    assert "<tr class=pick><td>greet/v1 · none · loop</td>" in page
    # The version diff marks the changed words; the flips show both outputs with the words marked.
    assert "<h3>greet: v1 → v2 (" in page and "3 results broke, 0 fixed)" in page
    assert "<del>hello</del>" in page and "<ins>hi</ins>" in page
    assert 'alice</b> · none · loop: <span class="pass">PASS</span> → <span class="fail">FAIL</span>' in page
    assert "Say <del>hello</del> to Alice<del> politely. Mention</del> cats." in page
    # Failures lead with the full reason.
    assert "Expected output to contain &quot;politely&quot;" in page
    # Everything from the database is escaped; nothing external is referenced.
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x&gt;" in page
    assert not EXTERNAL.search(page)


def test_compare_report_flips_and_cheapest_pair(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    write_prompt(tmp_path, ORIGINAL)
    suite = write_suite(tmp_path, providers=loop(fake_openai))
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, BREAKING)
    wb("run", suite, "--db", db, "--label", "head", "-q")
    out = tmp_path / "compare.html"
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", out)
    assert res.exit_code == 100
    page = out.read_text(encoding="utf-8")
    assert "<h1>workbench compare: 1 regression gate tripped</h1>" in page
    assert "Cheapest acceptable pair in HEAD: no pair qualifies." in page
    assert "Cheapest acceptable pair in BASE: greet/v1 · none · loop, $0.000025 per request" in page
    assert "<td>greet/v1 · none · loop</td>" in page
    assert "<h3>Prompt greet/v1 changed</h3>" in page
    assert "Regressions (passed in BASE, fail in HEAD): 2</h3>" in page
    assert "Say <del>hello</del> to Alice<del> politely. Mention</del> cats." in page
    assert "Say <ins>hi</ins> to Alice<ins>. Talk about</ins> cats." in page
    assert not EXTERNAL.search(page)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_report_renders_in_chromium_without_network(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    write_prompt(tmp_path, ORIGINAL, version="v1")
    write_prompt(tmp_path, BREAKING, version="v2")
    suite = write_suite(tmp_path, providers=loop(fake_openai))
    out = tmp_path / "report.html"
    assert wb("run", suite, "--db", tmp_path / "r.db", "-q", "-o", out, "--pass-rate-threshold", "0").exit_code == 0
    attempted: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()

            def block(route, request) -> None:  # type: ignore[no-untyped-def]
                if request.url.startswith("file://"):
                    route.continue_()
                else:
                    attempted.append(request.url)
                    route.abort()

            page.route("**/*", block)
            page.goto(out.as_uri())
            assert page.get_by_text("Decision: ship greet/v1 · none · loop").is_visible()
            green = page.locator("tr.pick .bar.ok")
            assert (
                green.count() == 1 and green.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(26, 127, 55)"
            )
            assert page.locator(".bar.bad").count() == 1  # v2 below the target: red
            assert (
                page.locator("ins").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(172, 238, 187)"
            )
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert attempted == []
