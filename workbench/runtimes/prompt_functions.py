"""promptfoo prompt functions: `file://prompt.py:fn`, `file://prompt.js[:fn]`.

Each row calls the function with `{vars, provider: {id, label}}`. A string it returns is the
template; an object with `prompt` gives the template (JSON-serialized when not a string) and
`config` merged into the prompt's config; any other object or list is JSON-serialized (a chat
message list). The template is then rendered like any prompt (src/evaluatorHelpers.ts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.render.templating import js_json
from workbench.runtimes import ScriptError
from workbench.runtimes.javascript import run_file_function
from workbench.runtimes.python import run_file
from workbench.types import Prompt, ProviderSpec


def call_prompt_function(
    prompt: Prompt, vars: Mapping[str, Any], provider: ProviderSpec, timeout_s: float = 10.0
) -> tuple[str, dict[str, Any]]:
    """(the template the function produced, config to merge into the prompt's)."""
    if prompt.function is None:
        return prompt.raw, {}
    path, fn = prompt.function
    context = {"vars": dict(vars), "provider": {"id": provider.id, "label": provider.label}}
    if path.suffix == ".py":
        result = run_file(path, fn or "", [context], timeout_s)
    else:
        result = run_file_function(path, fn, [context], timeout_s).value
    if isinstance(result, str):
        return result, {}
    if isinstance(result, dict) and "prompt" in result:
        template = result["prompt"]
        config = result.get("config")
        return (template if isinstance(template, str) else js_json(template)), (
            dict(config) if isinstance(config, dict) else {}
        )
    if isinstance(result, (dict, list)):
        return js_json(result), {}
    raise ScriptError(f"Prompt function must return a string or object, got {type(result).__name__}")
