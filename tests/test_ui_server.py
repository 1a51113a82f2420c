"""The `workbench ui` server entry (workbench/ui/server.py): Streamlit's CLI plus a background
preload of the pages' modules once the runtime is up. The served pages themselves are checked in
tests/test_ui_browser.py, which starts the server through `workbench ui`."""

from __future__ import annotations

import gc
import json
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
    assert server.PRELOAD[:3] == ("workbench.tokens", "workbench.ui.data", "workbench.ui.views.overview_view")


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


PAGES_IMPORT = """
import json, sys
from workbench.ui import server
failed = server.preload()
heavy = ("altair", "jsonschema", "narwhals", "workbench.report")
print(json.dumps({"failed": failed, "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


def test_the_pages_import_no_altair() -> None:
    """Every page's module (the preload list) loads without Altair (~0.25 s of a new server's CPU):
    the charts are SVG strings (`ui/svg_charts.py`), and no view imports it. Nor the report
    writers (the pages escape text with the foundation module `workbench.md_escape`)."""
    out = subprocess.run([sys.executable, "-c", PAGES_IMPORT], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"failed": [], "loaded": []}


WRITE_SIDE_IMPORT = """
import json, sys
from workbench.ui import server
failed = server.preload()
write_side = ("jinja2", "litellm", "workbench.render", "workbench.suite", "workbench.assertions",
              "workbench.runtimes", "workbench.compression", "workbench.run", "workbench.store.writer",
              "workbench.routing.train")
loaded = sorted(m for m in sys.modules if any(m == w or m.startswith(w + ".") for w in write_side))
providers = sorted(m for m in sys.modules if m.startswith("workbench.providers."))
print(json.dumps({"failed": failed, "loaded": loaded, "providers": providers}))
"""


def test_the_pages_import_no_write_side() -> None:
    """The pages only read the database: their modules (the preload list) load neither the engine's
    side (jinja2 templating, suite loading, the assertions, the run writer, router training) nor
    any provider (litellm, the registry of built-ins), only the price and test-double rules of
    providers/ (~0.3 s of a new server's CPU before: `store.queries` reached the registry through
    the providers package, `store.optimizations`, `store.orphaned_runs` and `routing.train` the
    assertion table through the run writer)."""
    out = subprocess.run(
        [sys.executable, "-c", WRITE_SIDE_IMPORT], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["failed"] == []
    assert got["loaded"] == []
    assert set(got["providers"]) <= {
        "workbench.providers.pricing",
        "workbench.providers.machine_cost",
        "workbench.providers.test_doubles",
    }, got["providers"]


def test_component_scan_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's start-up scan of every installed distribution for v2 components (~0.2 s) finds
    none: the runtime's discovery reads the function `skip_component_scan` replaced."""
    from streamlit.components.v2 import component_manager, manifest_scanner

    calls: list[int] = []
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", lambda *a, **k: calls.append(1) or [])
    manager = component_manager.BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    assert calls == [1]  # the discovery calls whatever the module holds at the time
    assert server.skip_component_scan() is True
    assert manifest_scanner.scan_component_manifests is server._no_components
    manager.discover_and_register_components(start_file_watching=False)
    assert calls == [1]
