"""`echo`: returns the rendered prompt as the output and costs nothing (promptfoo's echo).

Token counts are tiktoken counts (cl100k_base) of the prompt and the output, so prompt versions
can be compared on size offline; promptfoo's echo reports none.
"""

from __future__ import annotations

import time
from pathlib import Path

from workbench.providers.pricing import Price
from workbench.tokens import count_tokens
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class EchoProvider:
    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        self.spec = spec
        self.price = Price(0.0, 0.0, "free (echo)")  # what the run records; echo is a test double

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        tokens = count_tokens(request.prompt)
        ms = (time.perf_counter() - start) * 1000
        return ProviderResponse(
            output=request.prompt,
            tokens_in=tokens,
            tokens_out=tokens,
            token_source="tiktoken",
            cost=0.0,
            latency_ms=ms,
            wall_ms=ms,
            model="echo",
        )
