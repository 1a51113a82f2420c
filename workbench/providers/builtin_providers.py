"""The built-in providers, registered through the same hook as an outside plugin's."""

from __future__ import annotations

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
