from __future__ import annotations

import json
from pathlib import Path

from analysis_data import R, make_run, prompt
from click.testing import CliRunner

from workbench.cli.main import cli
from workbench.store.db import open_db


def seed(db_path: Path) -> None:
    db = open_db(db_path)
    prompts = [
        prompt("ticket", "v1", "Summarize.\n{{text}}\n"),
        prompt("ticket", "v2", "Summarize briefly.\n{{text}}\n"),
    ]
    results = [R(0, 0, t, ok=True, output=f"long answer {t}") for t in range(3)]
    results += [R(1, 0, t, ok=t != 1, output=f"short {t}", tokens_in=90) for t in range(3)]
    make_run(db, results, prompts=prompts, providers=["mini"])


def test_diff_text(db_path: Path) -> None:
    seed(db_path)
    res = CliRunner().invoke(cli, ["diff", "ticket", "v1", "v2", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("--- ticket/v1 (") and lines[1].startswith("+++ ticket/v2 (")
    assert "-Summarize." in lines and "+Summarize briefly." in lines
    assert " {{text}}\nTokens: v1 7, v2 8 (+1, +14.3%)\n" in res.output
    assert "Results in run 1: v1 -> v2" in res.output
    assert "100.0% -> 66.7%" in res.output and "-33.3 pt" in res.output
    assert "Flipped tests: 1 broke, 0 fixed" in res.output
    assert (
        "  broke test 1 test 1 · none · mini (repeat 0)\n    v1: [-long answer-] 1\n    v2: {+short+} 1\n" in res.output
    )


def test_diff_json_and_missing_version(db_path: Path) -> None:
    seed(db_path)
    res = CliRunner().invoke(cli, ["diff", "ticket", "v1", "v2", "--db", str(db_path), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data["broke"] == 1 and data["deltas"][0]["delta"]["tokens_in"] == -10
    res = CliRunner().invoke(cli, ["diff", "ticket", "v1", "v3", "--db", str(db_path)])
    assert res.exit_code == 2
    assert res.output == "Error: prompt version ticket/v3 not found in the database or under prompts/ticket\n"
