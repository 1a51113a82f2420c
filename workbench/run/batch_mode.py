"""`workbench run --batch`: send a run's calls through the providers' batch APIs, then grade them.

Three steps, each resumable:
1. **Collect.** The suite runs once against a scratch in-memory database with every batchable
   provider replaced by a recorder: the cells render exactly as in a real run (templating,
   variants), and each request that is not already answered (response cache, an earlier batch)
   is recorded under its cache key. Nothing is called and nothing reaches the results database.
2. **Submit and wait.** The recorded requests go to the provider's batch API, one batch per
   provider (split at `max_items`); batch ids and per-request state are stored in the `batches`
   and `batch_items` tables *before* waiting, so a restart or `workbench batch collect` picks them
   up instead of submitting again. Finished batches are downloaded into `batch_items`.
3. **Grade.** The suite runs for real; a batchable provider now answers from `batch_items`
   (priced at the batch rate) instead of calling, and the response cache, grading, storage,
   resume and reports work exactly as for any run. Items the provider failed or let expire are
   error rows with the provider's reason; `--retry-errors` re-runs them.

Providers without a batch API (echo, local models, custom providers, other hosts) run as usual in
step 3. Batchable: `openai:*` / `openai/*` ids (OpenAI, or any server speaking its files+batches
protocol through `apiBaseUrl`) and `anthropic:*` / `anthropic/*` ids (Message Batches).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from workbench.errors import ProviderError, WorkbenchError
from workbench.format import fmt_cost
from workbench.providers import batch_api
from workbench.providers.base import Provider
from workbench.providers.litellm_provider import LiteLLMProvider, call_params, extract
from workbench.providers.pricing import Price, half_price, map_batch_price
from workbench.providers.resolution import resolve
from workbench.providers.response_cache import ResponseCache, cache_key
from workbench.providers.stack import configure
from workbench.run.config import RunConfig
from workbench.run.engine import RunOutcome, RunSuiteArgs, run_suite
from workbench.store import batches as stored
from workbench.store.db import open_memory
from workbench.types import ProviderRequest, ProviderResponse, Suite

if TYPE_CHECKING:
    from typing import Unpack  # Python 3.11; annotations are not evaluated at run time (3.10 works)

DEFAULT_ANTHROPIC_BASE = "https://api.anthropic.com"
DEFAULT_OPENAI_BASE = "https://api.openai.com/v1"
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024


@dataclass
class BatchOptions:
    """`--batch` settings (CLI flags, else the suite's `workbench.batch` block)."""

    poll_s: float = 30.0
    wait_s: float | None = None  # None: wait until every batch has ended (providers allow 24 h)
    max_items: int = 50_000  # OpenAI's per-batch limit

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> BatchOptions:
        s = settings or {}
        try:
            return cls(
                poll_s=float(s.get("poll_seconds", 30.0)),
                wait_s=float(s["wait_seconds"]) if s.get("wait_seconds") is not None else None,
                max_items=int(s.get("max_items", 50_000)),
            )
        except (TypeError, ValueError):
            raise ProviderError("workbench.batch: poll_seconds, wait_seconds and max_items must be numbers") from None


@dataclass
class BatchReport:
    submitted: dict[str, list[str]] = field(default_factory=dict)  # provider id -> new batch ids
    reused: int = 0  # requests answered by earlier batches or the response cache
    requests: int = 0  # requests that needed a batch answer
    pending: list[str] = field(default_factory=list)  # batch ids still running when the wait ended


def endpoint_for(provider: Provider | None) -> batch_api.Endpoint | None:
    """The batch API behind a provider, or None when it has none."""
    if not isinstance(provider, LiteLLMProvider):
        return None
    family = provider.model.split("/", 1)[0]
    if family == "openai":
        base = provider.api_base or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE
        return batch_api.Endpoint("openai", base, provider.api_key() or os.environ.get("OPENAI_API_KEY"))
    if family == "anthropic":
        base = provider.api_base or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_ANTHROPIC_BASE
        return batch_api.Endpoint("anthropic", base, provider.api_key() or os.environ.get("ANTHROPIC_API_KEY"))
    return None


def request_body(provider: LiteLLMProvider, api: str, request: ProviderRequest) -> dict[str, Any]:
    """The request as the batch API takes it (the same body the synchronous call sends)."""
    params = call_params(provider.spec.config or {}, request.params)
    model = provider.model.split("/", 1)[1]
    if api == "openai":
        return {"model": model, "messages": request.messages, **params}
    system = "\n\n".join(str(m.get("content")) for m in request.messages if m.get("role") == "system")
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": int(params.pop("max_tokens", ANTHROPIC_DEFAULT_MAX_TOKENS)),
        "messages": [m for m in request.messages if m.get("role") != "system"],
    }
    if system:
        body["system"] = system
    for name in ("temperature", "top_p", "top_k"):
        if name in params:
            body[name] = params[name]
    if "stop" in params:
        stop = params["stop"]
        body["stop_sequences"] = stop if isinstance(stop, list) else [stop]
    return body


def batch_price(provider: LiteLLMProvider) -> Price | None:
    """The per-token batch rate: litellm's map when it lists one (the model, or `price_as`), else
    half the sync price (the provider is batchable, so its published discount applies)."""
    if provider.price is None:
        return None
    return map_batch_price(provider.price) or half_price(provider.price)


def to_response(provider: LiteLLMProvider, api: str, body: dict[str, Any], batch_id: str) -> ProviderResponse:
    """A batch answer as the ProviderResponse a synchronous call would have given."""
    if api == "openai":
        output, finish, tin, tout, logprobs, details = extract(body)
    else:
        blocks = body.get("content") or []
        output = "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        usage = body.get("usage") or {}
        cached = usage.get("cache_read_input_tokens")
        details = {"cached_tokens": int(cached)} if isinstance(cached, int) and cached > 0 else {}
        finish, tin, tout, logprobs = (
            body.get("stop_reason"),
            usage.get("input_tokens"),
            usage.get("output_tokens"),
            None,
        )
    price = batch_price(provider)
    return ProviderResponse(
        output=output,
        tokens_in=int(tin or 0),
        tokens_out=int(tout or 0),
        token_source="usage",
        cost=price.cost(int(tin or 0), int(tout or 0), details) if price else None,
        usage=details,
        attempts=1,
        finish_reason=finish,
        logprobs=logprobs,
        model=provider.model,
        metadata={"batch_id": batch_id, **({"price_source": price.source} if price else {})},
    )


class _Recorder:
    """Step 1: stands in for a batchable provider; records each request that needs an answer."""

    def __init__(self, inner: LiteLLMProvider, sink: dict[str, tuple[LiteLLMProvider, ProviderRequest]]) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.model = inner.model
        self.sink = sink

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        return self.inner.identity(request)

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        self.sink.setdefault(cache_key(self.inner, request), (self.inner, request))
        return ProviderResponse(error="batch: collecting")


class _Answers:
    """Step 3: answers a batchable provider's calls from the stored batch items."""

    def __init__(self, inner: LiteLLMProvider, api: str, db: Database) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.model = inner.model
        self.api = api
        self.db = db

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        return self.inner.identity(request)

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        key = cache_key(self.inner, request)
        found = stored.known_items(self.db, [key]).get(key)
        if found is None:
            return ProviderResponse(error="batch: no batch answer for this request (run with --batch again)")
        batch_id, state, body, error = found
        if state == "pending":
            return ProviderResponse(error=f"batch {batch_id} has not finished (workbench batch collect)")
        if state == "error" or body is None:
            return ProviderResponse(error=error or "batch item failed", model=self.inner.model)
        return to_response(self.inner, self.api, body, batch_id)


Wrapper = Callable[[Provider], Provider]


def recording_wrapper(sink: dict[str, tuple[LiteLLMProvider, ProviderRequest]]) -> Wrapper:
    def wrap(provider: Provider) -> Provider:
        if isinstance(provider, LiteLLMProvider) and endpoint_for(provider) is not None:
            return _Recorder(provider, sink)
        return provider

    return wrap


def answering_wrapper(db: Database) -> Wrapper:
    def wrap(provider: Provider) -> Provider:
        ep = endpoint_for(provider) if isinstance(provider, LiteLLMProvider) else None
        if isinstance(provider, LiteLLMProvider) and ep is not None:
            return _Answers(provider, ep.api, db)
        return provider

    return wrap


def collect_requests(suite: Suite, config: RunConfig) -> dict[str, tuple[LiteLLMProvider, ProviderRequest]]:
    """Step 1: every batchable request of the run, by cache key (no call, nothing stored)."""
    sink: dict[str, tuple[LiteLLMProvider, ProviderRequest]] = {}
    scratch = open_memory()
    # A fresh scratch run of every cell (a resumed run's stored cells are answered by the cache;
    # `--retry-errors` re-submits exactly the items that errored).
    probe = dataclasses.replace(
        config, use_cache=False, provider_wrapper=recording_wrapper(sink), label=None, resume_run_id=None
    )
    run_suite(suite, probe, scratch)
    return sink


def _answered_elsewhere(db: Database, keys: list[str], use_cache: bool) -> set[str]:
    """Keys the response cache or an earlier batch (done or still running) already covers."""
    covered = {k for k, (_, state, _, _) in stored.known_items(db, keys).items() if state in ("done", "pending")}
    if use_cache:
        cache = ResponseCache(db)
        covered |= {k for k in keys if k not in covered and cache.get(k) is not None}
    return covered


def submit_missing(
    db: Database, requests: dict[str, tuple[LiteLLMProvider, ProviderRequest]], options: BatchOptions, use_cache: bool
) -> BatchReport:
    """Step 2a: submit what no cache entry or earlier batch answers; store the batch ids first."""
    report = BatchReport(requests=len(requests))
    todo = sorted(set(requests) - _answered_elsewhere(db, list(requests), use_cache))
    report.reused = len(requests) - len(todo)
    by_provider: dict[str, list[str]] = {}
    for key in todo:
        by_provider.setdefault(requests[key][0].spec.id, []).append(key)
    for provider_id, keys in by_provider.items():
        provider = requests[keys[0]][0]
        ep = endpoint_for(provider)
        if ep is None:
            continue
        for i in range(0, len(keys), options.max_items):
            chunk = keys[i : i + options.max_items]
            items = [batch_api.BatchItem(k, request_body(provider, ep.api, requests[k][1])) for k in chunk]
            batch_id = batch_api.submit(ep, items)
            stored.record_batch(db, batch_id, ep.api, provider_id, ep.base_url, chunk)
            report.submitted.setdefault(provider_id, []).append(batch_id)
    return report


def endpoint_of(batch: stored.StoredBatch) -> batch_api.Endpoint:
    """The endpoint a stored batch went to, with today's key (keys are never stored)."""
    env = "ANTHROPIC_API_KEY" if batch.api == "anthropic" else "OPENAI_API_KEY"
    return batch_api.Endpoint(batch.api, batch.base_url, os.environ.get(env))


def collect(
    db: Database,
    *,
    options: BatchOptions,
    keys: dict[str, batch_api.Endpoint] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Step 2b: poll every open batch until it ends (or the wait runs out); store its answers.

    `keys` maps a base URL to the endpoint (with the key) the run resolved; stored batches of other
    endpoints use today's environment. Returns the ids of batches still running.
    """
    deadline = None if options.wait_s is None else time.monotonic() + options.wait_s
    while True:
        open_batches = stored.list_batches(db, open_only=True)
        for b in open_batches:
            ep = (keys or {}).get(b.base_url) or endpoint_of(b)
            status = batch_api.poll(ep, b.batch_id)
            stored.update_status(db, b.batch_id, status.status, status.counts, status.message)
            if status.final:
                answers = batch_api.results(ep, status)
                stored.store_answers(
                    db, b.batch_id, [(a.custom_id, a.body, a.error) for a in answers], final=status.status
                )
                if log:
                    done = sum(1 for a in answers if a.error is None)
                    log(f"batch {b.batch_id} ({b.provider_id}): {status.status}, {done}/{b.n_items} answered")
        still = [b.batch_id for b in stored.list_batches(db, open_only=True)]
        if not still:
            return []
        if deadline is not None and time.monotonic() + options.poll_s > deadline:
            return still
        if log:
            log(f"waiting for {len(still)} batch{'es' * (len(still) != 1)}; next poll in {options.poll_s:g} s")
        time.sleep(options.poll_s)


def prepare(suite: Suite, config: RunConfig, db: Database, options: BatchOptions) -> BatchReport:
    """Steps 1 and 2: after this, `config` with `answering_wrapper(db)` runs the graded run."""
    requests = collect_requests(suite, config)
    report = submit_missing(db, requests, options, config.use_cache)
    endpoints = {}
    for provider, _ in requests.values():
        ep = endpoint_for(provider)
        if ep is not None:
            endpoints[ep.base_url] = ep

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    n_new = sum(len(v) for v in report.submitted.values())
    if report.requests:
        log(
            f"batch: {report.requests} requests, {report.reused} already answered, "
            f"{report.requests - report.reused} submitted in {n_new} new batch{'es' * (n_new != 1)}"
        )
    report.pending = collect(db, options=options, keys=endpoints, log=log)
    return report


def batch_estimate_line(suite: Suite, rows: list[Any]) -> str | None:
    """`--dry-run`: what the batchable rows of an estimate cost now and as a batch, side by side.

    `rows` are the estimate's rows (provider_idx, tokens_in, tokens_out, cost); None when no row
    is batchable or priced.
    """
    now = batched = 0.0
    n = 0
    providers: dict[int, Any] = {}
    for r in rows:
        if r.cost is None:
            continue
        if r.provider_idx not in providers:
            spec = suite.providers[r.provider_idx]
            try:
                providers[r.provider_idx] = configure(resolve(spec, suite.base_dir), spec, suite.settings)
            except ProviderError:
                providers[r.provider_idx] = None
        provider = providers[r.provider_idx]
        if not isinstance(provider, LiteLLMProvider) or endpoint_for(provider) is None:
            continue
        price = batch_price(provider)
        cost = price.cost(r.tokens_in, r.tokens_out) if price else None
        if cost is None:
            continue
        now, batched, n = now + r.cost, batched + cost, n + 1
    if not n:
        return None
    return f"As a batch (--batch, answers within 24 h): {fmt_cost(batched)} instead of {fmt_cost(now)} for the batchable rows"


def run_batched(
    suite: Suite, config: RunConfig, db: Database, options: BatchOptions, **run_kwargs: Unpack[RunSuiteArgs]
) -> RunOutcome:
    """`workbench run --batch` for one suite: prepare, then the graded run (a RunOutcome)."""
    report = prepare(suite, config, db, options)
    if report.pending:
        raise BatchPending(report.pending)
    return run_suite(suite, dataclasses.replace(config, provider_wrapper=answering_wrapper(db)), db, **run_kwargs)


class BatchPending(WorkbenchError):
    """The wait ended before every batch did: nothing was graded; run again or collect later (exit 75)."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, batch_ids: list[str]) -> None:
        super().__init__(
            f"{len(batch_ids)} batch{'es' * (len(batch_ids) != 1)} still running ({', '.join(batch_ids)}); "
            "`workbench batch collect` then `workbench run --batch` again picks them up (nothing is resubmitted)"
        )
        self.batch_ids = batch_ids
