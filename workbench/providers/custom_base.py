"""What promptfoo's custom providers share: `file://x.py`, `file://x.js`, `exec:` and `http(s)`.

`CustomProvider.call` runs one `attempt` under the retry policy (the provider config's
`max_attempts`/`retries`/`timeout`, else the suite's `workbench: retries:`, as for any provider),
and times it. `to_response` maps promptfoo's ProviderResponse (`output`, `error`, `tokenUsage`,
`cost`, `metadata`, `sessionId`, `finishReason`, `logProbs`) onto workbench's. A missing `cost`
is priced from the config's price keys (`input_cost_per_1m`, ...) or the suite's
`workbench.prices` when tokens are known, else it stays unknown (None), never $0.
`identity()` keys the response cache: the provider id, its config (secret keys stripped by the
cache), the code's content hash and the test vars (promptfoo keys its script cache the same way).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from workbench.providers.pricing import Price, override_price
from workbench.providers.retry import RetryPolicy, call_with_retries, describe
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

DEFAULT_TIMEOUT_S = 300.0  # promptfoo's REQUEST_TIMEOUT_MS default


class CustomProvider:
    """Base class: subclasses implement `attempt` (one try; raise to fail it) and may set `source_files`."""

    kind = "custom"

    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        self.spec = spec
        self.base_dir = base_dir or Path.cwd()
        self.model = spec.id
        self.config: dict[str, Any] = dict(spec.config or {})
        self.policy = RetryPolicy(max_attempts=1, timeout=DEFAULT_TIMEOUT_S)
        self.price: Price | None = override_price(self.config)
        self.source_files: list[Path] = []

    def options(self) -> dict[str, Any]:
        """promptfoo's ProviderOptions as user code sees them: id, label, config."""
        out: dict[str, Any] = {"id": self.spec.id, "config": self.config}
        if self.spec.label:
            out["label"] = self.spec.label
        return out

    @staticmethod
    def context(request: ProviderRequest) -> dict[str, Any]:
        """promptfoo's CallApiContextParams, the JSON-able part: vars and the rendered prompt."""
        return {"vars": request.vars, "prompt": {"raw": request.prompt}}

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        digest = hashlib.sha256()
        for path in self.source_files:
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(str(path).encode())
        return {
            "provider": self.spec.id,
            "model": self.model,
            "kind": self.kind,
            "code": digest.hexdigest() if self.source_files else None,
            "config": self.config,
            "vars": request.vars,
            "params": request.params,
        }

    async def attempt(self, request: ProviderRequest) -> ProviderResponse:
        raise NotImplementedError

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        async def once() -> ProviderResponse:
            if self.policy.timeout is None:
                return await self.attempt(request)
            return await asyncio.wait_for(self.attempt(request), self.policy.timeout)

        outcome = await call_with_retries(once, self.policy)
        if outcome.value is None:
            err = outcome.error
            return ProviderResponse(
                error=describe_error(err) if err is not None else "provider returned nothing",
                attempts=outcome.attempts,
                latency_ms=outcome.latency_ms,
                wall_ms=outcome.wall_ms,
                model=self.model,
            )
        response = outcome.value
        response.attempts = outcome.attempts
        response.wall_ms = outcome.wall_ms
        if response.latency_ms is None:
            response.latency_ms = outcome.latency_ms
        if response.model is None:
            response.model = self.model
        if response.cost is None and self.price is not None and response.tokens_in is not None:
            response.cost = self.price.cost(
                response.tokens_in, response.tokens_out or 0, response.usage, response.latency_ms
            )
        return response


def describe_error(exc: BaseException) -> str:
    """promptfoo records a thrown error as `Error: message`; timeouts say so."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return describe(exc)
    msg = str(exc).strip()
    return f"Error: {msg}" if msg else describe(exc)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def to_response(data: Any, *, where: str) -> ProviderResponse:
    """promptfoo's ProviderResponse dict -> ProviderResponse. Not a dict with output/error: an error."""
    if not isinstance(data, dict) or ("output" not in data and "error" not in data):
        shown = str(data)[:200]
        return ProviderResponse(error=f"{where} must return an object with an `output` or `error` key, got: {shown}")
    error = data.get("error")
    raw_usage = data.get("tokenUsage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    tin, tout = _int(usage.get("prompt")), _int(usage.get("completion"))
    total = _int(usage.get("total"))
    if tin is None and tout is None and total is not None:
        tin, tout = 0, total  # only a total: promptfoo counts it, the split is unknown
    cost = data.get("cost")
    metadata = dict(data["metadata"]) if isinstance(data.get("metadata"), dict) else {}
    if data.get("sessionId") is not None:
        metadata["sessionId"] = data["sessionId"]
    logprobs = data.get("logProbs")
    return ProviderResponse(
        output=data.get("output"),
        error=str(error) if error not in (None, "") else None,
        tokens_in=tin,
        tokens_out=tout,
        token_source="usage" if tin is not None or tout is not None else "none",
        cost=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None,
        latency_ms=float(data["latencyMs"]) if isinstance(data.get("latencyMs"), (int, float)) else None,
        finish_reason=data.get("finishReason") if isinstance(data.get("finishReason"), str) else None,
        logprobs=[float(x) for x in logprobs] if isinstance(logprobs, list) else None,
        metadata=metadata,
    )


def file_part(provider_id: str) -> tuple[str, str | None]:
    """`file://dir/x.py:fn` -> ('dir/x.py', 'fn'); `file://x.js` -> ('x.js', None)."""
    body = provider_id[len("file://") :] if provider_id.startswith("file://") else provider_id
    for ext in (".py", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts"):
        i = body.find(ext + ":")
        if i > 0:
            return body[: i + len(ext)], body[i + len(ext) + 1 :] or None
    return body, None
