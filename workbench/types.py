"""Plain data passed between the pipeline steps: suite -> cells -> responses -> grades -> store.

Every step (suite loading, rendering, compression, calling, grading, storing) takes and returns
these dataclasses, so each can be tested alone. Nothing here imports litellm, torch or sqlite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

JSON = Any  # a value that json.dumps accepts


@dataclass
class Prompt:
    """One prompt of a suite: a template (text, or a chat message list serialized as JSON)."""

    raw: str
    label: str
    id: str | None = None  # the prompt's `id` from the suite, else None
    path: Path | None = None  # file it came from, when any
    family: str | None = None  # prompts/<family>/<version>.<ext>
    version: str | None = None
    sha256: str = ""  # of the normalized content
    is_chat: bool = False  # raw is a JSON list of {role, content}
    config: dict[str, Any] = field(default_factory=dict)
    # A prompt function (`file://prompt.py:fn`, `file://prompt.js[:fn]`): (file, function name or
    # None). Each row calls it with {vars, provider}; what it returns is the template rendered.
    function: tuple[Path, str | None] | None = None


@dataclass
class ProviderSpec:
    """A provider as written in the suite (`echo`, `openai:gpt-4o-mini`, `{id, label, config}`)."""

    id: str
    label: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    transform: str | None = None

    @property
    def display(self) -> str:
        return self.label or self.id


@dataclass
class TestCase:
    """One test row after defaultTest merge, CSV loading and vars-array expansion."""

    __test__ = False  # not a pytest test class

    index: int  # promptfoo's testIdx
    vars: dict[str, Any]
    asserts: list[dict[str, Any]]  # raw assertion dicts, defaultTest's first
    description: str | None = None
    threshold: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    providers: list[str] | None = None  # test-level filter
    prompts: list[str] | None = None  # test-level filter
    assert_scoring_function: str | None = None
    provider_output: Any = None  # `providerOutput`: skip the call, use this output


@dataclass(frozen=True)
class SuiteCompression:
    """`workbench: {compression: {...}}`: the models the compressors use (paths as written)."""

    model: str | None = None  # causal LM: a local model name (smollm2-135m) or a directory
    llmlingua2_model: str | None = None  # token-classification model directory
    keep_facts: bool = True  # the fact-retention guard (compression/fact_guard.py)


@dataclass(frozen=True)
class SuiteSettings:
    """The suite's `workbench:` block, parsed once when the suite loads (`suite/settings.py`).

    Every stage reads it by attribute from `Suite.settings`. Values that a later stage parses
    further or stores as written (acceptance, prices, fallbacks, retries, batch) stay JSON.
    """

    variants: list[str] = field(default_factory=list)  # [] = the run's default (none)
    compressible: list[str] | None = None  # None: the prompt family's prompt.yaml decides
    question_var: str | None = None  # None: the prompt family's prompt.yaml decides
    compression: SuiteCompression = field(default_factory=SuiteCompression)
    acceptance: dict[str, JSON] = field(default_factory=dict)  # stored with the run as written
    max_cost: float | None = None  # USD
    prices: dict[str, JSON] | None = None  # provider id/label -> price settings (providers/pricing.py)
    fallbacks: dict[str, JSON] = field(default_factory=dict)  # provider id/label -> fallback ids
    retries: dict[str, JSON] = field(default_factory=dict)  # max_attempts, timeout, retry_base_delay
    cache_ttl: float | None = None  # `cache: {ttl: SECONDS}`
    batch: dict[str, JSON] | None = None  # poll_seconds, wait_seconds, max_items (run/batch_mode.py)
    test_doubles: list[str] = field(default_factory=list)  # provider ids, labels or id prefixes
    prompt_growth_warn: JSON = None  # stored with the run as written (analysis/system_metrics.py)
    given: frozenset[str] = frozenset()  # the fields the block set (several suites: the later wins)

    def merged(self, later: SuiteSettings) -> SuiteSettings:
        """These settings with every field `later` set taken from it (promptfoo's `-c a -c b`)."""
        return replace(self, **{name: getattr(later, name) for name in later.given}, given=self.given | later.given)


@dataclass
class Suite:
    path: Path | None
    description: str | None
    prompts: list[Prompt]
    providers: list[ProviderSpec]
    # A list, or for a large suite a `suite.test_bank.TestBank`: a read-only sequence that keeps
    # its tests in a temporary file and builds each when read (iterate it; do not keep them all).
    tests: Sequence[TestCase]
    evaluate_options: dict[str, Any] = field(default_factory=dict)
    settings: SuiteSettings = field(default_factory=SuiteSettings)  # the top-level `workbench:` block
    derived_metrics: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""  # of the suite file's bytes
    extensions: list[str] = field(default_factory=list)  # promptfoo hooks: `file://hooks.js:fn`
    nunjucks_filters: dict[str, Path] = field(default_factory=dict)  # filter name -> JavaScript file
    # The tests as written (before defaultTest merge and vars expansion), for a beforeAll hook
    # that edits them: (raw tests, defaultTest as written, scenarios), see suite.rebuild_tests.
    test_source: Any = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


@dataclass
class Cell:
    """One unit of work: (prompt, variant, provider, test, repeat)."""

    prompt_idx: int
    provider_idx: int
    test_idx: int
    repeat: int = 0
    variant: str = "none"

    @property
    def key(self) -> str:
        return f"{self.prompt_idx}:{self.variant}:{self.provider_idx}:{self.test_idx}:{self.repeat}"


@dataclass
class ProviderRequest:
    prompt: str  # rendered prompt text (for chat prompts: the JSON text)
    messages: list[dict[str, Any]]  # the chat messages sent
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, ...
    repeat: int = 0
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProviderResponse:
    output: Any = None  # usually str; transforms may make it any JSON value
    error: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    token_source: str | None = None  # "usage" | "tiktoken" | "none"
    cost: float | None = None  # USD; None = unknown price
    latency_ms: float | None = None  # of the successful attempt
    wall_ms: float | None = None  # all attempts
    cached: bool = False
    cached_cost: float | None = None  # original cost of a cached response
    attempts: int = 1
    fallback_used: str | None = None
    finish_reason: str | None = None
    logprobs: list[float] | None = None
    model: str | None = None  # resolved model name
    metadata: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)  # cached_tokens, reasoning_tokens, ... (priced)


@dataclass
class GradingResult:
    """promptfoo's GradingResult: one per assertion, plus the row-level aggregate."""

    pass_: bool
    score: float
    reason: str = ""
    assertion: dict[str, Any] | None = None
    named_scores: dict[str, float] = field(default_factory=dict)
    component_results: list[GradingResult] = field(default_factory=list)
    tokens_used: dict[str, int] = field(default_factory=dict)
    cost: float | None = None  # grader cost, apart from the graded call
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VarCompression:
    """One compressed var's size before and after, in the target model's tokens."""

    original_tokens: int
    compressed_tokens: int


@dataclass(frozen=True)
class CompressionInfo:
    """What a variant's compression did to one cell's prompt (stored as the result's `compression` JSON)."""

    method: str
    rate: float
    compressor_model: str
    target_model: str | None
    original_tokens: int  # the whole prompt, the target model's tokenizer
    compressed_tokens: int
    ratio: float | None
    tokens_saved: int
    seconds: float  # compressor wall time in this cell
    compressor_seconds: float  # what the compressions cost when computed
    cached: bool
    vars: dict[str, VarCompression]
    # Facts (numbers, identifiers, e-mails, dates, names) the compressor dropped; with `keep_facts`
    # (the default) the guard put them back, so the prompt still holds them.
    facts_dropped: list[str]
    facts_restored: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "rate": self.rate,
            "compressor_model": self.compressor_model,
            "target_model": self.target_model,
            "original_tokens": self.original_tokens,
            "compressed_tokens": self.compressed_tokens,
            "ratio": self.ratio,
            "tokens_saved": self.tokens_saved,
            "seconds": self.seconds,
            "compressor_seconds": self.compressor_seconds,
            "cached": self.cached,
            "vars": {
                name: {"original_tokens": v.original_tokens, "compressed_tokens": v.compressed_tokens}
                for name, v in self.vars.items()
            },
            "facts_dropped": self.facts_dropped,
            "facts_restored": self.facts_restored,
        }


@dataclass
class CellResult:
    """Everything the store keeps for one cell."""

    cell: Cell
    prompt_text: str  # the rendered (and compressed) prompt sent
    response: ProviderResponse
    success: bool
    score: float
    error: str | None  # row-level ERROR reason (provider error or an assertion that threw)
    grading: GradingResult | None
    named_scores: dict[str, float] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0
    compression: CompressionInfo | None = None


@dataclass
class GradeConfig:
    """Run-wide grading options (grader override, code-assert policy, timeouts)."""

    grader: str | None = None  # --grader provider id
    allow_code: bool = True  # False with --no-code-asserts: python/javascript/transforms refused
    script_timeout_s: float = 10.0
