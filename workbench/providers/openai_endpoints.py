"""Which litellm model ids are served over the plain OpenAI chat-completions protocol, and where.

The lean transport (`openai_compat.py`) is the default for these; litellm is imported only for
the others (Anthropic, Gemini, Bedrock, Vertex, Cohere, Azure, ...), for non-chat endpoints, and
for OpenAI's reasoning models, whose parameters litellm rewrites (`max_tokens` ->
`max_completion_tokens`, unsupported `temperature` dropped). `transport: litellm` in a provider's
config always forces litellm. Pure data and string handling: importing this costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None  # None: the provider has no public default; `apiBaseUrl` is required
    key_env: tuple[str, ...]  # environment variables holding the key, first set wins
    suffix: str = ""  # appended to a user-given base that lacks it (Ollama's /v1)


# litellm provider prefix -> its OpenAI-compatible endpoint (the same defaults litellm uses).
OPENAI_PROTOCOL: dict[str, Endpoint] = {
    "openai": Endpoint("https://api.openai.com/v1", ("OPENAI_API_KEY",)),
    "groq": Endpoint("https://api.groq.com/openai/v1", ("GROQ_API_KEY",)),
    "together_ai": Endpoint("https://api.together.xyz/v1", ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY")),
    "deepseek": Endpoint("https://api.deepseek.com/v1", ("DEEPSEEK_API_KEY",)),
    "fireworks_ai": Endpoint("https://api.fireworks.ai/inference/v1", ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY")),
    "openrouter": Endpoint("https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",)),
    "xai": Endpoint("https://api.x.ai/v1", ("XAI_API_KEY",)),
    "hosted_vllm": Endpoint(None, ("HOSTED_VLLM_API_KEY",)),
    "openai_like": Endpoint(None, ()),
    "lm_studio": Endpoint("http://localhost:1234/v1", ("LM_STUDIO_API_KEY",)),
    # `ollama:chat:<model>` (litellm `ollama_chat/`): Ollama's /v1 is the same chat endpoint.
    "ollama_chat": Endpoint("http://localhost:11434/v1", (), suffix="/v1"),
}
# OpenAI models whose request parameters litellm rewrites: they keep the litellm transport.
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def lean_endpoint(model: str, api_base: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(base URL, key env vars) when `model` (a litellm id) can use the lean transport, else None."""
    provider, _, bare = model.partition("/")
    endpoint = OPENAI_PROTOCOL.get(provider)
    if endpoint is None or not bare:
        return None
    if provider == "openai" and bare.split("/")[-1].lower().startswith(REASONING_PREFIXES):
        return None
    base = api_base or endpoint.base_url
    if base is None:
        return None
    if api_base and endpoint.suffix and not api_base.rstrip("/").endswith(endpoint.suffix):
        base = api_base.rstrip("/") + endpoint.suffix
    return base, endpoint.key_env
