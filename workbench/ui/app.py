"""Streamlit entry point: `streamlit run workbench/ui/app.py` (started by `workbench ui`).

The database is `WORKBENCH_DB` (set by `workbench ui --db`). Each page is a thin script in
`pages/` that calls `render()` of its module in `views/`; page state lives in the URL query
string (see `state.py`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.tokens import configure_offline
from workbench.ui import data

HERE = Path(__file__).resolve().parent

PAGES = [
    ("overview", "Overview", ":material/home:"),
    ("matrix", "Matrix", ":material/grid_on:"),
    ("versions", "Versions", ":material/difference:"),
    ("guardrails", "Guardrails", ":material/shield:"),
    ("recommendation", "Recommendation", ":material/recommend:"),
    ("cost", "Cost", ":material/payments:"),
    ("compare", "Compare runs", ":material/compare_arrows:"),
]


def main() -> None:
    configure_offline()
    st.set_page_config(page_title="workbench", page_icon=":material/science:", layout="wide")
    pages = [
        st.Page(HERE / "pages" / f"{name}.py", title=title, icon=icon, url_path=name, default=i == 0)
        for i, (name, title, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    st.sidebar.caption(f"Database: `{data.db_path()}`")
    page.run()


main()
