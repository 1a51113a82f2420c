"""The provider interface: one async call from messages + params to a ProviderResponse.

Built-in providers (echo, litellm, local models) register through `register()` exactly as an
outside plugin would. A provider never raises for a failed call: it returns a response with
`error` set, so the run records an ERROR row and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


class Provider(Protocol):
    spec: ProviderSpec

    async def call(self, request: ProviderRequest) -> ProviderResponse: ...


@dataclass
class ProviderFactory:
    """Builds a provider for ids it `matches`; `name` shows in `workbench models`."""

    name: str
    matches: Callable[[str], bool]
    build: Callable[[ProviderSpec, Path], Provider]


_REGISTRY: list[ProviderFactory] = []


def register(factory: ProviderFactory) -> None:
    _REGISTRY.insert(0, factory)  # later registrations win, so plugins can override built-ins


def factories() -> list[ProviderFactory]:
    return list(_REGISTRY)
