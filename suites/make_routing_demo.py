"""Generate suites/routing_demo.yaml: 80 varied support tickets for the cost-router example.

    .venv/bin/python suites/make_routing_demo.py            # rewrites suites/routing_demo.yaml
    .venv/bin/python suites/make_routing_demo.py --check    # exit 1 if the file is out of date

Deterministic (a fixed seed, no clock), so the committed suite is reproducible. The tickets mix
short English tickets with three realistic kinds of hard input: long rambling tickets, tickets
in German, Spanish or French, and tickets that threaten a chargeback. The two providers are
`openai/cheap-model` and `openai/strong-model` on a loopback OpenAI-compatible server
(tests/routing_models.py plays both; `bench/routing_example.py` starts it), priced like a small
and a large hosted model through `input_cost_per_token` / `output_cost_per_token`.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "routing_demo.yaml"
DEFAULT_API_BASE = "http://127.0.0.1:8765/v1"
PROMPT = "file://../prompts/ticket_summary/v2.md"
SEED = 10
# $ per token: a small model (0.15 / 0.60 per 1M tokens) and a large one (2.50 / 10.00 per 1M).
PRICES = {
    "openai/cheap-model": (0.15e-6, 0.60e-6),
    "openai/strong-model": (2.50e-6, 10.00e-6),
}

NAMES = [
    "Maria Lopez", "Tom Becker", "Priya Raman", "Kenji Watanabe", "Dave Collins", "Lena Fischer",
    "Samuel Okafor", "Aisha Khan", "Hannah Schmidt", "Oliver Grant", "Chloe Martin", "Lucas Silva",
    "Emma Wilson", "Noah Dubois", "Sofia Rossi", "Jack Thompson", "Grace Lee", "Ethan Brown",
    "Isabella Moreau", "Daniel Novak", "Mia Johansson", "Liam O'Connor", "Zoe Papadopoulos",
    "Mateo Garcia", "Ingrid Larsen", "Yusuf Demir", "Camille Laurent", "Jonas Weber",
]  # fmt: skip
PRODUCTS = [
    "Trailblazer 40L backpack", "Summit down jacket", "Basecamp 2-person tent", "Ridge hiking boots",
    "Alpine merino base layer", "Trail running vest", "Camp cookware set", "Storm shell jacket",
    "Insulated water bottle", "Carbon trekking poles", "Sleeping bag liner", "Festival camping chair",
    "Wool hiking socks", "Headlamp Pro", "Packable rain jacket", "Ultralight sleeping pad",
]  # fmt: skip

# (issue, first sentence, keywords the summary must mention, what the customer asks)
ISSUES_EN = [
    ("damaged item", "My {p} arrived with a torn seam and a broken buckle.", ["torn", "broken"],
     "Please send a replacement."),
    ("late delivery", "My {p} still has not arrived and the tracking has not moved for nine days.",
     ["arrived", "tracking"], "Can you tell me where the parcel is?"),
    ("charged twice", "I was charged twice for the {p} on the same day.", ["charged twice"],
     "Please refund the duplicate payment."),
    ("wrong size", "The {p} you sent is the wrong size, I ordered a medium and got a small.", ["wrong size"],
     "I would like to exchange it for a medium."),
    ("missing item", "The {p} was missing from the box, only the packing slip was inside.", ["missing"],
     "Please ship the missing item."),
    ("warranty claim", "The zipper on my {p} broke after six months of normal use.", ["zipper", "broke"],
     "What do I need to send you for the warranty?"),
    ("return", "I would like to return the {p} because it does not fit the way I expected.", ["return"],
     "Please send me a return label."),
    ("refund not received", "I sent the {p} back three weeks ago and I still have no refund.", ["refund"],
     "When will the money be back on my card?"),
    ("promo code", "The discount code from your newsletter did not apply when I bought the {p}.",
     ["discount", "code"], "Can you apply the discount afterwards?"),
    ("wrong address", "Tracking says my {p} was delivered, but it is not at my door.", ["delivered"],
     "Please find out where it went."),
    ("invoice", "I need an invoice for the {p} with my company name and VAT number on it.", ["invoice"],
     "Please re-issue the invoice."),
    ("defect", "The {p} stopped working after the second use.", ["stopped working"],
     "I would like a replacement or my money back."),
]  # fmt: skip
ISSUES_OTHER = {
    "de": [
        ("beschädigt", "Mein {p} ist beschädigt angekommen, die Naht ist gerissen.", ["beschädigt"],
         "Bitte schicken Sie mir Ersatz."),
        ("Lieferung", "Mein {p} ist nach zwei Wochen immer noch nicht geliefert worden.", ["geliefert"],
         "Wo ist mein Paket?"),
        ("doppelt", "Mir wurde der {p} doppelt abgebucht.", ["doppelt"], "Ich möchte das Geld zurück."),
    ],
    "es": [
        ("dañado", "Mi {p} llegó dañado y la cremallera está rota.", ["dañado"], "Quiero un reembolso, por favor."),
        ("talla", "El {p} que me enviaron no es de mi talla.", ["talla"], "¿Puedo cambiarlo por otro?"),
        ("retraso", "Mi pedido del {p} lleva diez días de retraso.", ["retraso"], "¿Dónde está mi paquete?"),
    ],
    "fr": [
        ("endommagé", "Mon {p} est arrivé endommagé, la boucle est cassée.", ["endommagé"],
         "Je voudrais un remboursement."),
        ("manquant", "Le {p} était manquant dans le colis.", ["manquant"], "Merci de m'envoyer l'article."),
        ("facture", "J'ai besoin d'une facture pour le {p} au nom de mon entreprise.", ["facture"],
         "Pouvez-vous la renvoyer ?"),
    ],
}  # fmt: skip
BACKSTORY = [
    "I have been a customer for about six years and I usually recommend you to all my friends.",
    "I already called on Monday and the person on the phone said someone would get back to me within a day.",
    "Nobody did, so I wrote through the web form on Wednesday and only got the automatic reply.",
    "We are leaving for a two-week hiking trip in the Dolomites at the end of the month.",
    "My partner ordered from you last spring and everything went smoothly that time.",
    "I also checked with the neighbours and the post office in case it was left there by mistake.",
    "To be honest I am starting to lose patience, this has taken up most of my lunch breaks this week.",
    "I kept the original box and all the tags, and I have photos if you need them.",
    "The chat bot on the website kept sending me to the same help article, which did not answer anything.",
    "I am writing this from my phone so sorry for any typos.",
]
CHARGEBACK = "If this is not sorted out this week I will file a chargeback with my bank."
CONTACT = "You can reach me at {e}@example.com."


def _order(rng: random.Random, used: set[str]) -> str:
    while True:
        order = f"NW-{rng.randint(100000, 199999)}"
        if order not in used:
            used.add(order)
            return order


def _test(description: str, name: str, order: str, product: str, ticket: str, keywords: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "vars": {"customer_name": name, "order_id": order, "product": product, "ticket": ticket},
        "assert": [
            {"type": "contains", "value": "{{order_id}}", "metric": "quality/order-id"},
            {"type": "icontains", "value": "{{product}}", "metric": "quality/product"},
            {"type": "icontains-any", "value": list(keywords), "metric": "quality/issue"},
        ],
    }


def tickets(seed: int = SEED) -> list[dict[str, Any]]:
    """60 short English tickets (5 threaten a chargeback), 10 long ones, 10 in DE/ES/FR."""
    rng = random.Random(seed)
    used: set[str] = set()
    out = []
    for i in range(60):
        issue, first, keywords, ask = ISSUES_EN[i % len(ISSUES_EN)]
        name, product = rng.choice(NAMES), rng.choice(PRODUCTS)
        parts = [first.format(p=product), ask]
        desc = issue
        if i % 12 == 5:
            parts.append(CHARGEBACK)
            desc += ", threatens a chargeback"
        if i % 7 == 3:
            parts.append(CONTACT.format(e=name.lower().replace(" ", ".").replace("'", "")))
            desc += ", e-mail address in the ticket"
        out.append(_test(desc, name, _order(rng, used), product, " ".join(parts), keywords))
    for i in range(10):
        issue, first, keywords, ask = ISSUES_EN[(i * 5 + 2) % len(ISSUES_EN)]
        name, product = rng.choice(NAMES), rng.choice(PRODUCTS)
        story = rng.sample(BACKSTORY, 5 + i % 3)
        text = " ".join([first.format(p=product), *story[:3], ask, *story[3:]])
        out.append(_test(f"{issue}, long ticket", name, _order(rng, used), product, text, keywords))
    langs = ["de", "es", "fr"]
    for i in range(10):
        lang = langs[i % 3]
        issue, first, keywords, ask = ISSUES_OTHER[lang][(i // 3) % 3]
        name, product = rng.choice(NAMES), rng.choice(PRODUCTS)
        text = f"{first.format(p=product)} {ask}"
        out.append(_test(f"{issue} ({lang})", name, _order(rng, used), product, text, keywords))
    return out


def provider(model: str, api_base: str) -> dict[str, Any]:
    price_in, price_out = PRICES[model]
    return {
        "id": model,
        "config": {
            "apiBaseUrl": api_base,
            "input_cost_per_token": price_in,
            "output_cost_per_token": price_out,
            "temperature": 0,
            "max_tokens": 160,
            "max_attempts": 2,
            "retry_base_delay": 0.05,
        },
    }


def suite(api_base: str = DEFAULT_API_BASE, prompt: str = PROMPT) -> dict[str, Any]:
    return {
        "description": "Cost-router example: ticket summaries on a cheap and a strong loopback model",
        "prompts": [prompt],
        "providers": [provider(m, api_base) for m in PRICES],
        "defaultTest": {
            "assert": [
                {"type": "word-count", "value": {"min": 8, "max": 200}, "metric": "quality/length"},
                {
                    "type": "not-regex",
                    "value": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
                    "metric": "guardrail/pii",
                },
            ]
        },
        "tests": tickets(),
        "workbench": {"acceptance": {"min_pass_rate": 0.9}},
    }


HEADER = """\
# GENERATED by suites/make_routing_demo.py: edit that script, not this file.
# Cost-router example (docs/routing.md): 80 support tickets, two loopback models.
# Run `.venv/bin/python bench/routing_example.py` (it starts the loopback server on 127.0.0.1:8765).
"""


def render(api_base: str = DEFAULT_API_BASE, prompt: str = PROMPT) -> str:
    body = yaml.safe_dump(suite(api_base, prompt), sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if suites/routing_demo.yaml is out of date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out} is out of date: run suites/make_routing_demo.py", file=sys.stderr)
            sys.exit(1)
        return
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(suite()['tests'])} tests)")


if __name__ == "__main__":
    main()
