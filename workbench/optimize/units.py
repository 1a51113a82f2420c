"""Split a prompt template into instruction units that can be removed one at a time.

A unit is a paragraph's sentence, a bullet or numbered item, or a fenced/indented example block.
Units that carry the input (a `{{ var }}`, `{% ... %}` or `{# ... #}` of the template) are
protected: removing one would change what the prompt asks about, not how much it says. Chat prompts
(a JSON list of messages): system messages are split like text; a few-shot example (a user message
and the assistant answer after it) is one unit, removed whole; a message with a template mark is
protected.

`join` puts the kept units back with the separators they had, so removing nothing gives back the
template exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

TEMPLATE_MARK = re.compile(r"\{\{|\{%|\{#")
BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")
FENCE = "```"


@dataclass(frozen=True)
class Unit:
    index: int
    message: int  # the chat message it belongs to (0 for a text prompt)
    text: str  # the unit, without its trailing separator
    sep: str  # what followed it in the template
    protected: bool
    turns: tuple[int, ...] = ()  # a few-shot example: these whole messages go when it is removed

    @property
    def label(self) -> str:
        one_line = " ".join(self.text.split())
        return one_line if len(one_line) <= 70 else one_line[:67] + "..."


def _split_paragraph(par: str) -> list[str]:
    lines = par.split("\n")
    if any(BULLET.match(x) for x in lines):
        # an intro line followed by bullets: each line (with its continuation lines) is a unit
        units: list[str] = []
        for line in lines:
            if units and not BULLET.match(line) and line.startswith((" ", "\t")):
                units[-1] += "\n" + line
            else:
                units.append(line)
        return units
    if par.lstrip().startswith(FENCE) or all(x.startswith(("    ", "\t")) for x in lines if x.strip()):
        return [par]  # an example block is one unit
    return SENTENCE_END.split(par)


def _units_of_text(text: str, message: int, start: int) -> list[Unit]:
    out: list[Unit] = []
    pieces = re.split(r"(\n\s*\n)", text)  # paragraphs and the blank lines between them
    for k in range(0, len(pieces), 2):
        par = pieces[k]
        gap = pieces[k + 1] if k + 1 < len(pieces) else ""
        if not par.strip():
            if out:
                out[-1] = Unit(out[-1].index, message, out[-1].text, out[-1].sep + par + gap, out[-1].protected)
            elif par or gap:
                out.append(Unit(start, message, "", par + gap, True))
            continue
        parts = _split_paragraph(par)
        # recover the exact separators between the parts of this paragraph
        pos = 0
        for n, part in enumerate(parts):
            at = par.index(part, pos)
            if n == 0 and at > 0:
                part = par[:at] + part
                at = 0
            end = at + len(part)
            nxt = par.index(parts[n + 1], end) if n + 1 < len(parts) else len(par)
            sep = par[end:nxt] + (gap if n == len(parts) - 1 else "")
            out.append(Unit(start + len(out), message, part, sep, bool(TEMPLATE_MARK.search(part))))
            pos = nxt
    return out


def split_units(template: str, is_chat: bool = False) -> list[Unit]:
    if not is_chat:
        return _units_of_text(template, 0, 0)
    messages = json.loads(template)
    out: list[Unit] = []
    m = 0
    while m < len(messages):
        msg = messages[m]
        content = msg.get("content") if isinstance(msg, dict) else None
        nxt = messages[m + 1] if m + 1 < len(messages) else None
        if not isinstance(content, str):
            m += 1
            continue
        marked = bool(TEMPLATE_MARK.search(content))
        if msg.get("role") == "system" or marked:
            out.extend(_units_of_text(content, m, len(out)))
            m += 1
            continue
        if (
            msg.get("role") == "user"
            and isinstance(nxt, dict)
            and nxt.get("role") == "assistant"
            and isinstance(nxt.get("content"), str)
            and not TEMPLATE_MARK.search(nxt["content"])
        ):
            text = f"{content} -> {nxt['content']}"
            out.append(Unit(len(out), m, text, "", False, turns=(m, m + 1)))
            m += 2
            continue
        out.append(Unit(len(out), m, content, "", marked, turns=(m,)))
        m += 1
    return out


def join(
    template: str, is_chat: bool, units: list[Unit], removed: set[int], replaced: dict[int, str] | None = None
) -> str:
    """The template with the `removed` unit indexes left out and the `replaced` ones rewritten
    (exact when nothing is removed or replaced)."""
    swap = replaced or {}

    def text_of(message: int) -> str:
        kept = [u for u in units if u.message == message and u.index not in removed]
        body = "".join(swap.get(u.index, u.text) + u.sep for u in kept)
        changed = removed or swap
        return body.strip() + ("\n" if not is_chat and template.endswith("\n") else "") if changed else body

    if not is_chat:
        return text_of(0)
    messages = json.loads(template)
    dropped = {m for u in units if u.index in removed for m in u.turns}
    split = {u.message for u in units if not u.turns}
    out = []
    for m, msg in enumerate(messages):
        if m in dropped:
            continue
        if m in split and isinstance(msg, dict) and isinstance(msg.get("content"), str):
            msg["content"] = text_of(m)
        out.append(msg)
    return json.dumps(out, ensure_ascii=False, indent=2)
