"""The compressor registry: the methods a variant such as `llmlingua:0.5` can name.

Built-ins (`lingua.py`) and outside plugins register through the same
`register_compressors(registry)` hook (see `workbench/plugins.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.errors import PluginError


@dataclass(frozen=True)
class Compressed:
    text: str
    seconds: float  # compressor wall time
    facts_dropped: tuple[str, ...] = ()  # facts the compressor dropped (see compression/fact_guard.py)


def _configured_model(settings: dict[str, Any]) -> str:
    return str(settings.get("model") or "")


@dataclass(frozen=True)
class Compressor:
    """One compression method.

    compress(text, rate, model, question): the compressed text (or a `Compressed`, when the
        method times itself); blocking, run in a worker thread; `rate` is the target fraction of
        tokens kept, in (0, 1].
    model_for(settings): the model it uses under `workbench: compression:` ({model, llmlingua2_model}).
    check(model): raise `UsageError` (one line) when that model is unavailable; runs before the run.
    needs_question: the `question_var` value is passed and keys the compression cache.
    """

    name: str
    compress: Callable[[str, float, str, str], str | Compressed]
    model_for: Callable[[dict[str, Any]], str] = _configured_model
    check: Callable[[str], None] | None = None
    needs_question: bool = False


class CompressorRegistry:
    def __init__(self) -> None:
        self._methods: dict[str, Compressor] = {}

    def add(self, compressor: Compressor) -> None:
        if not isinstance(compressor, Compressor):
            raise PluginError(f"register_compressors: expected a Compressor, got {type(compressor).__name__}")
        name = compressor.name
        if not isinstance(name, str) or not name or ":" in name or name == "none":
            raise PluginError(f"compressor {name!r}: a name is a non-empty string without ':' and not 'none'")
        if not callable(compressor.compress):
            raise PluginError(f"compressor {name!r}: compress is not callable")
        self._methods[name] = compressor

    def get(self, name: str) -> Compressor | None:
        return self._methods.get(name)

    def names(self) -> list[str]:
        return list(self._methods)
