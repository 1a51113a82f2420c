"""Common fixtures: user state in a temp dir, offline env, paths to the in-repo compat corpora."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# promptfoo differential corpora, kept in the repo so a fresh clone needs nothing beside it.
COMPAT_DIR = ROOT / "tests" / "compat" / "differential"
REALWORLD_DIR = ROOT / "tests" / "compat" / "realworld"
# The real promptfoo (the oracle), optional: $WORKBENCH_PROMPTFOO or `promptfoo` on PATH.
PROMPTFOO = os.environ.get("WORKBENCH_PROMPTFOO") or shutil.which("promptfoo")

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# The converted local model (a ~15 s GGUF conversion) is shared by all tests and kept between
# runs in the checkout's .cache/ (git-ignored); test_local_model.py tests the conversion itself.
MODELS_DIR = ROOT / ".cache" / "models"
os.environ["WORKBENCH_MODELS_DIR"] = str(MODELS_DIR)


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own WORKBENCH_HOME and WORKBENCH_DB; API keys are removed."""
    home = tmp_path / "wb-home"
    home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "wb.db"))
    for key in list(os.environ):
        if key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    yield


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wb.db"


# Loopback servers as fixtures: `fake_openai` (chat completions), `fake_batches` (batch APIs).
pytest_plugins = ["fake_openai_server", "fake_batch_server"]
