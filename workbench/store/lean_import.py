"""Import sqlite_utils without the pandas/numpy probe: the CLI calls it before loading a command."""

from __future__ import annotations

import sys


def import_sqlite_utils_lean() -> None:
    """Import sqlite_utils without its optional pandas/numpy probe (~1 s of CLI start-up).

    sqlite_utils only uses them to map pandas/numpy scalar types to column types, which workbench
    never inserts. Modules already imported (e.g. pandas in the Streamlit UI) are left alone.
    """
    if "sqlite_utils" in sys.modules:
        return
    blocked = [m for m in ("pandas", "numpy") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # makes `import m` raise ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for m in blocked:
            sys.modules.pop(m, None)
