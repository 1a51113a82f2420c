"""Let llmlingua 0.2.2 drive a transformers >= 4.47 causal LM.

llmlingua passes `past_key_values` as a list of `(key, value)` tensors, slices that list itself
(`k[..., :s, :]`) and reads `past_key_values[0][0].shape[2]`. transformers >= 4.47 wants a `Cache`
object in and returns one. `LegacyCacheModel` wraps the model at our boundary: its `__call__`
turns the legacy list into a `DynamicCache`, runs the real model and hands back a list of
`(key, value)` tuples again, so llmlingua's own code runs unchanged (site-packages untouched).

transformers 5.x builds the cache from the list (`DynamicCache(list)`) and exposes it through
`cache.layers[i].keys/values`; 4.x has `DynamicCache.from_legacy_cache` / `to_legacy_cache`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LegacyCache = list[tuple[Any, Any]]


def to_dynamic_cache(legacy: Sequence[Sequence[Any]]) -> Any:
    """`[(k, v), ...]` (tensors shaped batch, heads, seq, dim) -> a `DynamicCache`."""
    from transformers import DynamicCache

    pairs = [(kv[0], kv[1]) for kv in legacy]
    from_legacy = getattr(DynamicCache, "from_legacy_cache", None)
    if from_legacy is not None:  # transformers 4.x
        return from_legacy(tuple(pairs))
    return DynamicCache(pairs)  # transformers 5.x: the constructor fills one layer per pair


def to_legacy_cache(cache: Any) -> LegacyCache:
    """A `Cache` (or an already-legacy tuple) -> `[(k, v), ...]`."""
    if cache is None:
        return []
    if isinstance(cache, (list, tuple)):
        return [(kv[0], kv[1]) for kv in cache]
    layers = getattr(cache, "layers", None)
    if layers is not None:  # transformers 5.x
        return [(layer.keys, layer.values) for layer in layers if getattr(layer, "keys", None) is not None]
    return list(cache.to_legacy_cache())  # transformers 4.x


class LegacyCacheModel:
    """A causal LM that takes and returns legacy tuple caches, as llmlingua 0.2.2 expects.

    Everything other than the call (config, device, generate, ...) is the wrapped model's.
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, *args: Any, past_key_values: Any = None, **kwargs: Any) -> Any:
        if past_key_values is not None and not hasattr(past_key_values, "get_seq_length"):
            past_key_values = to_dynamic_cache(past_key_values) if len(past_key_values) else None
        out = self.model(*args, past_key_values=past_key_values, **kwargs)
        if getattr(out, "past_key_values", None) is not None:
            out.past_key_values = to_legacy_cache(out.past_key_values)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)
