"""The one door for plugins: the `workbench.plugins` entry-point group and three registration hooks.

A plugin is a module (named by an entry point in the `workbench.plugins` group) that defines any
of these functions, each called once with the registry of its stage:

    register_providers(registry: workbench.providers.base.ProviderRegistry)
    register_assertions(registry: workbench.assertions.assertion_registry.AssertionRegistry)
    register_compressors(registry: workbench.compression.compressor_registry.CompressorRegistry)

The built-ins are modules with the same functions, passed to `call_hook` first; outside plugins
come after them, so a plugin may replace a built-in name. Each stage fills its registry the first
time it is used, so `workbench --help` loads nothing and a run that compresses nothing never
imports a compressor. `WORKBENCH_LOAD_PLUGINS` limits outside plugins: unset = all installed,
empty = none, `a,b` = only the entry points named a and b.

Why not pluggy (llm's choice): three hooks with one argument each need none of its machinery
(wrappers, firstresult, ordering), the registry argument is a typed class mypy can check in the
plugin, and it keeps the runtime dependencies as they are. See docs/plugins.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, TypeVar

from workbench.errors import PluginError

GROUP = "workbench.plugins"
HOOKS = ("register_providers", "register_assertions", "register_compressors")


@dataclass(frozen=True)
class Plugin:
    name: str  # the entry point's name
    module: Any  # the object the entry point names (usually a module)
    dist: str | None  # the distribution that installed it, e.g. "workbench-shout 0.1"
    hooks: tuple[str, ...]  # the hooks it implements


_loaded: list[Plugin] | None = None
_outside_code: list[str] = []  # the first thing that brought code from outside workbench in


def note_outside_code(what: str) -> None:
    """Record that code from outside workbench (a plugin, a user's Python file) now runs here."""
    if not _outside_code:
        _outside_code.append(what)


def outside_code_loaded() -> bool:
    """Whether a plugin or a user's Python code was loaded into this process (its module globals
    may hold buffered files that only the interpreter's teardown flushes: cli/process_exit.py)."""
    return bool(_outside_code)


def _wanted() -> set[str] | None:
    raw = os.environ.get("WORKBENCH_LOAD_PLUGINS")
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _load(ep: metadata.EntryPoint) -> Plugin:
    dist = getattr(ep, "dist", None)
    label = f"{dist.name} {dist.version}" if dist is not None else None
    where = f"plugin {ep.name!r} ({ep.value}, entry point group {GROUP})"
    note_outside_code(where)
    try:
        obj = ep.load()
    except Exception as e:  # any import failure of someone else's code: one line, exit 2
        raise PluginError(f"{where}: cannot be loaded: {type(e).__name__}: {e}") from e
    hooks = tuple(h for h in HOOKS if callable(getattr(obj, h, None)))
    unknown = sorted(
        n for n in dir(obj) if n.startswith("register_") and n not in HOOKS and callable(getattr(obj, n, None))
    )
    if unknown:
        raise PluginError(f"{where}: unknown hook {unknown[0]!r} (known: {', '.join(HOOKS)})")
    if not hooks:
        raise PluginError(f"{where}: defines none of the hooks {', '.join(HOOKS)}")
    return Plugin(ep.name, obj, label, hooks)


def outside_plugins() -> list[Plugin]:
    """The installed plugins (loaded once per process), in entry-point name order."""
    global _loaded
    if _loaded is None:
        wanted = _wanted()
        eps = sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name)
        seen: set[str] = set()
        found: list[Plugin] = []
        for ep in eps:
            if ep.name in seen or (wanted is not None and ep.name not in wanted):
                continue  # the same dist can be on sys.path twice (editable + site-packages)
            seen.add(ep.name)
            found.append(_load(ep))
        _loaded = found
    return list(_loaded)


def call_hook(hook: str, registry: object, builtins: Iterable[Callable[[Any], None]]) -> None:
    """Fill `registry`: the built-in hook functions first, then every outside plugin's `hook`."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}")
    for fn in builtins:
        fn(registry)
    for plugin in outside_plugins():
        impl = getattr(plugin.module, hook, None)
        if impl is None:
            continue
        try:
            impl(registry)
        except PluginError:
            raise
        except Exception as e:
            raise PluginError(f"plugin {plugin.name!r}: {hook} failed: {type(e).__name__}: {e}") from e


R = TypeVar("R")


class RegistryLoader(Generic[R]):
    """A stage's registry, filled the first time it is called: `hook` of the built-in modules'
    functions, then of every outside plugin (`call_hook`). Each stage keeps one, e.g.

        compressors = RegistryLoader("register_compressors", CompressorRegistry, [lingua.register_compressors])
        compressors().get("llmlingua")

    `loaded` is the filled registry (None until the first call; a test may set it back to None)."""

    def __init__(self, hook: str, new: Callable[[], R], builtins: Sequence[Callable[[R], None]]) -> None:
        if hook not in HOOKS:
            raise ValueError(f"unknown hook {hook!r}")
        self.hook, self.new, self.builtins = hook, new, builtins
        self.loaded: R | None = None

    def __call__(self) -> R:
        if self.loaded is None:
            registry = self.new()
            call_hook(self.hook, registry, self.builtins)
            self.loaded = registry
        return self.loaded


def reset() -> None:
    """Forget the loaded plugins (tests that install one in-process)."""
    global _loaded
    _loaded = None
