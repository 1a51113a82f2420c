"""`echo`: returns the rendered prompt as the output, costs nothing (promptfoo's echo)."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class EchoProvider:
    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        self.spec = spec

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        ms = (time.perf_counter() - start) * 1000
        return ProviderResponse(
            output=request.prompt,
            tokens_in=0,
            tokens_out=0,
            token_source="none",
            cost=0.0,
            latency_ms=ms,
            wall_ms=ms,
            model="echo",
        )
