"""What `workbench plugins` shows: each installed plugin and the names it registers per stage.

A plugin's hooks are called again on empty registries, so each name is attributed to the plugin
that registers it (the live registries only know the final name -> entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import workbench.plugins as plugins
from workbench.assertions import table
from workbench.assertions.assertion_registry import AssertionRegistry
from workbench.compression import lingua, service
from workbench.compression.compressor_registry import CompressorRegistry
from workbench.providers import builtin_providers
from workbench.providers.base import ProviderRegistry
from workbench.providers.resolution import provider_registry


@dataclass
class PluginEntry:
    name: str
    dist: str | None  # "workbench-shout 0.1"; None for the built-ins
    providers: list[str] = field(default_factory=list)
    assertions: list[str] = field(default_factory=list)
    compressors: list[str] = field(default_factory=list)


def _entry(name: str, dist: str | None, module: object) -> PluginEntry:
    entry = PluginEntry(name, dist)
    if hasattr(module, "register_providers"):
        pr = ProviderRegistry()
        module.register_providers(pr)
        entry.providers = [f.name for f in reversed(pr.factories())]
    if hasattr(module, "register_assertions"):
        ar = AssertionRegistry()
        module.register_assertions(ar)
        entry.assertions = ar.names()
    if hasattr(module, "register_compressors"):
        cr = CompressorRegistry()
        module.register_compressors(cr)
        entry.compressors = cr.names()
    return entry


def installed() -> list[PluginEntry]:
    """The built-ins first, then each outside plugin (loading them: a broken one raises PluginError)."""
    provider_registry(), table.assertion_types(), service.compressors()  # load, as a run would
    builtins = PluginEntry("(built-in)", None)
    for module in (builtin_providers, table, lingua):
        found = _entry("", None, module)
        builtins.providers += found.providers
        builtins.assertions += found.assertions
        builtins.compressors += found.compressors
    return [builtins, *(_entry(p.name, p.dist, p.module) for p in plugins.outside_plugins())]
