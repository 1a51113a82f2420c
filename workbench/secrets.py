"""Keep secrets out of the database, cache keys, logs, reports and the UI."""

from __future__ import annotations

import functools
import os
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


@functools.lru_cache(maxsize=4096)  # the same few key names, once per call and per stored row
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


# Environment variables whose values are secrets wherever they show up (a var, an output, an error).
SECRET_ENV_RE = re.compile(r"(API_KEY|_TOKEN|_SECRET|_SECRET_KEY|_ACCESS_KEY|_PASSWORD)$", re.I)
MIN_SECRET_LEN = 8  # shorter values would redact ordinary words
NOT_SECRET_VALUES = {"sk-workbench-no-key"}


def secret_values(configs: Any = ()) -> list[str]:
    """Every configured secret: `*_API_KEY`/`*_TOKEN`/`*_SECRET` environment values and the
    secret-looking keys of the given provider configs; longest first (so a key containing
    another is redacted whole)."""
    found = {v for k, v in os.environ.items() if SECRET_ENV_RE.search(k) and v}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if is_secret_key(str(k)) and isinstance(v, str):
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(list(configs))
    return sorted((v for v in found if len(v) >= MIN_SECRET_LEN and v not in NOT_SECRET_VALUES), key=len, reverse=True)


class Redactor:
    """Replaces every configured secret value in the strings it is given with `[redacted]`."""

    def __init__(self, configs: Any = ()) -> None:
        self.secrets = secret_values(configs)
        self._re = re.compile("|".join(re.escape(s) for s in self.secrets)) if self.secrets else None

    def text(self, value: Any) -> Any:
        if self._re is None or not isinstance(value, str):
            return value
        return self._re.sub(REDACTED, value)

    def row(self, *values: Any) -> tuple[Any, ...]:
        if self._re is None:  # no secrets configured: the common case, once per stored row
            return values
        # One search over the row's strings joined: a secret inside any value is found in the
        # joined text too, so a row without one (nearly every row) is returned as it is.
        if self._re.search("\x00".join(v for v in values if isinstance(v, str))) is None:
            return values
        return tuple(self.text(v) for v in values)
