"""The suite's `providers:` (or `targets:`) value -> ProviderSpec list.

Forms (promptfoo src/providers/index.ts): a string id; `{id, label, config, transform, ...}`;
the map form `{"openai:gpt-4o": {config: ...}}`; a `file://providers.yaml` holding any of these.
Ids are not resolved here (workbench.providers.resolution.resolve does that when the run starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError
from workbench.suite.validate import PROVIDER_KEYS, check_keys, type_name
from workbench.suite.yaml12 import load_yaml
from workbench.types import ProviderSpec

_IGNORED = {"delay", "env", "prompts", "inputs"}


def _spec_from_mapping(item: dict[str, Any], file: str | None, where: str, warnings: list[str]) -> ProviderSpec:
    check_keys(item, where, PROVIDER_KEYS, warnings)
    pid = item.get("id")
    if not isinstance(pid, str) or not pid:
        if pid is None:
            raise SuiteError(file, where, "'id' is required")
        raise SuiteError(file, f"{where}.id", f"must be a string, got {type_name(pid)}")
    label = item.get("label")
    if label is not None and not isinstance(label, str):
        raise SuiteError(file, f"{where}.label", f"must be a string, got {type_name(label)}")
    config = item.get("config") or {}
    if not isinstance(config, dict):
        raise SuiteError(file, f"{where}.config", f"must be a mapping, got {type_name(config)}")
    transform = item.get("transform")
    if transform is not None and not isinstance(transform, str):
        raise SuiteError(file, f"{where}.transform", f"must be a string, got {type_name(transform)}")
    for key in sorted(_IGNORED & set(item)):
        warnings.append(f"{where}: '{key}' is a promptfoo provider option workbench ignores")
    return ProviderSpec(id=pid, label=label, config=dict(config), transform=transform)


def _one(item: Any, base_dir: Path, file: str | None, where: str, warnings: list[str]) -> list[ProviderSpec]:
    if isinstance(item, str):
        if not item.strip():
            raise SuiteError(file, where, "provider id is empty")
        if item.startswith("file://") and item.endswith((".yaml", ".yml", ".json")):
            return _from_file(item, base_dir, file, where, warnings)
        return [ProviderSpec(id=item)]
    if isinstance(item, dict):
        if "id" in item or not item:
            return [_spec_from_mapping(item, file, where, warnings)]
        if len(item) == 1:
            key, inner = next(iter(item.items()))
            if inner is None:
                inner = {}
            if not isinstance(inner, dict):
                raise SuiteError(file, f"{where}.{key}", f"must be a mapping, got {type_name(inner)}")
            return [_spec_from_mapping({"id": key, **inner}, file, f"{where}.{key}", warnings)]
        return [_spec_from_mapping(item, file, where, warnings)]
    raise SuiteError(file, where, f"must be a provider id string or a mapping with 'id', got {type_name(item)}")


def _from_file(ref: str, base_dir: Path, file: str | None, where: str, warnings: list[str]) -> list[ProviderSpec]:
    rel = ref[len("file://") :]
    path = base_dir / rel
    try:
        text = file_access.read_text(path)
    except file_access.FileAccessError as e:
        raise SuiteError(file, where, f"{rel}: {e.reason}") from None
    except (OSError, UnicodeDecodeError):
        raise SuiteError(file, where, f"file not found: {rel}") from None
    data = load_yaml(text, rel)
    items = data if isinstance(data, list) else [data]
    out: list[ProviderSpec] = []
    for i, item in enumerate(items):
        out.extend(_one(item, path.parent, rel, f"[{i}]", warnings))
    return out


def load_providers(value: Any, base_dir: Path, file: str | None, warnings: list[str]) -> list[ProviderSpec]:
    if value is None:
        raise SuiteError(file, "providers", "is required (e.g. providers: [echo])")
    if isinstance(value, (str, dict)):
        items = [("providers", value)]
    elif isinstance(value, list):
        items = [(f"providers[{i}]", v) for i, v in enumerate(value)]
    else:
        raise SuiteError(file, "providers", f"must be a list, got {type_name(value)}")
    if not items:
        raise SuiteError(file, "providers", "is empty")
    out: list[ProviderSpec] = []
    for where, item in items:
        out.extend(_one(item, base_dir, file, where, warnings))
    return out
