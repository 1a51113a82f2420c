"""Local `$ref` pointers in a suite (`$ref: '#/assertionTemplates/x'`), as promptfoo dereferences them.

promptfoo runs json-schema-ref-parser over the config, so any mapping `{$ref: '#/a/b'}` is
replaced by the value at that JSON pointer of the same document (promptfoo's examples use it for
`assertionTemplates`). Only same-document pointers are resolved; a pointer that leads nowhere
or loops is a SuiteError.
"""

from __future__ import annotations

from typing import Any

from workbench.errors import SuiteError


def _pointer(doc: Any, ref: str, shown: str, path: str) -> Any:
    node = doc
    for raw in ref[2:].split("/") if ref != "#" else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SuiteError(shown, path, f"$ref {ref!r} does not point to anything in this file")
    return node


def resolve_local_refs(data: dict[str, Any], shown: str) -> dict[str, Any]:
    """`data` with every `{$ref: '#/...'}` mapping replaced by its target (deep, copy-on-write)."""

    def walk(node: Any, path: str, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                if ref in seen:
                    raise SuiteError(shown, path, f"$ref {ref!r} refers to itself")
                return walk(_pointer(data, ref, shown, path), path, (*seen, ref))
            return {k: walk(v, f"{path}.{k}" if path else str(k), seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{path}[{i}]", seen) for i, v in enumerate(node)]
        return node

    if "$ref" not in repr(data):
        return data
    out = walk(data, "", ())
    return out if isinstance(out, dict) else data
