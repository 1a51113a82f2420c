"""Untrusted text stays text: hostile strings planted in every field a suite or a provider controls
(suite description, test description, prompt label, provider label, run label, vars, provider
error, model output) never become markup in `run -o x.md`/`x.html`, `compare -o x.md`/`x.html`,
or the Streamlit UI (rendered with AppTest, no browser).

Checked: no raw `<img`, `<script`, `<!--`, `![`, `](http` or planted `**bold**` outside fenced
code blocks in Markdown, none at all in HTML, none in any Markdown-rendering UI element, while the
planted text itself is there, escaped.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI

HOSTILE = (
    '<img src="http://127.0.0.1:9/x.png" onerror=alert(1)> <script>alert(1)</script> <!-- hidden'
    " ![pic](http://127.0.0.1:9/p.png) **bold** | pipe `tick` [link](http://127.0.0.1:9/) #head"
)
# live markup: an unescaped `![` or `](` (a backslash before `[`, `]` or `!` makes them text)
RAW_MARKERS = [r"<img", r"<script", r"<!--", r"(?<!\\)!(?<!\\)\[", r"(?<!\\)\]\(http", r"\*\*bold\*\*"]


def _suite(path: Path, base_url: str, prompt: str, label: str) -> Path:
    suite = {
        "description": "S " + HOSTILE,
        "prompts": [{"raw": prompt, "label": "P " + HOSTILE}],
        "providers": [
            {"id": "echo", "label": "E " + HOSTILE},
            {
                "id": "openai:chat:gpt-4o-mini",
                "label": "F " + HOSTILE,
                "config": {"apiBaseUrl": base_url, "apiKey": "sk-test-untrusted", "max_attempts": 1},
            },
        ],
        "tests": [
            {
                "description": "T " + HOSTILE,
                "vars": {"q": "V " + HOSTILE},
                "assert": [{"type": "contains", "value": "Answer"}],
            }
        ],
    }
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("hostile")
    server = FakeOpenAI({"status": 400, "message": "E " + HOSTILE}).start()
    from workbench.cli.main import cli

    cwd = os.getcwd()
    os.chdir(d)
    try:
        for i, prompt in enumerate(["Answer {{q}}", "Reply {{q}}"]):  # the second regresses every echo row
            _suite(d / "s.yaml", server.base_url, prompt, "")
            args = ["run", "s.yaml", "--db", "r.db", "-q", "--no-progress", "--label", f"L{i} " + HOSTILE]
            if i == 1:
                args += ["-o", "run.md", "-o", "run.html"]
            res = CliRunner().invoke(cli, args)
            assert res.exit_code == 100, res.stderr
        res = CliRunner().invoke(cli, ["compare", "1", "2", "--db", "r.db", "-o", "cmp.md", "-o", "cmp.html"])
        assert res.exit_code in (0, 100), res.stderr
    finally:
        os.chdir(cwd)
        server.stop()
    yield d


def _outside_code(md: str) -> str:
    """The Markdown without fenced code blocks and code spans (CommonMark shows both verbatim)."""
    prose = _outside_fences(md)
    return re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", prose)


def _outside_fences(md: str) -> str:
    """The Markdown with every fenced code block removed (their content is shown verbatim)."""
    out, fence = [], None
    for line in md.splitlines():
        m = re.match(r"^\s*(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if line.strip() == fence:
                fence = None
            continue
        out.append(line)
    return "\n".join(out)


def test_every_field_was_planted(hostile: Path) -> None:
    conn = sqlite3.connect(hostile / "r.db")
    (errors,) = conn.execute("select count(*) from results where error like '%<img%'").fetchone()
    (outputs,) = conn.execute("select count(*) from results where output like '%<script>%'").fetchone()
    assert errors == 2 and outputs == 2  # a provider error and an output per run carry the payload


@pytest.mark.parametrize("name", ["run.md", "cmp.md"])
def test_markdown_reports_escape_untrusted_text(hostile: Path, name: str) -> None:
    md = (hostile / name).read_text()
    assert "&lt;img src=" in md  # the planted text is in the report, as text
    prose = _outside_code(md)
    for marker in RAW_MARKERS:
        assert not re.search(marker, prose), (
            name,
            marker,
            [ln for ln in prose.splitlines() if re.search(marker, ln)][:3],
        )


@pytest.mark.parametrize("name", ["run.html", "cmp.html"])
def test_html_reports_escape_untrusted_text(hostile: Path, name: str) -> None:
    page = (hostile / name).read_text()
    assert "&lt;img src=" in page
    for marker in ["<img", "<script>alert", "<!-- hidden"]:
        assert marker not in page, (name, marker)


pytest.importorskip("streamlit")


def _ui_texts(db: Path, page: str, **params: Any) -> str:
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "workbench" / "ui" / "app.py"
    os.environ["WORKBENCH_DB"] = str(db)
    at = AppTest.from_file(str(app), default_timeout=60)
    at.run()
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.switch_page(f"routes/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "warning", "info", "error", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    return "\n".join(parts)


def test_ui_shows_untrusted_text_as_text(hostile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_DB", str(hostile / "r.db"))
    conn = sqlite3.connect(hostile / "r.db")
    error_id = conn.execute("select id from results where run_id = 2 and error is not null").fetchone()[0]
    echo_id = conn.execute("select id from results where run_id = 2 and error is null").fetchone()[0]
    pages = [
        ("matrix", {"run": 2, "cell": error_id}),
        ("matrix", {"run": 2, "cell": echo_id}),
        ("compare", {"base": 1, "head": 2, "item": 0}),
        ("overview", {}),
        ("recommendation", {"run": 2}),
    ]
    shown = ""
    for page, params in pages:
        text = _ui_texts(hostile / "r.db", page, **params)
        for marker in RAW_MARKERS:
            assert not re.search(marker, text), (
                page,
                marker,
                [ln for ln in text.splitlines() if re.search(marker, ln)][:3],
            )
        shown += text
    assert "&lt;img src=" in shown  # the provider error and the descriptions are on screen, escaped
