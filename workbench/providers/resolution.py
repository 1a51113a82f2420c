"""Provider resolution: suite provider specs -> Provider objects, through the provider registry
(built-ins from `builtin_providers`, then plugins)."""

from __future__ import annotations

from pathlib import Path

import workbench.plugins as plugins
from workbench.errors import ProviderError
from workbench.providers import builtin_providers
from workbench.providers.base import Provider, ProviderFactory, ProviderRegistry
from workbench.types import ProviderSpec

provider_registry = plugins.RegistryLoader(
    "register_providers", ProviderRegistry, [builtin_providers.register_providers]
)
"""`provider_registry()`: the registry, filled on first use: built-ins, then outside plugins (`workbench.plugins`)."""


def register(factory: ProviderFactory) -> None:
    """Add a factory after the built-ins and plugins (in-process use, e.g. tests and notebooks)."""
    provider_registry().add(factory)


def resolve(spec: ProviderSpec, base_dir: Path | None = None) -> Provider:
    """The provider for a spec; ProviderError (exit 2) for an unknown id."""
    factory = provider_registry().find(spec.id)
    if factory is None:
        raise ProviderError(f"unknown provider id {spec.id!r} (see `workbench models` for known ids)")
    return factory.build(spec, base_dir or Path.cwd())


__all__ = ["Provider", "ProviderFactory", "ProviderRegistry", "provider_registry", "register", "resolve"]
