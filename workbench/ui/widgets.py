"""Shared page pieces: the empty-database message, the run picker, small formatters."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.analysis.trend import RunSummary
from workbench.format import fmt_cost, fmt_rate
from workbench.ui import data, state

GETTING_STARTED = """
**No runs yet.** Results appear here once a suite has been run into this database:

```
workbench run suites/ticket_summary.yaml --db {db} --pass-rate-threshold 0
workbench ui --db {db}
```

`make demo` runs the example suites offline (echo provider, no API key needed).
"""


def token() -> str:
    return data.db_token()


def require_runs() -> list[RunSummary] | None:
    """The runs, or None after showing how to get started (no database, or no runs in it)."""
    path = data.db_path()
    try:
        db = data.get_db()
    except Exception as e:  # an unreadable file: say what is wrong, not a traceback
        st.error(f"Cannot open {path}: {e}")
        return None
    if db is None:
        st.info(f"Database {path} does not exist yet.")
        st.markdown(GETTING_STARTED.format(db=path))
        return None
    runs = data.runs(token())
    if not runs:
        st.markdown(GETTING_STARTED.format(db=path))
        return None
    return runs


def run_label(r: RunSummary) -> str:
    when = (r.started_at or "")[:16].replace("T", " ")
    rate = fmt_rate(r.pass_rate)
    return f"{r.name} · {r.suite} · {when} · {rate}"


def pick_run(runs: list[RunSummary], key: str = "run", label: str = "Run", default_index: int = 0) -> RunSummary:
    """A run selectbox bound to the URL parameter `key` (default: the newest run)."""
    ids = [r.id for r in runs]
    wanted = state.get_int(key)
    index = state.index_of(ids, wanted, default_index)
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox(label, ids, index=index, format_func=lambda i: run_label(by_id[i]), key=f"w_{key}")
    state.put(key, chosen, None if key != "run" else ids[0])
    return by_id[int(chosen)]


def cost_text(value: float | None) -> str:
    return fmt_cost(value)


def delta_text(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value * 100:+.1f} pp"
    if kind == "cost":
        return ("+" if value > 0 else "-" if value < 0 else "±") + fmt_cost(abs(value))
    if kind == "int":
        return f"{value:+.0f}"
    return f"{value:+.2f}"


def records(items: list[Any]) -> list[dict[str, Any]]:
    return [i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in items]
