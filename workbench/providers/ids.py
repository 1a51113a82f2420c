"""Provider ids: promptfoo forms (`openai:chat:gpt-4o-mini`) and litellm forms (`openai/gpt-4o-mini`).

Pure string handling, no imports of litellm, so `resolve()` can reject an unknown id instantly.
"""

from __future__ import annotations

import functools

from workbench.providers.pricing import price_map

# promptfoo provider prefix -> litellm provider prefix. The middle segment promptfoo allows
# (`openai:chat:`, `anthropic:messages:`, `ollama:chat:`) picks the endpoint.
PROMPTFOO_PREFIXES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure",
    "azureopenai": "azure",
    "ollama": "ollama",
    "groq": "groq",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "togetherai": "together_ai",
    "fireworks": "fireworks_ai",
    "openrouter": "openrouter",
    "perplexity": "perplexity",
    "cohere": "cohere",
    "gemini": "gemini",
    "google": "gemini",
    "vertex": "vertex_ai",
    "bedrock": "bedrock",
    "xai": "xai",
    "huggingface": "huggingface",
    "litellm": "",  # `litellm:<litellm model id>`
}
ENDPOINTS = {"chat", "messages", "completion", "responses"}


@functools.lru_cache(maxsize=1)
def litellm_providers() -> frozenset[str]:
    """Provider prefixes litellm knows (from its price map, plus the common OpenAI-compatible ones)."""
    names = {str(v.get("litellm_provider")) for v in price_map().values() if v.get("litellm_provider")}
    names |= {"openai", "anthropic", "ollama", "ollama_chat", "azure", "hosted_vllm", "openai_like", "lm_studio"}
    names |= {v for v in PROMPTFOO_PREFIXES.values() if v}
    return frozenset(names)


def to_litellm_model(provider_id: str) -> str | None:
    """The litellm model id for a provider id, or None when the id is not a litellm-backed one."""
    pid = provider_id.strip()
    if ":" in pid and not pid.startswith(("http:", "https:", "file:")):
        prefix, rest = pid.split(":", 1)
        if prefix not in PROMPTFOO_PREFIXES or not rest:
            return None
        target = PROMPTFOO_PREFIXES[prefix]
        endpoint = ""
        if ":" in rest:
            head, tail = rest.split(":", 1)
            if head in ENDPOINTS and tail:
                endpoint, rest = head, tail
        if target == "":
            return rest if "/" in rest else None
        if target == "ollama" and endpoint == "chat":
            return f"ollama_chat/{rest}"  # /api/chat; promptfoo's bare `ollama:<model>` is /api/generate
        if target == "openai" and endpoint == "completion":
            return f"text-completion-openai/{rest}"
        return f"{target}/{rest}"
    if "/" in pid:
        prefix = pid.split("/", 1)[0]
        if prefix in litellm_providers() and pid.split("/", 1)[1]:
            return pid
    return None
