"""The timestamps the store records (`started_at`, `finished_at`, `created_at`...): UTC, ISO 8601, to the second."""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
