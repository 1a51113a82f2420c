"""Keep secrets out of the database, cache keys, logs, reports and the UI."""

from __future__ import annotations

import re
from typing import Any

SECRET_KEY_RE = re.compile(r"(api[_-]?key|apikey|secret|token|password|authorization|bearer)", re.I)
# Key names that match SECRET_KEY_RE but hold no secret.
NOT_SECRET = {
    "max_tokens",
    "maxtokens",
    "max_completion_tokens",
    "apikeyenvar",
    "api_key_env",
    "tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "max_input_tokens",
    "max_output_tokens",
}
REDACTED = "[redacted]"


def is_secret_key(key: str) -> bool:
    k = key.lower().replace("-", "_")
    if k in NOT_SECRET or k.replace("_", "") in NOT_SECRET:
        return False
    return bool(SECRET_KEY_RE.search(k))


def redact_config(config: Any) -> Any:
    """A copy of `config` with every secret-looking value replaced."""
    if isinstance(config, dict):
        return {k: (REDACTED if is_secret_key(str(k)) and v else redact_config(v)) for k, v in config.items()}
    if isinstance(config, list):
        return [redact_config(v) for v in config]
    return config


def strip_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of `config` without secret keys at all (for cache keys)."""
    return {k: strip_secrets(v) if isinstance(v, dict) else v for k, v in config.items() if not is_secret_key(str(k))}
