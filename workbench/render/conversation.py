"""promptfoo's `_conversation` var: the earlier turns of a multi-turn test sequence.

A prompt that mentions `_conversation` sees, for each row, the list of earlier turns with the same
provider, prompt and `metadata.conversationId`, in test order: `{prompt, input, output}` where
`prompt` is the rendered prompt (parsed when it is JSON), `input` the last chat message's content
(else the prompt) and `output` the provider's raw output. Such suites run one row at a time.
"""

from __future__ import annotations

from typing import Any

from workbench.render.templating import RenderedVars, js_json_parse

CONVERSATION_VAR = "_conversation"


def uses_conversation(raw: str) -> bool:
    return CONVERSATION_VAR in raw


def with_conversation(vars_: dict[str, Any], turns: list[dict[str, Any]]) -> RenderedVars:
    """The row's vars plus `_conversation` (a copy: later turns must not show in this row)."""
    out = RenderedVars({**vars_, CONVERSATION_VAR: list(turns)})
    out.prepared = {**getattr(vars_, "prepared", vars_), CONVERSATION_VAR: list(turns)}
    return out


def conversation_turn(rendered_prompt: str, output: Any) -> dict[str, Any]:
    """One turn as promptfoo records it after the provider call."""
    try:
        parsed: Any = js_json_parse(rendered_prompt)
    except ValueError:
        parsed = None
    last_input = None
    if isinstance(parsed, list) and parsed:
        last = parsed[-1]
        last_input = last.get("content") if isinstance(last, dict) else last
    prompt = parsed or rendered_prompt
    return {"prompt": prompt, "input": last_input or prompt, "output": output or ""}
