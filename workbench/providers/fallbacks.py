"""Fallbacks: when a provider's call ends in an error (after its own retries), try the next one.

The response records the fallback that answered (`fallback_used`, its provider id), the attempts
of every provider tried (summed), the wall time of the whole chain, and the earlier errors in
`metadata["fallback_errors"]`. With no success, the last error is the result's error.
"""

from __future__ import annotations

import time
from typing import Any

from workbench.providers.base import Provider
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class FallbackProvider:
    def __init__(self, primary: Provider, fallbacks: list[Provider]) -> None:
        self.primary = primary
        self.fallbacks = fallbacks
        self.spec: ProviderSpec = primary.spec

    @property
    def model(self) -> str | None:
        return getattr(self.primary, "model", None)

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        ident = getattr(self.primary, "identity", None)
        base = ident(request) if ident else {"provider": self.spec.id}
        return {**base, "fallbacks": [f.spec.id for f in self.fallbacks]}

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        attempts = 0
        errors: list[dict[str, Any]] = []
        response = ProviderResponse(error="no provider")
        for i, provider in enumerate([self.primary, *self.fallbacks]):
            response = await provider.call(request)
            attempts += response.attempts
            if response.error is None:
                if i > 0:
                    response.fallback_used = provider.spec.id
                break
            errors.append({"provider": provider.spec.id, "error": response.error, "attempts": response.attempts})
        response.attempts = attempts
        response.wall_ms = (time.perf_counter() - start) * 1000
        if errors:
            response.metadata = {**response.metadata, "fallback_errors": errors}
        return response
