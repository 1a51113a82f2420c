"""`RunConfig`: every option of one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.providers.base import Provider
from workbench.types import GradeConfig


@dataclass
class RunConfig:
    """Every option of one run (the CLI builds it; tests and the library use it directly)."""

    max_concurrency: int = 4
    repeat: int = 1
    variants: list[str] = field(default_factory=lambda: ["none"])
    label: str | None = None
    resume_run_id: int | None = None
    resume_owner: str | None = None  # the run's owner when --resume checked it (run/resume.py); not stored
    retry_errors: bool = False  # with resume_run_id: clear the run's error cells first (--retry-errors)
    use_cache: bool = True
    cache_ttl_s: float | None = None
    max_cost: float | None = None
    batch_size: int = 200
    batch_seconds: float = 0.5
    grade: GradeConfig = field(default_factory=GradeConfig)
    shard: tuple[int, int] | None = None  # (i, n), 1-based i
    filter_providers: str | None = None  # regex on provider id/label
    filter_prompts: str | None = None  # regex on prompt label
    # Wraps each built provider before fallbacks and the cache (batch mode, Ray's shared rate limit).
    provider_wrapper: Callable[[Provider], Provider] | None = None

    def public(self) -> dict[str, Any]:
        """What is stored with the run (no secrets live here)."""
        return {
            "max_concurrency": self.max_concurrency,
            "repeat": self.repeat,
            "variants": self.variants,
            "use_cache": self.use_cache,
            "max_cost": self.max_cost,
            "shard": list(self.shard) if self.shard else None,
            "filter_providers": self.filter_providers,
            "filter_prompts": self.filter_prompts,
        }
