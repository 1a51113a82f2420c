"""The demo's decision suite (suites/order_number.yaml): enough tests for an interval, two prompt
versions and a compression variant, short answers from the embedded model, and, on the model
itself, a good prompt that passes where a bad one fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.suite import load as load_suite

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "suites" / "order_number.yaml"


def test_decision_suite_shape() -> None:
    suite = load_suite(SUITE)
    assert suite.warnings == []
    assert len(suite.tests) >= 20
    assert sorted(f"{p.family}/{p.version}" for p in suite.prompts) == ["order_number/v1", "order_number/v2"]
    assert suite.settings.variants == ["none", "llmlingua:0.5"]
    [local] = suite.providers  # no echo: the decision is between real answers
    assert local.id == "local:smollm2-135m" and local.config["max_tokens"] <= 8
    assert suite.settings.acceptance == {"min_pass_rate": 0.85}
    assert (
        suite.settings.prices is None and "prices" not in suite.settings.given
    )  # priced by compute (compute:cpu-small), never a free $0
    # Every ticket holds its own order number exactly once, plus distractors in several.
    for t in suite.tests:
        assert t.vars["ticket"].count(t.vars["order"]) == 1, t.description


def test_demo_script_runs_decision_first() -> None:
    text = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    subprocess.run(["bash", "-n", str(ROOT / "scripts" / "demo.sh")], check=True)
    assert text.index("run suites/order_number.yaml") < text.index("recommend --run demo") < text.index("runs demo")
    assert "-r local:smollm2-135m" not in text  # -r would drop the suite's max_tokens


@pytest.mark.slow
def test_good_prompt_passes_where_the_bad_one_fails(tmp_path: Path) -> None:
    """Four tickets on the embedded model: few-shot v2 answers with the number, zero-shot v1 does not.
    A fresh models directory makes the run convert the GGUF: its progress bar must not leak."""
    out = tmp_path / "out.json"
    res = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(SUITE), "--db", str(tmp_path / "r.db"), "-q",
         "--variants", "none", "-n", "4", "--pass-rate-threshold", "0", "-o", str(out), "--no-cache"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "WORKBENCH_PROGRESS_SECONDS": "3600", "WORKBENCH_MODELS_DIR": str(tmp_path / "models")},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "models" / "smollm2-135m" / "q4" / "model.q4.safetensors").is_file()  # it did convert
    assert "Converting" not in res.stderr + res.stdout and "FutureWarning" not in res.stderr  # nothing leaks
    rows = json.loads(out.read_text())["results"]["results"]
    by_prompt: dict[int, list[dict]] = {}
    for r in rows:
        by_prompt.setdefault(r["promptIdx"], []).append(r)
    assert [r["success"] for r in by_prompt[1]] == [True] * 4
    assert [r["response"]["output"].strip() for r in sorted(by_prompt[1], key=lambda r: r["testIdx"])] == [
        "48213", "51907", "60342", "27815",
    ]  # fmt: skip
    assert not any(r["success"] for r in by_prompt[0])
