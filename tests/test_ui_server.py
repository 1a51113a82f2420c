"""The `workbench ui` server entry (workbench/ui/server.py): Streamlit's CLI plus a background
preload of the pages' modules once the runtime is up. The served pages themselves are checked in
tests/test_ui_browser.py, which starts the server through `workbench ui`."""

from __future__ import annotations

import gc
import subprocess
import sys
import time

import pytest

pytest.importorskip("streamlit")

from workbench.ui import server


def test_preload_imports_in_order_and_reports_what_failed() -> None:
    sys.modules.pop("colorsys", None)
    assert server.preload(("colorsys", "workbench.no_such_module", "json")) == ["workbench.no_such_module"]
    assert "colorsys" in sys.modules


def test_the_preload_list_names_real_modules() -> None:
    assert server.preload() == []
    assert server.PRELOAD[:3] == ("altair", "workbench.tokens", "workbench.ui.data")  # app.py's order


def test_server_up_times_out_without_a_runtime() -> None:
    start = time.monotonic()
    assert server.server_up(timeout=0.3, poll=0.05) is False
    assert 0.25 <= time.monotonic() - start < 5


def test_preload_freezes_what_was_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the preload, the objects made so far are out of the full collections."""
    monkeypatch.setattr(server, "server_up", lambda: True)
    gc.unfreeze()
    try:
        server._preload_when_up()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_the_entry_runs_streamlits_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "workbench.ui.server", "version"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and "Streamlit, version" in out.stdout
