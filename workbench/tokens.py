"""Token counting with tiktoken, offline.

litellm ships the cl100k_base / o200k_base / p50k_base BPE files; TIKTOKEN_CACHE_DIR is pointed
there before tiktoken is first imported, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")


def configure_offline() -> None:
    """Set the env vars that keep tiktoken and litellm off the network. Idempotent."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec and spec.origin:
            d = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
            if d.is_dir():
                os.environ["TIKTOKEN_CACHE_DIR"] = str(d)


def encoding_name_for(model: str | None) -> str:
    m = (model or "").split("/")[-1].split(":")[-1].lower()
    if m.startswith(O200K_PREFIXES):
        return "o200k_base"
    return "cl100k_base"


def cache_dir() -> Path:
    """Where workbench keeps derived files (WORKBENCH_CACHE_DIR, else $XDG_CACHE_HOME/workbench)."""
    explicit = os.environ.get("WORKBENCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbench"


@functools.lru_cache(maxsize=8)
def _encoding(name: str) -> Any:
    """tiktoken's encoding, its merge table read from a marshal file after the first load.

    tiktoken parses its base64 BPE file in Python (~0.2-0.5 s for o200k); the same table as a
    marshal blob loads in ~35 ms. The blob is keyed by tiktoken's version and rebuilt if unreadable.
    """
    configure_offline()
    import marshal

    import tiktoken

    version = getattr(tiktoken, "__version__", "0")
    path = cache_dir() / f"tiktoken-{name}-{version}.marshal"
    try:
        data = marshal.loads(path.read_bytes())
        return tiktoken.Encoding(
            name, pat_str=data["pat_str"], mergeable_ranks=data["ranks"], special_tokens=data["special"]
        )
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        pass
    enc = tiktoken.get_encoding(name)
    blob = {"pat_str": enc._pat_str, "ranks": enc._mergeable_ranks, "special": enc._special_tokens}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(blob))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home only costs the slower load next time
    return enc


def count_tokens(text: str, model: str | None = None) -> int:
    if not text:
        return 0
    return len(_encoding(encoding_name_for(model)).encode(text, disallowed_special=()))


def count_message_tokens(messages: list[dict[str, Any]], model: str | None = None) -> int:
    """OpenAI's chat accounting: ~3 tokens of framing per message plus 3 for the reply primer."""
    total = 3
    for m in messages:
        total += 3
        content = m.get("content")
        if isinstance(content, str):
            total += count_tokens(content, model)
        elif isinstance(content, list):
            total += sum(count_tokens(str(p.get("text", "")), model) for p in content if isinstance(p, dict))
        if m.get("name"):
            total += 1
    return total
