"""Streamlit entry point, started by `workbench ui` (through `workbench/ui/server.py`; `streamlit run
workbench/ui/app.py` works too, without the preload).

The database is `WORKBENCH_DB` (set by `workbench ui --db`). Each page is a thin script in
`routes/` that calls `render()` of its module in `views/`; page state lives in the URL query
string (see `state.py`). The directory must not be called `pages/`: Streamlit would then serve a
deep link opened as a fresh server's first request (e.g. a shared `/compare?base=1&head=2`) as a
legacy multipage-app page, without this script (no navigation titles, no wide layout).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.tokens import configure_offline
from workbench.ui import data

HERE = Path(__file__).resolve().parent

# No icons: Streamlit's `:material/...:` icons and emoji page icons load a font or an image from a
# CDN, and no request may leave the machine (tests/test_ui_browser.py blocks the network).
PAGES = [
    ("overview", "Overview"),
    ("matrix", "Matrix"),
    ("versions", "Versions"),
    ("guardrails", "Guardrails"),
    ("recommendation", "Recommendation"),
    ("cost", "Cost"),
    ("compare", "Compare runs"),
]


def main() -> None:
    configure_offline()
    st.set_page_config(page_title="workbench", layout="wide")
    pages = [
        st.Page(HERE / "routes" / f"{name}.py", title=title, url_path=name, default=i == 0)
        for i, (name, title) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    st.sidebar.caption(f"Database: `{data.db_path()}`")
    page.run()


main()
