"""Prompt compression (LLMLingua family) for variants; see docs/compression.md.

- `adapter.py`: legacy tuple KV cache <-> transformers `DynamicCache` for llmlingua 0.2.2.
- `lingua.py`: the compressors (llmlingua, longllmlingua, llmlingua2) on local models only.
- `compressor_registry.py`: `Compressor` and the registry the `register_compressors` hook fills.
- `compression_cache.py`: the `compressions` table, so reruns never recompress.
- `sentences.py`: sentence/paragraph splitting without nltk data.
- `service.py`: `compress_cached`, the one async entry point (cache, dedupe, worker thread).
"""

from __future__ import annotations
