"""The provider interface and its registry.

A provider is one async call from messages + params to a ProviderResponse. It never raises for a
failed call: it returns a response with `error` set, so the run records an ERROR row and goes on.

Providers are found through a `ProviderRegistry` of factories, filled by the `register_providers`
hook: the built-ins (`builtin_providers.py`) and outside plugins (`workbench.plugins`) register
the same way. A factory `matches` provider ids and `build`s a provider for one suite entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workbench.errors import PluginError
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class Provider(Protocol):
    spec: ProviderSpec

    async def call(self, request: ProviderRequest) -> ProviderResponse: ...


@dataclass
class ProviderFactory:
    """Builds a provider for ids it `matches`; `name` shows in `workbench plugins`."""

    name: str
    matches: Callable[[str], bool]
    build: Callable[[ProviderSpec, Path], Provider]


class ProviderRegistry:
    """Factories, newest first: a later registration (a plugin) wins over an earlier one (a built-in)."""

    def __init__(self) -> None:
        self._factories: list[ProviderFactory] = []

    def add(self, factory: ProviderFactory) -> None:
        if not isinstance(factory, ProviderFactory):
            raise PluginError(f"register_providers: expected a ProviderFactory, got {type(factory).__name__}")
        if not factory.name or not callable(factory.matches) or not callable(factory.build):
            raise PluginError(f"provider factory {factory.name!r}: needs a name, a matches(id) and a build(spec, dir)")
        self._factories.insert(0, factory)

    def find(self, provider_id: str) -> ProviderFactory | None:
        for f in self._factories:
            if f.matches(provider_id):
                return f
        return None

    def factories(self) -> list[ProviderFactory]:
        return list(self._factories)
