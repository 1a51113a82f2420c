"""The built-in providers, registered through the same hook as an outside plugin's.

Later registrations are tried first, so the specific forms (`file://x.py`, `exec:`, `http`)
come after the broad litellm matcher.
"""

from __future__ import annotations

from workbench.providers import exec_provider, http_provider, js_provider, python_provider
from workbench.providers.base import ProviderFactory, ProviderRegistry
from workbench.providers.echo import EchoProvider
from workbench.providers.ids import to_litellm_model
from workbench.providers.litellm_provider import LiteLLMProvider
from workbench.providers.local import PREFIX as LOCAL_PREFIX
from workbench.providers.local import LocalProvider


def register_providers(registry: ProviderRegistry) -> None:
    registry.add(ProviderFactory("litellm", lambda pid: to_litellm_model(pid) is not None, LiteLLMProvider))
    registry.add(ProviderFactory("local", lambda pid: pid.startswith(LOCAL_PREFIX), LocalProvider))
    registry.add(ProviderFactory("echo", lambda pid: pid == "echo", EchoProvider))
    registry.add(ProviderFactory("http", http_provider.matches, http_provider.HttpProvider))
    registry.add(ProviderFactory("exec", exec_provider.matches, exec_provider.ExecProvider))
    registry.add(ProviderFactory("python", python_provider.matches, python_provider.PythonProvider))
    registry.add(ProviderFactory("javascript", js_provider.matches, js_provider.JavaScriptProvider))
