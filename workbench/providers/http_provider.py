"""`http` / `https` / `https://...`: promptfoo's HTTP provider (src/providers/http.ts), the way
promptfoo users test their own application's endpoint.

config: `url` (else the id when it is a URL), `method` (Nunjucks; default GET, as promptfoo:
the body is only sent by other methods), `headers` (Nunjucks values; keys lower-cased),
`queryParams`, `body` (object, array or string, Nunjucks-rendered leaf by leaf with the test vars
and `{{prompt}}`; with a JSON content type a rendered string that is JSON becomes JSON),
`transformRequest` (JS expression of `prompt, vars, context`, or `file://x.js[:fn]`),
`transformResponse` / `responseParser` (JS expression of `json, text, context`, or a file; the
default output is the parsed JSON body, else the text), `validateStatus` (an expression of
`status` or an arrow function; by default every status is accepted and its body is the output),
`sessionParser` (an expression of `data` = `{headers, body}`; the session id is kept in the
row's metadata), `tokenEstimation: {enabled, multiplier}`, `maxRetries` (default 4: connection
errors and 429s are retried, `Retry-After` honoured; other statuses are not, as in promptfoo).

Token usage comes from the transform's `tokenUsage`, else the body's `tokenUsage`, else the
estimate when enabled, else it is unknown; `cost` from the transform, else the config's prices.
Headers (API keys, bearer tokens) are never stored: provider configs are redacted in the
database, secret keys are stripped from cache keys, and errors name only the status and body.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from pathlib import Path
from typing import Any

from workbench.errors import ProviderError
from workbench.providers.custom_base import DEFAULT_TIMEOUT_S, CustomProvider, file_part, to_response
from workbench.providers.retry import RetryPolicy
from workbench.render.templating import render
from workbench.runtimes import ScriptError
from workbench.runtimes.javascript import run_file_function, run_function_body
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

_FUNCTION_EXPR = re.compile(r"^(\(.*?\)\s*=>|function\s*\(.*?\))", re.S)
UNSUPPORTED = ("request", "multipart", "auth", "signatureAuth", "session", "tls")
JS_TIMEOUT_S = 10.0


def matches(provider_id: str) -> bool:
    return provider_id in ("http", "https") or provider_id.startswith(("http:", "https:"))


class HttpStatusError(Exception):
    """A status `validateStatus` refused: an ERROR row, not retried (promptfoo throws after the fetch)."""


class RateLimited(Exception):
    """HTTP 429: retried by the policy (`status_code` and `headers` feed Retry-After)."""

    def __init__(self, message: str, status_code: int, headers: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers


def render_object(value: Any, vars: dict[str, Any]) -> Any:
    """promptfoo's renderVarsInObject: every string leaf is a Nunjucks template."""
    if isinstance(value, str):
        return render(value, vars)
    if isinstance(value, list):
        return [render_object(v, vars) for v in value]
    if isinstance(value, dict):
        return {k: render_object(v, vars) for k, v in value.items()}
    return value


def _json_leaves(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_leaves(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_leaves(v) for k, v in value.items()}
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, (dict, list)) else value
    return value


def json_body(body: Any, vars: dict[str, Any]) -> Any:
    """promptfoo's processJsonBody."""
    rendered = render_object(body, vars)
    if isinstance(rendered, (dict, list)):
        return _json_leaves(rendered)
    if isinstance(rendered, str):
        try:
            return json.loads(rendered)
        except ValueError:
            return rendered
    return rendered


def request_body(is_json: bool, prompt: Any, body: Any, vars: dict[str, Any]) -> Any:
    """promptfoo's determineRequestBody."""
    if isinstance(body, str) and is_json:
        try:
            body = json.loads(body)
        except ValueError:
            pass
    if is_json:
        if isinstance(prompt, dict):
            return {**(body if isinstance(body, dict) else {}), **prompt}
        return json_body(body, {**vars, "prompt": prompt})
    if body is None:
        return None
    if isinstance(body, (dict, list)):
        raise ScriptError("Expected body to be a string when content type is not application/json")
    return render_object(body, {**vars, "prompt": prompt})


def _is_json(headers: dict[str, str]) -> bool:
    return any(k.startswith("content-type") and "application/json" in v for k, v in headers.items())


def estimate_tokens(text: Any, multiplier: float) -> int:
    if not isinstance(text, str) or not text.strip():
        return 0
    return math.ceil(len(text.split()) * multiplier)


class HttpProvider(CustomProvider):
    kind = "http"

    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        super().__init__(spec, base_dir)
        cfg = self.config
        where = f"providers[{spec.display}].config"
        for key in UNSUPPORTED:
            if key in cfg:
                raise ProviderError(f"{where}.{key}: the HTTP provider's `{key}` option is not supported by workbench")
        url = cfg.get("url") or (spec.id if spec.id.startswith(("http:", "https:")) else None)
        if not isinstance(url, str) or not url:
            raise ProviderError(f"{where}.url: the HTTP provider needs a url (config.url or an http(s):// id)")
        self.url = url
        self.model = url
        if cfg.get("body") is None and cfg.get("method") != "GET":
            raise ProviderError(
                f"{where}: expected HTTP provider {url} to have a config containing {{body}} (or method: GET)"
            )
        for key in ("transformRequest", "transformResponse", "responseParser", "validateStatus", "sessionParser"):
            if key in cfg and not isinstance(cfg[key], str):
                raise ProviderError(f"{where}.{key}: expected a JavaScript expression or a file:// reference")
        headers = cfg.get("headers") or {}
        if not isinstance(headers, dict):
            raise ProviderError(f"{where}.headers: expected a mapping of header name -> value")
        self.headers = {str(k).lower(): str(v) for k, v in headers.items()}
        body = cfg.get("body")
        if cfg.get("method") != "GET" and "content-type" not in self.headers:
            if isinstance(body, (dict, list)):
                self.headers["content-type"] = "application/json"
            elif isinstance(body, str):
                self.headers["content-type"] = "application/x-www-form-urlencoded"
        if isinstance(body, (dict, list)) and not _is_json(self.headers):
            raise ProviderError(
                f"{where}.body: Content-Type is not application/json, but body is an object or array."
                " The body must be a string if the Content-Type is not application/json."
            )
        try:
            retries = int(cfg.get("maxRetries", 4))
        except (TypeError, ValueError):
            raise ProviderError(f"{where}.maxRetries: expected a number") from None
        self.policy = RetryPolicy(max_attempts=max(0, retries) + 1, timeout=DEFAULT_TIMEOUT_S)
        self.source_files = [p for p in map(self._file_of, self._code_refs()) if p is not None]

    # -- user JavaScript ---------------------------------------------------------------------------
    def _code_refs(self) -> list[str]:
        keys = ("transformRequest", "transformResponse", "responseParser", "validateStatus", "sessionParser")
        return [self.config[k] for k in keys if isinstance(self.config.get(k), str)]

    def _file_of(self, ref: str) -> Path | None:
        if not ref.startswith("file://"):
            return None
        return (self.base_dir / file_part(ref)[0]).resolve()

    def _run(self, code: str, params: list[str], args: list[Any], *, statements: bool = False) -> Any:
        """A `file://x.js[:fn]` function called with `args`, or an inline expression / arrow function."""
        if code.startswith("file://"):
            rel, fn = file_part(code)
            return run_file_function((self.base_dir / rel).resolve(), fn, args, JS_TIMEOUT_S).value
        text = code.strip()
        if _FUNCTION_EXPR.match(text) or text.startswith(("async ", "async(")):
            body = f"return ({text})({', '.join(params)})"
        elif statements and re.search(r"\breturn\b", text):
            body = text
        else:
            body = f"return ({text})"
        return run_function_body(body, params, args, JS_TIMEOUT_S).value

    async def _js(self, code: str, params: list[str], args: list[Any], *, statements: bool = False) -> Any:
        return await asyncio.to_thread(self._run, code, params, args, statements=statements)

    async def _status_ok(self, status: int) -> bool:
        """promptfoo's createValidateStatus: a function (arrow, `function`, file) or an expression of `status`."""
        code = self.config.get("validateStatus")
        if not code:
            return True
        text = code.strip()
        if not code.startswith("file://") and ("=>" in text or text.startswith("function")):
            text = f"return ({text})(status)"
            return bool(
                await asyncio.to_thread(lambda: run_function_body(text, ["status"], [status], JS_TIMEOUT_S).value)
            )
        return bool(await self._js(code, ["status"], [status]))

    # -- one call ----------------------------------------------------------------------------------
    async def attempt(self, request: ProviderRequest) -> ProviderResponse:
        cfg = self.config
        vars = {**request.vars, "prompt": request.prompt}
        context = self.context(request)
        headers = {k: render(v, vars) for k, v in self.headers.items()}
        prompt: Any = request.prompt
        if cfg.get("transformRequest"):
            try:
                prompt = await self._js(
                    cfg["transformRequest"], ["prompt", "vars", "context"], [prompt, vars, context], statements=True
                )
            except ScriptError as e:
                raise ScriptError(f"Failed to transform request: {e}") from e
        url = render(self.url, vars)
        method = render(str(cfg.get("method") or "GET"), vars) or "POST"
        params = {str(k): render(str(v), vars) for k, v in (cfg.get("queryParams") or {}).items()}
        body = request_body(_is_json(headers), prompt, cfg.get("body"), vars)
        content: str | None = None
        if method.upper() != "GET" and body is not None:
            if _is_json(headers):
                content = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            else:
                content = str(body).strip()
        import httpx  # ~0.2 s to import: only runs that use an http provider pay for it

        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self.policy.timeout) as client:
                resp = await client.request(method, url, params=params or None, headers=headers, content=content)
        except httpx.TimeoutException as e:
            raise TimeoutError(f"request to {url} timed out") from e
        except httpx.TransportError as e:
            raise ConnectionError(f"request to {url} failed: {type(e).__name__}: {e}") from e
        latency_ms = (time.perf_counter() - started) * 1000
        text = resp.text
        status, status_text = resp.status_code, resp.reason_phrase
        if status == 429:
            raise RateLimited(f"HTTP call failed with status 429 {status_text}: {text}", 429, resp.headers)
        if not await self._status_ok(status):
            raise HttpStatusError(f"HTTP call failed with status {status} {status_text}: {text}")
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = None
        metadata: dict[str, Any] = {"http": {"status": status, "statusText": status_text}}
        result: dict[str, Any] = {"latencyMs": latency_ms, "metadata": metadata}
        if cfg.get("sessionParser"):
            data = {"headers": dict(resp.headers), "body": parsed if parsed is not None else text}
            session_id = await self._js(cfg["sessionParser"], ["data"], [data])
            if session_id:
                result["sessionId"] = session_id
        transform = cfg.get("transformResponse") or cfg.get("responseParser")
        if transform:
            tctx = {"response": {"data": text, "status": status, "statusText": status_text,
                                 "headers": dict(resp.headers), "cached": False, "latencyMs": latency_ms}}  # fmt: skip
            try:
                out = await self._js(transform, ["json", "text", "context"], [parsed or None, text, tctx])
            except ScriptError as e:
                raise ScriptError(f"Failed to transform response: {e}") from e
        else:
            out = parsed if parsed else text
        normalized = out if isinstance(out, dict) and ("output" in out or "error" in out) else {"output": out}
        result.update(normalized)
        if not isinstance(result.get("tokenUsage"), dict):
            estimation = cfg.get("tokenEstimation")
            if isinstance(parsed, dict) and isinstance(parsed.get("tokenUsage"), dict):
                result["tokenUsage"] = parsed["tokenUsage"]
            elif isinstance(estimation, dict) and estimation.get("enabled"):
                mult = float(estimation.get("multiplier", 1.3))
                completion = result.get("output") if isinstance(result.get("output"), str) else text
                sent = prompt if isinstance(prompt, str) else request.prompt
                result["tokenUsage"] = {
                    "prompt": estimate_tokens(sent, mult),
                    "completion": estimate_tokens(completion, mult),
                }
        return to_response(result, where="the HTTP provider's transformResponse")
