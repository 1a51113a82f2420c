"""The `workbench ui` server process: Streamlit's CLI (`python -m workbench.ui.server run app.py ...`,
the same arguments as `python -m streamlit`), which imports the pages' modules in a background
thread as soon as the server is up.

A new server's first page otherwise imports them in its first script run (the store's
sqlite-utils, which imports pandas, and the analysis modules: ~0.5 s of CPU), after the browser has loaded Streamlit's JavaScript and
opened its session; here that happens while the browser is still loading it. The thread starts
once the runtime is up, so it does not delay the server's start, and imports in `app.py`'s order:
a script run that starts meanwhile waits on the same module locks in the same order (no
lock-order deadlock). A module that fails to import is left for its page to report. Then the
objects made so far are frozen out of the garbage collector's full collections (see below). The
pages' tables are static HTML (`html_table`): unlike the styled data grid they replaced (a pandas
Styler compiled its templates on first use, ~0.1 s, once warmed up here), the first table costs
what any later one does (~40 us), so nothing is warmed up.

Before the server listens, Streamlit's runtime scans the metadata of every installed distribution
for third-party v2 components (`streamlit.components.v2.manifest_scanner`): ~0.2 s of CPU in this
environment (136 distributions, their METADATA parsed as e-mail messages), on the path to a new
server's first page. The workbench pages use no third-party component, so `skip_component_scan`
makes that scan find none.
"""

from __future__ import annotations

import gc
import importlib
import threading
import time
from typing import Any

from streamlit.runtime import Runtime, RuntimeState

# app.py's imports, the default page's, then the other pages. (No page sends Arrow any more: the
# tables are HTML and the charts SVG, so pyarrow is no longer preloaded on its own.)
PRELOAD = (
    "workbench.tokens",
    "workbench.ui.data",
    "workbench.ui.views.overview_view",
    "workbench.ui.views.matrix_view",
    "workbench.ui.views.versions_view",
    "workbench.ui.views.guardrails_view",
    "workbench.ui.views.recommendation_view",
    "workbench.ui.views.cost_view",
    "workbench.ui.views.compare_view",
)


def server_up(timeout: float = 60.0, poll: float = 0.05) -> bool:
    """Wait until Streamlit's runtime has started (the server is listening); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Runtime.exists() and Runtime.instance().state != RuntimeState.INITIAL:
            return True
        time.sleep(poll)
    return False


def preload(names: tuple[str, ...] = PRELOAD) -> list[str]:
    """Import `names` in order; returns those that failed (their pages raise the error themselves)."""
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def _preload_when_up() -> None:
    if server_up():
        preload()
        # Streamlit runs a full garbage collection after every script run (runner.postScriptGC);
        # with pandas and pyarrow loaded that walks every object they made at import,
        # about a third of a page's server CPU. Those live as long as the process: freezing them
        # leaves the collections only the objects made since.
        gc.freeze()


def _no_components(*args: Any, **kwargs: Any) -> list[Any]:
    return []


def skip_component_scan() -> bool:
    """Make Streamlit's start-up scan for installed v2 components find none (the pages use none);
    False when this Streamlit has no such scan (nothing to skip)."""
    try:
        from streamlit.components.v2 import manifest_scanner  # heavy third-party (Streamlit)
    except ImportError:
        return False
    if not hasattr(manifest_scanner, "scan_component_manifests"):
        return False
    manifest_scanner.scan_component_manifests = _no_components
    return True


def main() -> None:
    skip_component_scan()
    threading.Thread(target=_preload_when_up, name="workbench-preload", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main  # Streamlit's CLI (heavy third-party import)

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
