"""Provider resolution: suite provider specs -> Provider objects."""

from __future__ import annotations

from pathlib import Path

from workbench.errors import ProviderError
from workbench.providers.base import Provider, ProviderFactory, factories, register
from workbench.providers.echo import EchoProvider
from workbench.types import ProviderSpec

register(ProviderFactory("echo", lambda pid: pid == "echo", lambda spec, base: EchoProvider(spec, base)))


def _register_builtins() -> None:
    # Imported here (not at module top) so `workbench --help` never pays for litellm or torch.
    import importlib

    for mod in ("workbench.providers.litellm_provider", "workbench.providers.local"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


_builtins_loaded = False


def resolve(spec: ProviderSpec, base_dir: Path | None = None) -> Provider:
    """The provider for a spec; ProviderError (exit 2) for an unknown id."""
    global _builtins_loaded
    if not _builtins_loaded:
        _register_builtins()
        _builtins_loaded = True
    for f in factories():
        if f.matches(spec.id):
            return f.build(spec, base_dir or Path.cwd())
    raise ProviderError(f"unknown provider id {spec.id!r} (see `workbench models` for known ids)")


__all__ = ["Provider", "ProviderFactory", "register", "resolve"]
