"""The built-in providers, registered through the same hook as an outside plugin's.

Later registrations are tried first, so the specific forms (`file://x.py`, `exec:`, `http`)
come after the broad litellm matcher.
"""

from __future__ import annotations

from workbench.providers.base import ProviderFactory, ProviderRegistry
from workbench.providers.echo import EchoProvider
from workbench.providers.exec_provider import ExecProvider
from workbench.providers.exec_provider import matches as exec_matches
from workbench.providers.http_provider import HttpProvider
from workbench.providers.http_provider import matches as http_matches
from workbench.providers.ids import to_litellm_model
from workbench.providers.js_provider import JavaScriptProvider
from workbench.providers.js_provider import matches as js_matches
from workbench.providers.litellm_provider import LiteLLMProvider
from workbench.providers.local import PREFIX as LOCAL_PREFIX
from workbench.providers.local import LocalProvider
from workbench.providers.python_provider import PythonProvider
from workbench.providers.python_provider import matches as python_matches


def register_providers(registry: ProviderRegistry) -> None:
    registry.add(ProviderFactory("litellm", lambda pid: to_litellm_model(pid) is not None, LiteLLMProvider))
    registry.add(ProviderFactory("local", lambda pid: pid.startswith(LOCAL_PREFIX), LocalProvider))
    registry.add(ProviderFactory("echo", lambda pid: pid == "echo", EchoProvider))
    registry.add(ProviderFactory("http", http_matches, HttpProvider))
    registry.add(ProviderFactory("exec", exec_matches, ExecProvider))
    registry.add(ProviderFactory("python", python_matches, PythonProvider))
    registry.add(ProviderFactory("javascript", js_matches, JavaScriptProvider))
