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

from workbench.jsjson import js_json, js_json_parse
from workbench.render.templating import (
    TemplateError,
    auto_wrap_raw,
    load_file_vars,
    render,
    render_in_object,
    render_vars,
)
from workbench.types import Prompt

__all__ = ["TemplateError", "load_file_vars", "render_prompt"]


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
    rendered_vars = render_vars(vars, base_dir)
    is_json, parsed = _parse_template_json(raw)
    if is_json:
        # a chat prompt: strings inside are rendered with the prepared (not re-rendered) vars
        rendered = render_in_object(parsed, rendered_vars.prepared)
        text = js_json(rendered, 2)
        if isinstance(rendered, list) and rendered and all(isinstance(m, dict) and "role" in m for m in rendered):
            return text, rendered
        return text, [{"role": "user", "content": text}]
    text = render(auto_wrap_raw(raw), rendered_vars)
    return text, [{"role": "user", "content": text}]
