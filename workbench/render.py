"""Render one prompt for one test row, the way promptfoo's renderPrompt does.

Order (src/evaluatorHelpers.ts): the test's `options.prefix`/`suffix` wrap the raw template;
`file://` vars are loaded (text trimmed, YAML re-serialized as JSON); string vars lose one trailing
newline; `{{ name }}` references between vars are resolved; then a template that parses as JSON
(a chat prompt) has every string inside rendered and is re-serialized with
`JSON.stringify(value, null, 2)`, while a text template is rendered with vars that were themselves
rendered (QUIRKS 9, 10, 34).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from workbench.templating import (
    TemplateError,
    auto_wrap_raw,
    js_json,
    js_json_parse,
    prepare_vars,
    render,
    render_in_object,
    render_var_values,
)
from workbench.types import Prompt

__all__ = ["TemplateError", "load_file_vars", "render_prompt"]


def load_file_vars(vars: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Replace `file://` string vars with the file's content, as promptfoo does at render time."""
    if not any(isinstance(v, str) and v.startswith("file://") for v in vars.values()):
        return vars
    from workbench.suite.yaml12 import load_yaml

    out = dict(vars)
    for key, value in vars.items():
        if not (isinstance(value, str) and value.startswith("file://")):
            continue
        path = (base_dir or Path.cwd()) / value[len("file://") :]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise TemplateError(f"var '{key}': cannot read {value[len('file://') :]}: {e.strerror or e}") from None
        if path.suffix in (".yaml", ".yml"):
            out[key] = js_json(load_yaml(text, str(path)))
        else:
            out[key] = text.strip()
    return out


@functools.lru_cache(maxsize=1024)
def _parse_template_json(raw: str) -> tuple[bool, Any]:
    """Is the template JSON (a chat prompt)? Cached: the same template is rendered per row."""
    try:
        return True, js_json_parse(raw)
    except ValueError:
        return False, None


def render_prompt(
    prompt: Prompt,
    vars: dict[str, Any],
    *,
    prefix: str = "",
    suffix: str = "",
    base_dir: Path | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Return (prompt text, chat messages). Raises TemplateError (the row becomes an ERROR row)."""
    raw = f"{prefix or ''}{prompt.raw}{suffix or ''}"
    prepared = prepare_vars(load_file_vars(vars, base_dir))
    is_json, parsed = _parse_template_json(raw)
    if is_json:
        rendered = render_in_object(parsed, prepared)
        text = js_json(rendered, 2)
        if isinstance(rendered, list) and rendered and all(isinstance(m, dict) and "role" in m for m in rendered):
            return text, rendered
        return text, [{"role": "user", "content": text}]
    text = render(auto_wrap_raw(raw), render_var_values(prepared))
    return text, [{"role": "user", "content": text}]
