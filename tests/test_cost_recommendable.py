"""Issue 15, defects 5 and 6: test doubles never win; a model you host is priced by compute and can win."""

from __future__ import annotations

from pathlib import Path

import pytest
from cost_suites import cli_run, provider, recommend_json, write_suite
from fake_openai_server import FakeOpenAI

from workbench.providers.local import LocalProvider
from workbench.providers.machine_cost import MACHINES
from workbench.providers.test_doubles import test_double_reason
from workbench.types import ProviderSpec


def test_echo_is_never_recommended(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Defect 5: echo passes every test at $0; the old code picked it. It is excluded with a reason."""
    db = tmp_path / "wb.db"
    suite = write_suite(
        tmp_path / "s.yaml",
        ["echo", provider(fake_openai, "real-model", (1, 2))],
        asserts=[{"type": "icontains", "value": "question"}],  # echo returns the prompt: it passes
    )
    assert cli_run("run", str(suite), "--db", str(db))[0] == 0
    rec = recommend_json(db)
    assert rec["pick"]["model"] == "real-model"
    assert {e["pair"]: e["reasons"] for e in rec["excluded"]}[rec["pairs"][0]["name"]] == [
        "test double: echo returns the rendered prompt"
    ]
    code, out = cli_run("recommend", "--db", str(db))
    assert code == 0
    assert "Pick: " in out and "· real-model" in out.split("Pick: ")[1].splitlines()[0]


def test_marked_and_listed_test_doubles_are_excluded(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = write_suite(
        tmp_path / "s.yaml",
        [
            provider(fake_openai, "replay", (0, 0), test_double="replays canned answers"),
            provider(fake_openai, "canned", (0, 0)),
            provider(fake_openai, "real-model", (1, 2)),
        ],
        workbench={"test_doubles": ["canned"]},
    )
    cli_run("run", str(suite), "--db", str(db))
    rec = recommend_json(db)
    assert rec["pick"]["model"] == "real-model"  # the $0 doubles are cheaper but never win
    reasons = {e["pair"].split(" · ")[-1]: e["reasons"] for e in rec["excluded"]}
    assert reasons == {
        "replay": ["test double: marked `test_double` in its config (replays canned answers)"],
        "canned": ["test double: listed in workbench.test_doubles (canned)"],
    }


def test_only_test_doubles_says_so(tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", ["echo"], asserts=[{"type": "icontains", "value": "question"}])
    cli_run("run", str(suite), "--db", str(db))
    rec = recommend_json(db)
    assert rec["pick"] is None
    assert rec["verdict"].endswith("every pair runs on a test double (test double: echo returns the rendered prompt)")


def test_reason_rules() -> None:
    assert test_double_reason("scripted:grader") == "test double: scripted: provider"
    assert test_double_reason("openai:gpt-4o-mini") is None
    assert test_double_reason("openai:x", None, {"test_double": False}) is None
    assert (
        test_double_reason("openai:x", "lbl", None, ["openai:"])
        == "test double: listed in workbench.test_doubles (openai:)"
    )


def test_a_self_hosted_model_priced_by_compute_can_be_the_pick(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Defect 6 (and build item 5): a model on your own machine costs $/hour x busy time, so it can win."""
    fake_openai.by_model["my-llama"] = {"delay": 0.2}
    db = tmp_path / "wb.db"
    suite = write_suite(
        tmp_path / "s.yaml",
        [provider(fake_openai, "my-llama", machine="cpu-small"), provider(fake_openai, "api-model", (1, 2))],
        n_tests=4,
    )
    assert cli_run("run", str(suite), "--db", str(db))[0] == 0
    rec = recommend_json(db)
    local = next(p for p in rec["pairs"] if p["model"] == "my-llama")
    rate = MACHINES["cpu-small"][0]
    assert local["price"]["source"] == "compute:cpu-small" and local["price"]["per_hour"] == rate
    # $/hour x measured busy time (the call's latency, >= the server's 0.2 s delay)
    assert local["mean_cost"] == pytest.approx(rate * local["mean_latency_ms"] / 3.6e6)
    assert local["mean_cost"] >= rate * 0.2 / 3600
    assert rec["pick"]["model"] == "my-llama"  # ~5e-6 $/request vs 2.5e-5 for the API model


def test_embedded_local_model_defaults_to_the_small_cpu_machine() -> None:
    p = LocalProvider(ProviderSpec(id="local:smollm2-135m")).price
    assert p is not None and p.source == "compute:cpu-small" and p.per_hour == MACHINES["cpu-small"][0]
    assert p.cost(100, 20, None, 1800.0) == pytest.approx(MACHINES["cpu-small"][0] / 2000)  # 1.8 s of an hour
    gpu = LocalProvider(ProviderSpec(id="local:smollm2-135m", config={"machine": "gpu"})).price
    assert gpu is not None and gpu.per_hour == MACHINES["gpu"][0]
    priced = LocalProvider(ProviderSpec(id="local:smollm2-135m", config={"cost_per_hour": 0.5})).price
    assert priced is not None and priced.cost(1, 1, None, 3_600_000) == pytest.approx(0.5)


@pytest.mark.slow
def test_recommend_can_pick_the_embedded_local_model(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """The real local model, unpriced in the suite: priced by compute, it is recommended over an API model."""
    db = tmp_path / "wb.db"
    suite = write_suite(
        tmp_path / "s.yaml",
        [{"id": "local:smollm2-135m", "config": {"max_tokens": 4}}, provider(fake_openai, "api-model", (30, 60))],
        n_tests=2,
        asserts=[{"type": "javascript", "value": "true"}],
    )
    assert cli_run("run", str(suite), "--db", str(db))[0] == 0
    rec = recommend_json(db)
    local = next(p for p in rec["pairs"] if p["model"] == "local:smollm2-135m")
    assert local["price"]["source"] == "compute:cpu-small"
    assert local["mean_cost"] == pytest.approx(MACHINES["cpu-small"][0] * local["mean_latency_ms"] / 3.6e6)
    assert rec["pick"]["model"] == "local:smollm2-135m", rec["verdict"]
