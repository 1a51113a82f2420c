"""Provider batch APIs: OpenAI's files + batches and Anthropic's message batches, over plain HTTP.

Both take a list of requests now and answer within 24 hours at about half the normal price, from a
separate rate-limit pool. This module only speaks the protocols: `submit` uploads/creates one
batch, `poll` reads its status, `results` downloads finished items. Mapping items to cells, storing
batch ids and pricing is `workbench.run.batch_mode`'s job.

OpenAI (and any server speaking its protocol): `POST /files` (multipart, purpose=batch) with one
JSONL line per request `{custom_id, method, url, body}`, `POST /batches`, `GET /batches/{id}`, then
`GET /files/{output_file_id}/content` (and `error_file_id`). Anthropic: `POST /v1/messages/batches`
with `{requests: [{custom_id, params}]}`, `GET /v1/messages/batches/{id}`, then its `results_url`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: ~0.2 s that runs without --batch never need
    import httpx

from workbench.errors import ProviderError

OPENAI_ENDPOINT = "/v1/chat/completions"
ANTHROPIC_VERSION = "2023-06-01"
TIMEOUT_S = 60.0
# Provider statuses that will not change any more.
OPENAI_FINAL = {"completed", "failed", "expired", "cancelled"}
ANTHROPIC_FINAL = {"ended"}


@dataclass
class BatchItem:
    """One request of a batch: `custom_id` maps the answer back to its cell."""

    custom_id: str
    body: dict[str, Any]  # the chat request body (OpenAI shape) or the message params (Anthropic)


@dataclass
class ItemResult:
    custom_id: str
    body: dict[str, Any] | None = None  # the provider's response body on success
    error: str | None = None


@dataclass
class BatchStatus:
    batch_id: str
    status: str  # the provider's own word: validating/in_progress/completed/... or in_progress/ended
    final: bool
    counts: dict[str, int] = field(default_factory=dict)
    output_ref: str | None = None  # OpenAI output_file_id, Anthropic results_url
    error_ref: str | None = None  # OpenAI error_file_id
    message: str | None = None  # why a whole batch failed


@dataclass
class Endpoint:
    """Where and how to reach one provider's batch API. The key never leaves this object."""

    api: str  # "openai" | "anthropic"
    base_url: str
    api_key: str | None

    def headers(self) -> dict[str, str]:
        if self.api == "anthropic":
            h = {"anthropic-version": ANTHROPIC_VERSION}
            if self.api_key:
                h["x-api-key"] = self.api_key
            return h
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def url(self, path: str) -> str:
        """OpenAI paths are relative to the base URL (which ends in /v1); Anthropic's include /v1."""
        return self.base_url.rstrip("/") + path


def _check(resp: httpx.Response, what: str, endpoint: Endpoint) -> Any:
    if resp.status_code >= 400:
        text = resp.text[:300]
        if endpoint.api_key:
            text = text.replace(endpoint.api_key, "[redacted]")
        raise ProviderError(f"{what}: HTTP {resp.status_code}: {text}")
    try:
        return resp.json()
    except ValueError:
        raise ProviderError(f"{what}: the answer is not JSON") from None


def submit(endpoint: Endpoint, items: list[BatchItem]) -> str:
    """Create one batch of `items`; return the provider's batch id."""
    import httpx

    with httpx.Client(timeout=TIMEOUT_S, headers=endpoint.headers()) as client:
        if endpoint.api == "anthropic":
            payload = {"requests": [{"custom_id": i.custom_id, "params": i.body} for i in items]}
            data = _check(client.post(endpoint.url("/v1/messages/batches"), json=payload), "create batch", endpoint)
            return str(data["id"])
        lines = "\n".join(
            json.dumps({"custom_id": i.custom_id, "method": "POST", "url": OPENAI_ENDPOINT, "body": i.body})
            for i in items
        )
        files = {"file": ("batch.jsonl", lines.encode(), "application/jsonl")}
        upload = _check(
            client.post(endpoint.url("/files"), data={"purpose": "batch"}, files=files), "upload batch", endpoint
        )
        created = _check(
            client.post(
                endpoint.url("/batches"),
                json={"input_file_id": upload["id"], "endpoint": OPENAI_ENDPOINT, "completion_window": "24h"},
            ),
            "create batch",
            endpoint,
        )
        return str(created["id"])


def poll(endpoint: Endpoint, batch_id: str) -> BatchStatus:
    import httpx

    with httpx.Client(timeout=TIMEOUT_S, headers=endpoint.headers()) as client:
        if endpoint.api == "anthropic":
            d = _check(client.get(endpoint.url(f"/v1/messages/batches/{batch_id}")), "poll batch", endpoint)
            status = str(d.get("processing_status"))
            counts = {k: int(v) for k, v in (d.get("request_counts") or {}).items()}
            return BatchStatus(batch_id, status, status in ANTHROPIC_FINAL, counts, d.get("results_url"))
        d = _check(client.get(endpoint.url(f"/batches/{batch_id}")), "poll batch", endpoint)
        status = str(d.get("status"))
        counts = {k: int(v) for k, v in (d.get("request_counts") or {}).items()}
        errors = (d.get("errors") or {}).get("data") if isinstance(d.get("errors"), dict) else None
        message = "; ".join(str(e.get("message")) for e in errors) if errors else None
        return BatchStatus(
            batch_id, status, status in OPENAI_FINAL, counts, d.get("output_file_id"), d.get("error_file_id"), message
        )


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def results(endpoint: Endpoint, status: BatchStatus) -> list[ItemResult]:
    """Every item the provider answered for a final batch (successes and per-item errors)."""
    out: list[ItemResult] = []
    import httpx

    with httpx.Client(timeout=TIMEOUT_S, headers=endpoint.headers()) as client:
        if endpoint.api == "anthropic":
            if not status.output_ref:
                return out
            resp = client.get(status.output_ref if "://" in status.output_ref else endpoint.url(status.output_ref))
            if resp.status_code >= 400:
                raise ProviderError(f"batch results: HTTP {resp.status_code}")
            for row in _jsonl(resp.text):
                result = row.get("result") or {}
                kind = result.get("type")
                if kind == "succeeded":
                    out.append(ItemResult(str(row["custom_id"]), body=result.get("message") or {}))
                else:
                    err = result.get("error") or {}
                    detail = (err.get("error") or err).get("message") if isinstance(err, dict) else None
                    out.append(
                        ItemResult(
                            str(row["custom_id"]), error=f"batch item {kind}" + (f": {detail}" if detail else "")
                        )
                    )
            return out
        for ref in (status.output_ref, status.error_ref):
            if not ref:
                continue
            resp = client.get(endpoint.url(f"/files/{ref}/content"))
            if resp.status_code >= 400:
                raise ProviderError(f"batch results: HTTP {resp.status_code}")
            for row in _jsonl(resp.text):
                response = row.get("response") or {}
                code = int(response.get("status_code") or 0)
                if row.get("error") or code >= 400:
                    err = row.get("error") or (response.get("body") or {}).get("error") or {}
                    msg = err.get("message") if isinstance(err, dict) else str(err)
                    out.append(ItemResult(str(row["custom_id"]), error=f"batch item failed (HTTP {code}): {msg}"))
                else:
                    out.append(ItemResult(str(row["custom_id"]), body=response.get("body") or {}))
    return out
