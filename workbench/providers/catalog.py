"""The model catalogue behind `workbench models`: litellm's price map plus the local models."""

from __future__ import annotations

from typing import Any

from workbench.providers.local_model import LOCAL_MODELS, is_converted, is_installed
from workbench.providers.pricing import price_map


def list_models(
    query: str | None = None, *, provider: str | None = None, priced_only: bool = False, chat_only: bool = True
) -> list[dict[str, Any]]:
    """One dict per map entry: id, provider, mode, $/1M in and out (None = unknown), context window."""
    q = (query or "").lower()
    out = []
    for key, entry in sorted(price_map().items()):
        prov = str(entry.get("litellm_provider") or "")
        mode = str(entry.get("mode") or "")
        if q and q not in key.lower():
            continue
        if provider and prov != provider:
            continue
        if chat_only and mode not in ("chat", "completion", "responses"):
            continue
        tin, tout = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
        known = isinstance(tin, (int, float)) and isinstance(tout, (int, float))
        per_1m_in = float(tin) * 1e6 if isinstance(tin, (int, float)) and known else None
        per_1m_out = float(tout) * 1e6 if isinstance(tout, (int, float)) and known else None
        if priced_only and not known:
            continue
        ctx = entry.get("max_input_tokens") or entry.get("max_tokens")
        model_id = key if "/" in key or not prov else f"{prov}/{key}"
        out.append(
            {
                "id": model_id,
                "provider": prov,
                "mode": mode,
                "input_per_1m": per_1m_in,
                "output_per_1m": per_1m_out,
                "context_window": int(ctx) if isinstance(ctx, (int, float)) else None,
            }
        )
    return out


def list_local_models(query: str | None = None) -> list[dict[str, Any]]:
    q = (query or "").lower()
    return [
        {
            "id": f"local:{name}",
            "provider": "local",
            "package": info.package,
            "installed": is_installed(name),
            "converted": is_converted(name),
            "input_per_1m": None,  # priced by the suite (workbench.prices), else unknown
            "output_per_1m": None,
            "context_window": info.context_window,
            "description": info.description,
        }
        for name, info in sorted(LOCAL_MODELS.items())
        if not q or q in f"local:{name}"
    ]
