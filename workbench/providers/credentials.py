"""Missing credentials, found before the run: a hosted model whose API key is nowhere is skipped.

`missing_credentials(provider)` looks through the stack `build_provider` makes (cache, fallbacks)
at the providers that really call an API. A chain is skipped only when every provider in it lacks
its key; its cells are then ERROR rows `skipped: <notice>` that make no call and are never retried.
"""

from __future__ import annotations

from workbench.providers.base import Provider

SKIPPED_PREFIX = "skipped: "


def missing_credentials(provider: Provider) -> str | None:
    """`openai:gpt-4o-mini: OPENAI_API_KEY is not set` when no provider of the chain has a key, else None."""
    inner = getattr(provider, "inner", None)
    if inner is not None:  # CachedProvider
        return missing_credentials(inner)
    primary = getattr(provider, "primary", None)
    if primary is not None:  # FallbackProvider: usable while any member has its key
        notices = [missing_credentials(p) for p in [primary, *getattr(provider, "fallbacks", [])]]
        return notices[0] if all(notices) else None
    check = getattr(provider, "missing_credentials", None)
    return check() if callable(check) else None
