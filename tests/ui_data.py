"""A small real database for the UI tests: the real engine runs a real suite with the echo provider.

Two runs of family `reply` (versions v1 and v2) on two priced models served by the loopback fake
OpenAI server (`tests/fake_openai_server.py`, which answers "echo: <prompt>"; no usage in the
response, so tokens are counted with tiktoken; the server stands in for the two OpenAI models, so
each is priced as that model of litellm's local price map with `price_as`):
- run "base": v1 leaks the customer's e-mail (guardrail/pii fails) and omits the order id;
  v2 passes every test.
- run "head": v2 was edited to drop the order id, so v2's order-id checks regress.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ui_browser import PageCheck

V1 = "Write a reply to {{name}} <{{email}}> about this ticket: {{ticket}}\n"
V2 = "Reply to {{name}} about order {{order}}. Ticket: {{ticket}}\n"
V2_EDITED = "Reply to {{name}}. Ticket: {{ticket}}\n"

TESTS = [
    ("refund for a torn backpack", "Maria", "maria@example.com", "NW-1", "The strap is torn, I want my money back."),
    ("login loop", "Tom", "tom@example.com", "NW-2", "I am sent back to the login page after a reset."),
    ("charged twice", "Priya", "priya@example.com", "NW-3", "I was charged twice for one jacket."),
    ("parcel stuck", "Kenji", "kenji@example.com", "NW-4", "My parcel has been in transit for two weeks."),
    ("wrong size", "Lena", "lena@example.com", "NW-5", "The boots are one size too small."),
]


MODELS = ("gpt-4o-mini", "gpt-4o")
PICK = "reply/v2 · none · gpt-4o-mini"  # the cheapest acceptable pair in run "base"

# Every page of the UI on this database, each with its detail view opened through the URL, and the
# text that shows once it has rendered (the browser test and scripts/ui_screenshots.py).
TOUR = [
    PageCheck("overview", "", "Trend across runs of a suite"),
    PageCheck("matrix", "matrix?run=1&cell=1", "Rendered prompt"),
    PageCheck("versions", "versions?family=reply&v1=v1&v2=v2&run=1&flip=0", "Flipped tests: 0 broke, 10 fixed"),
    PageCheck("guardrails", "guardrails?run=1&item=0", "10 failed guardrail checks match"),
    PageCheck("recommendation", "recommendation?run=1", f"Recommended: {PICK}"),
    PageCheck("cost", "cost?run=1&rpd=1000", "Monthly projection"),
    PageCheck("compare", "compare?base=1&head=2&item=0", "Baseline output"),
]


def suite_dict(base_url: str) -> dict[str, Any]:
    return {
        "description": "UI test suite",
        "prompts": ["file://prompts/reply/v1.md", "file://prompts/reply/v2.md"],
        "providers": [
            {
                "id": f"openai:chat:{m}",
                "label": m,
                "config": {"apiBaseUrl": base_url, "apiKey": "sk-test", "price_as": m},
            }
            for m in MODELS
        ],
        "defaultTest": {
            "assert": [
                {"type": "icontains", "value": "{{name}}", "metric": "quality/name"},
                {
                    "type": "not-regex",
                    "value": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}",
                    "metric": "guardrail/pii",
                },
            ]
        },
        "tests": [
            {
                "description": d,
                "vars": {"name": n, "email": e, "order": o, "ticket": t},
                "assert": [{"type": "contains", "value": "{{order}}", "metric": "quality/order-id"}],
            }
            for d, n, e, o, t in TESTS
        ],
    }


def write_suite(root: Path, base_url: str, v2_text: str = V2) -> Path:
    family = root / "prompts" / "reply"
    family.mkdir(parents=True, exist_ok=True)
    (family / "v1.md").write_text(V1, encoding="utf-8")
    (family / "v2.md").write_text(v2_text, encoding="utf-8")
    path = root / "suite.yaml"
    path.write_text(yaml.safe_dump(suite_dict(base_url), sort_keys=False), encoding="utf-8")
    return path


def build_ui_db(root: Path, db_path: Path) -> list[int]:
    """Run the suite twice through the real engine into `db_path`; returns the run ids."""
    from fake_openai_server import FakeOpenAI

    from workbench.run.config import RunConfig
    from workbench.run.engine import run_suite
    from workbench.store.db import open_db
    from workbench.suite import load
    from workbench.tokens import configure_offline

    configure_offline()
    db = open_db(db_path)
    server = FakeOpenAI({"usage": None}).start()
    ids = []
    try:
        for label, v2 in (("base", V2), ("head", V2_EDITED)):
            suite = load(write_suite(root, server.base_url, v2))
            ids.append(run_suite(suite, RunConfig(label=label, max_concurrency=4), db).run_id)
    finally:
        server.stop()
        db.conn.close()
    return ids
