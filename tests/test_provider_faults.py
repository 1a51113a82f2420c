"""Provider faults: a loopback server failing ~30 % of requests (429, 500, timeouts, dropped
connections, malformed bodies). Every cell still ends with a result or a recorded error, every
attempt is counted, fallbacks are recorded, the summary reports them, and no failure is cached.

Bounded: 60 cells, at most 3 attempts on the primary and 2 on the fallback (a few hundred requests
at most), all on 127.0.0.1; a hang lasts 1 s against a 0.3 s client timeout.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI
from reliability_helpers import API_KEY, loopback_suite, query

N_TESTS = 60
PRIMARY, FALLBACK = "gpt-4o-mini", "gpt-4o"
FAULTS: list[dict[str, Any]] = [
    {"status": 429, "retry_after": 0},
    {"status": 500},
    {"hang": 1.0},
    {"drop": True},
    {"malformed": True},
]


class FaultyServer(FakeOpenAI):
    """Each request's behaviour is a function of (model, question number, times seen), so the
    outcome of each cell does not depend on the order concurrent requests arrive in.

    Question n % 10 == 0: the primary always fails (the fallback answers); n % 20 == 0: the
    fallback fails too (the cell is an ERROR row). Every other request fails with p = 0.3.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[tuple[str, int]] = Counter()
        self.faults: Counter[str] = Counter()
        self.ok: Counter[str] = Counter()

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        super()._next(body, headers)  # records the request
        model = str(body.get("model", ""))
        text = str((body.get("messages") or [{}])[-1].get("content", ""))
        m = re.search(r"Question (\d+)", text)
        n = int(m.group(1)) if m else -1
        with self._lock:
            k = self.seen[(model, n)]
            self.seen[(model, n)] += 1
            rng = random.Random(f"{model}:{n}:{k}")
            always = n % 10 == 0 if model == PRIMARY else n % 20 == 0
            fail = always or rng.random() < 0.3
            if not fail:
                self.ok[model] += 1
                return {}
            fault = FAULTS[(n + k) % len(FAULTS)]
            self.faults[next(iter(fault))] += 1
            return fault


@pytest.fixture
def faulty() -> Iterator[FaultyServer]:
    server = FaultyServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _run(suite: Path, db: Path, *extra: str) -> tuple[int, str, str]:
    from workbench.cli.main import cli

    res = CliRunner().invoke(
        cli, ["run", str(suite), "--db", str(db), "--no-progress", "-j", "8", *extra], catch_exceptions=False
    )
    return res.exit_code, res.stdout, res.stderr


@pytest.mark.slow
def test_thirty_percent_faults_every_cell_accounted_for(faulty: FaultyServer, tmp_path: Path) -> None:
    fallback = {"id": f"openai:chat:{FALLBACK}", "config": {"apiBaseUrl": faulty.base_url, "apiKey": API_KEY}}
    suite = loopback_suite(
        tmp_path / "suite.yaml",
        faulty.base_url,
        N_TESTS,
        extra_provider_config={"max_attempts": 3, "timeout": 0.3, "fallbacks": [fallback]},
        workbench={"retries": {"max_attempts": 2, "timeout": 0.3, "retry_base_delay": 0.01}},
    )
    db = tmp_path / "faults.db"
    code, out, err = _run(suite, db)
    assert code == 100, err  # some cells are ERROR rows, so the pass rate is below 100 %
    assert "Traceback" not in err

    # The server really failed about 30 % of requests, with every kind of fault.
    total = faulty.count
    assert total <= 400
    assert set(faulty.faults) == {"status", "hang", "drop", "malformed"}
    assert 0.25 <= sum(faulty.faults.values()) / total <= 0.6

    rows = query(db, "select cell_key, output, error, attempts, fallback_used, cached, success from results")
    assert len(rows) == N_TESTS == len({r[0] for r in rows})
    for key, output, error, attempts, _, cached, success in rows:
        assert (output is None) != (error is None), key  # a result or a recorded error, never neither
        assert attempts >= 1 and cached == 0
        if error is None:
            assert success == 1, key

    # Every request that reached the server is counted as an attempt on some row (no hidden SDK
    # retries). Attempts can exceed requests: one that died before arriving (a pooled connection the
    # server had dropped, a timeout while connecting) is a real failed attempt too.
    attempts = sum(r[3] for r in rows)
    assert total <= attempts <= total + sum(faulty.faults.values())
    # Fallbacks: each cell the fallback answered is marked; n % 20 == 0 cells are errors.
    fell_back = [r for r in rows if r[4]]
    assert len(fell_back) == faulty.ok[FALLBACK] >= N_TESTS // 10 - N_TESTS // 20
    assert {r[4] for r in fell_back} == {f"openai:chat:{FALLBACK}"}
    errors = [r for r in rows if r[2] is not None]
    assert len(errors) >= N_TESTS // 20

    # The summary reports the retries and fallbacks.
    retries = sum(r[3] - 1 for r in rows)
    last = next(ln for ln in out.splitlines() if ln.startswith("Run 1 "))
    assert f"{len(errors)} errors" in last
    assert f"{retries} retries, {len(fell_back)} fallbacks" in last

    # Nothing is cached from a failed call: one entry per successful cell, none holding an error.
    cache = query(db, "select response from cache")
    assert len(cache) == N_TESTS - len(errors)
    assert all(json.loads(r)["error"] is None for (r,) in cache)

    # A re-run answers the successes from the cache and calls again for the errors only.
    before = faulty.count
    code, out, err = _run(suite, db)
    hits = query(db, "select sum(cached), sum(error is not null) from results where run_id = 2")[0]
    assert hits[0] == N_TESTS - len(errors)
    assert faulty.count > before  # the failed cells were called again
    assert query(db, "select count(*) from results where run_id = 2 and cached = 1 and error is not null") == [(0,)]
