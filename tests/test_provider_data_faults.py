"""Provider data faults: a 200 whose body is not a usable chat completion, on both transports.

Every such answer ends as an ERROR row carrying its reason; the run completes (exit 100, never
exit 1), and nothing is cached. The default litellm transport crashed on `"choices": []` before.
Bounded: 2 tests x 2 attempts per case, all against 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI
from reliability_helpers import loopback_suite, query

# (name, body, reason on the lean transport, reason on litellm: litellm checks some shapes itself)
BAD_BODIES: list[tuple[str, Any, str, str]] = [
    ("empty choices", {"id": "x", "choices": []}, "no choices", "no choices"),
    ("null choices", {"id": "x", "choices": None}, "no choices", "'choices' that is not a list"),
    ("no choices key", {"id": "x"}, "no choices", "a response with no 'choices'"),
    ("choice not an object", {"choices": ["hi"]}, "choices[0] is not an object", "Invalid response object"),
    (
        "message not an object",
        {"choices": [{"message": "hi", "finish_reason": "stop"}]},
        "choices[0].message is not an object",
        "Invalid response object",
    ),
    (
        "usage not an object",
        {"choices": [{"message": {"content": "x"}}], "usage": "lots"},
        "usage is not an object",
        "Invalid response object",
    ),
    ("body is a list", [], "not a chat completion", "Empty or invalid response"),
]
TRANSPORTS = ["litellm", "openai-compatible"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("name,body,lean_reason,litellm_reason", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_malformed_completion_is_an_error_row_with_its_reason(
    fake_openai: FakeOpenAI, tmp_path: Path, transport: str, name: str, body: Any, lean_reason: str, litellm_reason: str
) -> None:
    from workbench.cli.main import cli

    reason = litellm_reason if transport == "litellm" else lean_reason
    fake_openai.default = {"body": body}
    suite = loopback_suite(
        tmp_path / "s.yaml",
        fake_openai.base_url,
        2,
        extra_provider_config={"transport": transport, "max_attempts": 2},
    )
    db = tmp_path / "r.db"
    res = CliRunner().invoke(cli, ["run", str(suite), "--db", str(db), "--no-progress", "-q"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 100, res.stderr
    assert "Internal error" not in res.stderr
    assert query(db, "select status, results, errors from runs") == [("completed", 2, 2)]
    rows = query(db, "select error, attempts from results order by test_idx")
    for error, attempts in rows:
        assert reason in error, error
        assert attempts == 2  # a malformed body is retried like the lean transport always did
    assert fake_openai.count == 4
    assert query(db, "select count(*) from cache") == [(0,)]


def test_a_provider_that_raises_is_an_error_row(tmp_path: Path) -> None:
    """A provider object raising anything (a plugin, a bug in a transport) errors its cells only."""
    import asyncio

    from workbench.run.engine import Engine, RunConfig
    from workbench.suite import load
    from workbench.types import Cell

    (tmp_path / "s.yaml").write_text("prompts: ['hi {{n}}']\nproviders: [echo]\ntests: [{vars: {n: 1}}]\n")
    suite = load(tmp_path / "s.yaml")

    class Exploding:
        async def call(self, request: Any) -> Any:
            raise IndexError("list index out of range")

    engine = Engine(suite, RunConfig(), db=None)  # type: ignore[arg-type]
    engine._providers[0] = Exploding()
    result = asyncio.run(engine.run_cell(Cell(0, 0, 0, 0, "none")))
    assert result.success is False
    assert result.error == "Provider error: IndexError: list index out of range"
