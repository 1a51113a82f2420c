"""`workbench optimize` against a scripted loopback model whose answers depend on which instructions
the prompt contains: planted necessary instructions (removing one breaks specific tests) and planted
unnecessary ones. The optimizer must drop every unnecessary one, keep every necessary one, stay
within --max-cost, and never write a version that fails the acceptance."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_openai_server import FakeOpenAI
from ui_tables import html_tables

from workbench.optimize.units import join, split_units
from workbench.optimize.version_file import next_version_path
from workbench.ui import widgets

ROOT = Path(__file__).resolve().parent.parent

NECESSARY = [
    "Classify the support ticket as REFUND or OTHER.",
    "- Prefix the answer with LABEL:",
    "- Answer in UPPERCASE.",
    "- End with a period.",
]
UNNECESSARY = [
    "You are a world-class ticket classifier with many years of experience in customer support.",
    "Be concise and friendly.",
    "- Think carefully about how the customer feels before you answer.",
    "Example: Ticket: where is my parcel -> LABEL: OTHER.",
]
PROMPT = (
    f"{UNNECESSARY[0]} {UNNECESSARY[1]}\n\n"
    f"{NECESSARY[0]}\n"
    f"{NECESSARY[1]}\n{NECESSARY[2]}\n{UNNECESSARY[2]}\n{NECESSARY[3]}\n\n"
    f"{UNNECESSARY[3]}\n\n"
    "Ticket: {{ticket}}\n"
)


def scripted_model(body: dict[str, Any]) -> dict[str, Any]:
    """Classifies by keyword; the format follows only the instructions present in the prompt."""
    prompt = "\n".join(str(m.get("content")) for m in body["messages"])
    ticket = prompt.rsplit("Ticket:", 1)[1]
    answer = "refund" if "money back" in ticket or "refund" in ticket else "other"
    if "Classify the support ticket as REFUND or OTHER." not in prompt:
        answer = "not sure what you want"
    if "Answer in UPPERCASE" in prompt:
        answer = answer.upper()
    if "Prefix the answer with LABEL:" in prompt:
        answer = "LABEL: " + answer
    if "End with a period" in prompt:
        answer += "."
    return {"content": answer, "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 3}}


def project(tmp_path: Path, server: FakeOpenAI, **config: Any) -> Path:
    family = tmp_path / "prompts" / "tickets"
    family.mkdir(parents=True)
    (family / "v1.txt").write_text(PROMPT)
    tickets = ["I want my money back", "refund please", "where is my order", "change my address"] * 3
    asserts = [
        {"type": "regex", "value": "^LABEL: "},  # needs the prefix instruction
        {"type": "regex", "value": "(REFUND|OTHER)"},  # needs UPPERCASE
        {"type": "regex", "value": "\\.$"},  # needs the period
    ]
    tests = [
        {
            "vars": {"ticket": t},
            "assert": [
                asserts[i % 3],
                {"type": "icontains", "value": "refund" if "money" in t or "refund" in t else "other"},
            ],
        }
        for i, t in enumerate(tickets)
    ]
    suite = {
        "prompts": ["file://prompts/tickets/v1.txt"],
        "providers": [
            {
                "id": "openai:chat:scripted",
                "config": {
                    "apiBaseUrl": server.base_url,
                    "transport": "openai-compatible",
                    "input_cost_per_1m": 1000,
                    "output_cost_per_1m": 1000,
                    **config,
                },
            }
        ],
        "tests": tests,
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def optimize(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "optimize", *args, "--db", str(tmp_path / "r.db")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )


def test_drops_every_unnecessary_instruction_and_keeps_every_necessary_one(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite), "--requests-per-day", "10000")
    assert r.returncode == 0, r.stderr
    written = tmp_path / "prompts" / "tickets" / "v2.txt"
    assert r.stdout.startswith(f"Wrote {written.relative_to(tmp_path)}") or r.stdout.startswith(f"Wrote {written}")
    text = written.read_text()
    header, body = text.split(" #}", 1)
    assert "\n" not in header
    for line in NECESSARY:
        assert line in body
    for sentence in UNNECESSARY:
        assert sentence not in body
    assert body.rstrip("\n").endswith("Ticket: {{ticket}}")
    assert text.startswith("{# workbench optimize") and "verified on" in header
    assert (tmp_path / "prompts" / "tickets" / "v1.txt").read_text() == PROMPT  # never overwritten
    assert re.search(r"Saves \$[0-9.]+/request, \$[0-9,.]+/month at 10,000 requests/day", r.stdout)

    # the written version passes the suite as a user would run it (the header renders to nothing)
    rerun = yaml.safe_load(suite.read_text())
    rerun["prompts"] = ["file://prompts/tickets/v2.txt"]
    (tmp_path / "v2.yaml").write_text(yaml.safe_dump(rerun))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    check = subprocess.run(
        [sys.executable, "-m", "workbench", "run", "v2.yaml", "--db", str(tmp_path / "check.db")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    sent = fake_openai.requests[-1]["body"]["messages"][-1]["content"]
    assert "workbench optimize" not in sent and "{#" not in sent

    # the search is stored: every candidate is a run, and the optimization row holds the evidence
    with sqlite3.connect(tmp_path / "r.db") as conn:
        runs = conn.execute("select count(*) from runs where label = 'optimize tickets/v1'").fetchone()[0]
        (result,) = conn.execute("select result from optimizations").fetchone()
    assert runs == 1 + len(NECESSARY) + len(UNNECESSARY)  # the original + one candidate per unit
    assert '"frontier"' in result and '"winner_text"' in result


def test_never_writes_a_version_that_fails_and_reports_what_each_removal_broke(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite))
    assert r.returncode == 0, r.stderr
    dropped = [line for line in r.stdout.splitlines() if " dropped " in line]
    assert len(dropped) == len(NECESSARY)
    broke = sorted(int(m.group(1)) for m in (re.search(r"breaks (\d+) passing", x) for x in dropped) if m)
    assert broke == [4, 4, 4, 12]  # each format instruction guards 4 tests; the task line all 12


def test_stays_within_max_cost(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai, max_tokens=5)  # the budget reserves max_tokens per call
    # one run of the original: 12 calls of ~55 prompt tokens + 3 out at $1000/1M = ~$0.7
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite), "--max-cost", "2.0")
    assert r.returncode == 0, r.stderr
    assert "stopped early: max cost" in r.stdout
    assert r.stdout.startswith("Wrote ")  # the candidates that fitted still found a cheaper version
    with sqlite3.connect(tmp_path / "r.db") as conn:
        (spent,) = conn.execute("select sum(cost) from results").fetchone()
    assert 0 < spent <= 2.0


def test_nothing_cheaper_writes_nothing(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    prompt = tmp_path / "prompts" / "tickets" / "v1.txt"
    prompt.write_text("\n".join(NECESSARY) + "\n\nTicket: {{ticket}}\n")
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("No cheaper version of tickets/v1 held the suite; nothing written.")
    assert sorted(p.name for p in prompt.parent.iterdir()) == ["v1.txt"]


def test_unknown_target_is_one_line_exit_2(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = project(tmp_path, fake_openai)
    r = optimize(tmp_path, "tickets/v9", "--suite", str(suite))
    assert r.returncode == 2
    assert r.stderr.strip() == f"Error: optimize: tickets/v9 is not a prompt of {suite} (it has tickets/v1)"
    assert not (tmp_path / "r.db").exists()


def test_units_round_trip_and_protect_the_input() -> None:
    units = split_units(PROMPT)
    assert join(PROMPT, False, units, set()) == PROMPT
    protected = [u.text for u in units if u.protected]
    assert protected == ["Ticket: {{ticket}}\n"]
    texts = [u.text for u in units]
    for line in NECESSARY + UNNECESSARY[2:]:
        assert line in texts


def test_next_version_never_overwrites(tmp_path: Path) -> None:
    for name in ("v1.md", "v2.md", "v10.md", "draft.md"):
        (tmp_path / name).write_text("x")
    assert next_version_path(tmp_path / "v2.md").name == "v11.md"
    assert next_version_path(tmp_path / "draft.md").name == "draft-opt.md"
    (tmp_path / "draft-opt.md").write_text("x")
    assert next_version_path(tmp_path / "draft.md").name == "draft-opt2.md"


@pytest.mark.parametrize("chat", [True])
def test_chat_prompts_split_message_by_message(chat: bool) -> None:
    import json

    template = json.dumps(
        [{"role": "system", "content": "Be brief. Answer in UPPERCASE."}, {"role": "user", "content": "{{q}}"}]
    )
    units = split_units(template, chat)
    assert [(u.message, u.text, u.protected) for u in units] == [
        (0, "Be brief.", False),
        (0, "Answer in UPPERCASE.", False),
        (1, "{{q}}", True),
    ]
    out = json.loads(join(template, chat, units, {0}))
    assert out == [{"role": "system", "content": "Answer in UPPERCASE."}, {"role": "user", "content": "{{q}}"}]


def rewriting_model(drop_placeholder: bool) -> Any:
    """The scripted model, which also answers rewrite requests: the template without bullet marks."""

    def respond(body: dict[str, Any]) -> Any:
        prompt = "\n".join(str(m.get("content")) for m in body["messages"])
        if prompt.startswith("Rewrite the prompt template below"):
            template = prompt.split("---\n", 1)[1].rsplit("\n---", 1)[0]
            shorter = template.replace("- ", "")
            return shorter.replace("{{ticket}}", "") if drop_placeholder else shorter
        return scripted_model(body)

    return respond


@pytest.mark.parametrize("drop_placeholder", [False, True])
def test_a_rewrite_is_verified_like_any_candidate(
    fake_openai: FakeOpenAI, tmp_path: Path, drop_placeholder: bool
) -> None:
    fake_openai.responder = rewriting_model(drop_placeholder)
    suite = project(tmp_path, fake_openai)
    prompt = tmp_path / "prompts" / "tickets" / "v1.txt"
    prompt.write_text("\n".join(NECESSARY) + "\n\nTicket: {{ticket}}\n")
    config = yaml.safe_load(suite.read_text())
    rewriter = {"id": "openai:chat:rewriter", "label": "rewriter", "config": dict(config["providers"][0]["config"])}
    config["providers"].append(rewriter)
    suite.write_text(yaml.safe_dump(config))
    r = optimize(
        tmp_path,
        "tickets/v1",
        "--suite",
        str(suite),
        "--model",
        "openai:chat:scripted",
        "--rewriter",
        "rewriter",
        "--no-write",
    )
    assert r.returncode == 0, r.stderr
    if drop_placeholder:
        assert "rewrite dropped placeholder(s) ticket: not evaluated" in r.stderr
        assert r.stdout.startswith("No cheaper version")
    else:
        assert r.stdout.startswith("A cheaper version was found")
        assert re.search(r"#\d+ +\d+ tokens +kept +rewrite", r.stdout), r.stdout


def test_the_versions_page_shows_a_finished_optimization(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite), "--requests-per-day", "1000")
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "r.db"))
    at = AppTest.from_file(str(ROOT / "workbench" / "ui" / "app.py"), default_timeout=60)
    at.run()
    at.query_params["family"] = "tickets"
    at.switch_page("routes/versions.py").run()
    assert not at.exception, [e.message for e in at.exception]
    [success] = [s.value for s in at.success]
    assert success.startswith("Wrote `") and "v2.txt`" in success and "0 test cells broken" in success
    assert any("/month at 1,000 requests/day" in c.value for c in at.caption)
    [chart] = [m.value for m in at.markdown if str(m.value).startswith("<div>\n<svg")]
    assert "template tokens</text>" in chart and ">#0</text>" in chart  # labelled points
    [diff] = [m.value for m in at.markdown if "line-through" in str(m.value)]
    assert "world-class ticket classifier" in diff  # removed, struck through
    [evidence] = [t for t in html_tables(at) if "verdict" in t.headers]  # a static HTML table (issue 18)
    assert evidence.headers == ["#", "change", "tokens", "pass", "pass rate", "broken", "verdict", "why", "run", "cost"]
    verdicts = evidence.column("verdict")
    assert verdicts.count("dropped") == len(NECESSARY)
    assert evidence.column("change")[0] == "original"
    # Kept candidates green, dropped ones red; each dropped one says why.
    for row, style in zip(evidence.rows, evidence.styles, strict=True):
        kept = row["verdict"] == "kept"
        assert style["verdict"] == (widgets.PASS_BG if kept else widgets.FAIL_BG)
        assert kept or row["why"]


def test_a_chat_winner_is_written_as_yaml_with_comment_provenance(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Few-shot examples are units removed whole; the successor of a chat prompt loads as one."""
    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    family = tmp_path / "prompts" / "tickets"
    (family / "v1.txt").unlink()
    messages = [
        {"role": "system", "content": " ".join(NECESSARY) + " " + UNNECESSARY[1]},
        {"role": "user", "content": "Ticket: my parcel is late"},
        {"role": "assistant", "content": "LABEL: OTHER."},
        {"role": "user", "content": "Ticket: {{ticket}}"},
    ]
    (family / "v1.yaml").write_text(yaml.safe_dump(messages, sort_keys=False))
    config = yaml.safe_load(suite.read_text())
    config["prompts"] = ["file://prompts/tickets/v1.yaml"]
    suite.write_text(yaml.safe_dump(config))
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite))
    assert r.returncode == 0, r.stderr
    written = family / "v2.yaml"
    text = written.read_text()
    assert text.startswith("# workbench optimize")
    kept = yaml.safe_load(text)
    assert [m["role"] for m in kept] == ["system", "user"]  # the example went whole
    # tokens compare the messages, not their JSON layout (the candidates are indented JSON)
    assert re.search(r"(\d+) -> (\d+) template tokens", r.stdout)
    before, after = map(int, re.search(r"(\d+) -> (\d+) template tokens", r.stdout).groups())  # type: ignore[union-attr]
    assert after < before
    assert UNNECESSARY[1] not in kept[0]["content"] and all(n in kept[0]["content"] for n in NECESSARY)


def test_compressed_units_are_verified_like_any_candidate(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """`--compress METHOD:RATE` (here the test plugin's `first-words` compressor): a unit whose
    compression keeps what the model needs is kept shorter; one whose compression breaks a test is not."""
    from test_plugins import install_plugin

    fake_openai.responder = scripted_model
    suite = project(tmp_path, fake_openai)
    prompt = tmp_path / "prompts" / "tickets" / "v1.txt"
    prompt.write_text(
        "Classify the support ticket as REFUND or OTHER.\n"
        "Prefix the answer with LABEL: and never add anything else in front of it, whatever happens.\n"
        "- Answer in UPPERCASE.\n- End with a period.\n\nTicket: {{ticket}}\n"
    )
    site = tmp_path / "site"
    install_plugin(site)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "optimize", "tickets/v1", "--suite", str(suite),
         "--compress", "first-words:0.5", "--db", str(tmp_path / "r.db")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    candidates = r.stdout.split("Candidates:", 1)[1].split("\n\n", 1)[0].splitlines()
    compressed = [line for line in candidates if "compressed (first-words:0.5)" in line]
    assert len(compressed) == 2, r.stdout
    kept = [x for x in compressed if " kept " in x]
    dropped = [x for x in compressed if " dropped " in x]
    assert len(kept) == 1 and "Prefix the answer" in kept[0]
    assert len(dropped) == 1 and "Classify the support ticket" in dropped[0] and "breaks 12" in dropped[0]
    body = (prompt.parent / "v2.txt").read_text().split(" #}", 1)[1]
    assert "Prefix the answer with LABEL: and never add" in body and "whatever happens" not in body
    assert "Classify the support ticket as REFUND or OTHER." in body


def test_unknown_compressor_is_one_line_before_any_call(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = project(tmp_path, fake_openai)
    r = optimize(tmp_path, "tickets/v1", "--suite", str(suite), "--compress", "zip:0.5")
    assert r.returncode == 2 and r.stderr.startswith("Error: variant 'zip:0.5': unknown method 'zip'")
    assert fake_openai.count == 0
