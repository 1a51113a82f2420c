"""Two deterministic "models" behind the loopback OpenAI-compatible server, for the router example.

`TicketModels` is a `FakeOpenAI` whose reply depends on the request: it reads the rendered
ticket_summary v2 prompt (`Customer:`, `Order:`, `Product:` header lines, the ticket after
`Ticket:`) and writes a summary the way a model would, deterministically:

- `strong-model` writes the customer, the order id, the product, the ticket's first sentence and
  its ask, with e-mail addresses removed. It slips on about 1 in 40 tickets (by a hash of the
  ticket): it writes "the item" instead of the product name.
- `cheap-model` writes a shorter summary and loses the order id on hard tickets: long ones (more
  than 80 words), tickets not in English, and tickets that threaten a chargeback. It also slips
  on about 1 in 25 easy tickets (by a hash).

Usage is reported like a real server (about 4 characters per token), so the suite's per-token
prices give each call a cost. Anything that is not a ticket prompt gets an `echo:` reply.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from fake_openai_server import Behaviour, FakeOpenAI

LONG_WORDS = 80
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
FOREIGN = re.compile(
    r"\b(mein|ich|mir|bitte|ist|nicht|mi|el|llegó|quiero|está|mon|le|je|est|merci|pour)\b", re.IGNORECASE
)


def parse_ticket_prompt(prompt: str) -> dict[str, str] | None:
    fields = dict(re.findall(r"^(Customer|Order|Product): (.*)$", prompt, re.MULTILINE))
    m = re.search(r"\nTicket:\n(.*?)\n\s*\nSummary:", prompt, re.DOTALL)
    if m is None or len(fields) < 3:
        return None
    return {"name": fields["Customer"], "order": fields["Order"], "product": fields["Product"], "ticket": m.group(1)}


def is_hard(ticket: str) -> bool:
    """The property the cheap model fails on: long, not English, or a chargeback threat."""
    return len(ticket.split()) > LONG_WORDS or bool(FOREIGN.search(ticket)) or "chargeback" in ticket.lower()


def _bucket(ticket: str, n: int) -> bool:
    return int(hashlib.sha256(ticket.encode()).hexdigest()[:8], 16) % n == 0


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", EMAIL.sub("[e-mail removed]", text).strip()) if s]


def summarize(model: str, prompt: str) -> str:
    fields = parse_ticket_prompt(prompt)
    if fields is None:
        return f"echo: {prompt}"
    name, order, product, ticket = fields["name"], fields["order"], fields["product"], fields["ticket"]
    sentences = _sentences(ticket)
    first, ask = sentences[0], (sentences[1] if len(sentences) > 1 else "")
    if model.endswith("strong-model"):
        shown = "the item" if _bucket(ticket, 40) else product
        first = first.replace(product, shown)
        return (
            f"{name} (order {order}) writes about the {shown}. Problem: {first} Request: {ask}"
            f" Urgency: {'high' if 'chargeback' in ticket.lower() else 'normal'}."
            " Next step: confirm the order details and reply within one business day."
        )
    if is_hard(ticket) or _bucket(ticket, 25):
        return f"Customer {name} has a problem with the {product}: {first} Please follow up."
    return f"{name}, order {order}, {product}: {first} Asks: {ask}"


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class TicketModels(FakeOpenAI):
    """The loopback server answering as `cheap-model` and `strong-model` (any `*cheap-model` id)."""

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Behaviour:
        scripted = super()._next(body, headers)  # records the request; a queued fault still wins
        if scripted:
            return scripted
        messages = body.get("messages") or []
        prompt = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        content = summarize(str(body.get("model", "")), prompt)
        usage = {"prompt_tokens": tokens(prompt), "completion_tokens": tokens(content)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {"content": content, "usage": usage}
