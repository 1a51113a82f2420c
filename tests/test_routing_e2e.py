"""End to end: `workbench run` on the routing example suite through two priced loopback models,
then `route train`, `route eval`, `route predict` and `recommend`, all through the real CLI.

The server (tests/routing_models.py) answers as `openai/cheap-model` and `openai/strong-model`
through litellm (`apiBaseUrl` to 127.0.0.1); the cheap one drops the order id on long, non-English
and chargeback tickets. Prices come from the suite's `input_cost_per_token` /
`output_cost_per_token`.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from routing_models import TicketModels, is_hard, parse_ticket_prompt

from workbench.cli.main import cli
from workbench.store.db import open_db

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "suites"))
import make_routing_demo  # noqa: E402

CHEAP, STRONG = "openai/cheap-model", "openai/strong-model"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One run of the 80-ticket suite on both models and one trained router, shared by the tests."""
    tmp = tmp_path_factory.mktemp("routing-e2e")
    server = TicketModels().start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(tmp / "home"))
        mp.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        suite = tmp / "routing_demo.yaml"
        # the prompt file lives in the suite's project (file:// reads are confined to it)
        (tmp / "prompts" / "ticket_summary").mkdir(parents=True)
        shutil.copy(ROOT / "prompts" / "ticket_summary" / "v2.md", tmp / "prompts" / "ticket_summary" / "v2.md")
        prompt = "file://prompts/ticket_summary/v2.md"
        suite.write_text(make_routing_demo.render(server.base_url, prompt), encoding="utf-8")
        db = str(tmp / "wb.db")
        try:
            run_out = CliRunner().invoke(cli, ["run", str(suite), "--db", db, "--no-progress", "-j", "8"])
            train_out = invoke(
                "route", "train", "--suite", str(suite), "--cheap", CHEAP, "--strong", STRONG, "--name", "demo",
                "--db", db,
            )  # fmt: skip
        finally:
            server.stop()
        yield {"db": db, "suite": suite, "run": run_out, "train": train_out, "requests": len(server.requests)}


def test_run_went_through_the_loopback_models(project: dict[str, Any]) -> None:
    assert project["run"].exit_code == 100, project["run"].output  # below the 100 % default threshold
    assert project["requests"] == 160  # 80 tests x 2 models, nothing cached
    db = open_db(project["db"])
    rows = list(db.query("select provider_label, prompt, success, cost, tokens_in, tokens_out, error from results"))
    assert len(rows) == 160 and all(r["error"] is None for r in rows)
    prices = make_routing_demo.PRICES
    for r in rows:  # priced through the provider config keys, from the server's usage
        pin, pout = prices[r["provider_label"]]
        assert r["cost"] == pytest.approx(r["tokens_in"] * pin + r["tokens_out"] * pout)
    by_model: dict[str, list[dict[str, Any]]] = {CHEAP: [], STRONG: []}
    for r in rows:
        by_model[r["provider_label"]].append(r)
    hard_failed = [not r["success"] for r in by_model[CHEAP] if is_hard(parse_ticket_prompt(r["prompt"])["ticket"])]
    assert len(hard_failed) == 25 and all(hard_failed)  # the cheap model fails every hard ticket
    assert sum(r["success"] for r in by_model[CHEAP]) == 53  # and 2 easy ones (its hash slips)
    assert sum(r["success"] for r in by_model[STRONG]) == 79


def test_train_and_eval_numbers_are_sane(project: dict[str, Any]) -> None:
    assert "80 tests from runs 1, logistic+sigmoid-calibration" in project["train"]
    assert "The router beats random routing at the same cost" in project["train"]
    data = json.loads(
        invoke("route", "eval", "--name", "demo", "--requests-per-day", "10000", "--json", "--db", project["db"])
    )
    s, ev = data["summary"], data["evaluation"]
    db = open_db(project["db"])
    mean_cost = dict(db.execute("select provider_label, avg(cost) from results group by provider_label").fetchall())
    assert ev["cheap"]["cost_per_request"] == pytest.approx(mean_cost[CHEAP])
    assert ev["strong"]["cost_per_request"] == pytest.approx(mean_cost[STRONG])
    assert ev["cheap"]["pass_rate"] == pytest.approx(53 / 80) and ev["strong"]["pass_rate"] == pytest.approx(79 / 80)
    routed = s["routed"]
    assert ev["cheap"]["cost_per_request"] < routed["cost_per_request"] < ev["strong"]["cost_per_request"]
    assert routed["pass_rate"] >= 0.9 > ev["cheap"]["pass_rate"]  # meets the suite's target; cheap alone does not
    assert 0.25 <= routed["strong_share"] <= 0.5  # about the hard third, not everything
    assert routed["pgr"] > 0.6 and ev["apgr"] > 0.6 and s["beats_random"]
    assert s["single_cheapest_acceptable"]["model"] == STRONG and s["choice"] == "routed"
    month = 10000 * 30
    assert s["monthly_saving"] == pytest.approx(month * (ev["strong"]["cost_per_request"] - routed["cost_per_request"]))
    assert s["monthly_saving"] > 0.4 * month * ev["strong"]["cost_per_request"]  # saves at least 40 %
    text = invoke("route", "eval", "--name", "demo", "--requests-per-day", "10000", "--db", project["db"])
    assert "At 10,000 requests/day: routed $" in text and f"vs {STRONG} $" in text
    assert text.splitlines()[-1].startswith("Ship: the router.")


def render_v2(vars: dict[str, str]) -> str:
    from workbench.render.templating import render

    return render((ROOT / "prompts" / "ticket_summary" / "v2.md").read_text(encoding="utf-8"), vars)


def test_predict_sends_hard_inputs_to_the_strong_model(project: dict[str, Any]) -> None:
    from workbench.routing.predict import load_router, predict

    router = load_router(open_db(project["db"]), "demo")
    tests = [t["vars"] for t in make_routing_demo.tickets()]
    decisions = [(is_hard(v["ticket"]), predict(router, render_v2(v), v).model) for v in tests]
    hard = [m for h, m in decisions if h]
    easy = [m for h, m in decisions if not h]
    assert hard.count(STRONG) >= 0.9 * len(hard)
    assert easy.count(CHEAP) >= 0.9 * len(easy)

    # New tickets, never seen in training, through the CLI.
    base = {"customer_name": "Eva Novak", "order_id": "NW-777001", "product": "Summit down jacket"}
    german = {
        **base,
        "ticket": "Meine Jacke ist beschädigt angekommen, ich möchte bitte eine neue. Die Naht ist nicht gut.",
    }
    short = {**base, "ticket": "The discount code did not apply when I bought the Summit down jacket. Can you fix it?"}
    for vars, expected in ((german, STRONG), (short, CHEAP)):
        out = invoke(
            "route", "predict", "--name", "demo", "--vars", json.dumps(vars), "--json", render_v2(vars),
            "--db", project["db"],
        )  # fmt: skip
        decision = json.loads(out)
        assert decision["model"] == expected, decision
        assert (decision["p_pass_cheap"] < decision["threshold"]) == (expected == STRONG)


def test_committed_suite_is_the_generators_output() -> None:
    assert (ROOT / "suites" / "routing_demo.yaml").read_text(encoding="utf-8") == make_routing_demo.render()
