"""The fact-retention guard: planted numbers, e-mails, dates, identifiers and names survive any
compressor, and each variant reports what the compressor dropped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.compression.compressor_registry import Compressor
from workbench.compression.fact_guard import dropped_facts, find_facts, guard
from workbench.compression.service import compressors
from workbench.run.config import RunConfig
from workbench.run.engine import run_suite
from workbench.store.db import open_db
from workbench.suite import load

KB = (
    "Plans and fees. Cancelling a 24-month contract early costs $180 flat. "
    "Write to billing.team@northwind.example before 2026-03-01 and quote INV-2024-0042. "
    "The escalation desk is managed by Priya Raman, and support opens at 8:00 on weekdays. "
    "Routers must be returned within 21 days, otherwise a fee of $150 applies."
)
PLANTED = ["$180", "billing.team@northwind.example", "2026-03-01", "INV-2024-0042", "Priya Raman", "8:00", "21", "$150"]


def lossy(text: str, rate: float, model: str, question: str) -> str:
    """A compressor that does what LLMLingua did on kb_answer: drops words and digits inside numbers."""
    words = text.split()
    kept = [w for i, w in enumerate(words) if i % 3 != 1]  # every third word goes
    return " ".join(re.sub(r"(\$\d)\d", r"\1", w) for w in kept)  # $180 -> $8, $150 -> $10


def test_find_facts_sees_every_planted_kind() -> None:
    found = {(f.kind, f.text) for f in find_facts(KB)}
    assert ("number", "$180") in found and ("email", "billing.team@northwind.example") in found
    assert ("date", "2026-03-01") in found and ("identifier", "INV-2024-0042") in found
    assert ("name", "Priya Raman") in found and ("date", "8:00") in found
    assert not any(text in {"The", "Plans"} for _, text in found)


def test_guard_puts_back_what_the_compressor_dropped() -> None:
    compressed = lossy(KB, 0.5, "", "")
    assert "$180" not in compressed  # the defect the guard exists for
    out, dropped = guard(KB, compressed)
    for fact in PLANTED:
        assert re.search(r"(?<![\w$])" + re.escape(fact) + r"(?!\w)", out), fact
    assert "$8 " not in out and "$1 " not in out  # the corrupted fragments are gone
    assert "$180" in dropped and "2026-03-01" not in dropped  # a whole fact the compressor kept is not listed
    assert set(dropped) == set(dropped_facts(KB, compressed)) and dropped
    assert len(out.split()) < len(KB.split())  # still compressed


def test_guard_leaves_an_output_that_kept_every_fact_unchanged() -> None:
    compressed = " ".join(w for w in KB.split() if w.lower() not in {"the", "and", "a", "of", "is"})
    assert guard(KB, compressed) == (compressed, [])


@pytest.fixture()
def lossy_method() -> Iterator[str]:
    registry = compressors()
    registry.add(Compressor("lossytest", lossy))
    yield "lossytest"
    registry._methods.pop("lossytest", None)


def _suite(tmp_path: Path, keep_facts: bool) -> Path:
    asserts = "".join(f"      - {{type: contains, value: {json.dumps(f)}}}\n" for f in PLANTED)
    path = tmp_path / "kb.yaml"
    path.write_text(
        "prompts: ['Context: {{context}} Question: {{question}}']\n"
        "providers: [echo]\n"
        "workbench:\n  variants: [none, 'lossytest:0.5']\n  compressible: [context]\n"
        f"  compression: {{keep_facts: {str(keep_facts).lower()}}}\n"
        f"tests:\n  - vars: {{context: {json.dumps(KB)}, question: 'What does cancelling cost?'}}\n"
        f"    assert:\n{asserts}"
    )
    return path


def test_variant_keeps_the_facts_and_reports_what_was_dropped(tmp_path: Path, lossy_method: str) -> None:
    db = open_db(tmp_path / "r.db")
    outcome = run_suite(
        load(_suite(tmp_path, keep_facts=True)), RunConfig(max_concurrency=1, variants=["none", "lossytest:0.5"]), db
    )
    rows = db.execute("select variant, success, compression from results where run_id = ?", [outcome.run_id])
    by_variant = {v: (ok, json.loads(c) if c else None) for v, ok, c in rows}
    ok, info = by_variant["lossytest:0.5"]
    assert ok == 1  # echo returns the prompt: every planted fact is in the compressed prompt
    assert "$180" in info["facts_dropped"] and info["facts_restored"] is True
    assert info["compressed_tokens"] < info["original_tokens"]


def test_without_the_guard_the_drops_show_and_fail(tmp_path: Path, lossy_method: str) -> None:
    db = open_db(tmp_path / "r.db")
    outcome = run_suite(
        load(_suite(tmp_path, keep_facts=False)), RunConfig(max_concurrency=1, variants=["none", "lossytest:0.5"]), db
    )
    ok, comp = db.execute(
        "select success, compression from results where run_id = ? and variant != 'none'", [outcome.run_id]
    ).fetchone()
    info = json.loads(comp)
    assert ok == 0 and info["facts_restored"] is False and "$180" in info["facts_dropped"]


def test_pieces_of_words_keep_the_whole_word_and_units_stay_with_amounts() -> None:
    # Token-level compressors keep sub-word pieces: `Cancell` of `Cancelling`, `$8` of `$180`.
    compressed = "Plans fees. Cancell 24-month contract costs $8 flat. Routers return within 21 , fee $150"
    out, dropped = guard(KB, compressed)
    assert out.startswith("Plans fees. Cancelling 24-month contract") and "Cancell " not in out
    assert "costs $180 flat." in out and "21 days" in out  # the unit travels with its number
    assert "$180" in dropped and "21 days" in dropped and "$150" not in dropped


def test_a_number_keeps_its_unit_and_qualifier() -> None:
    """`10 days overdue` is the fact, not `10 days` (kb_answer's late-fee test asserts the phrase):
    the guard puts the qualifier back with the amount."""
    text = "A late payment fee of $7 applies when an invoice is more than 10 days overdue. Give 24 hours in advance."
    facts = [f.text for f in find_facts(text) if f.kind == "number"]
    assert facts == ["$7", "10 days overdue", "24 hours in advance"]
    compressed = "late payment fee $7 applies invoice more than 10 days. Give 24 hours"  # qualifiers dropped
    out, dropped = guard(text, compressed)
    assert "10 days overdue" in out and "24 hours in advance" in out
    assert dropped == ["10 days overdue", "24 hours in advance"]


def test_guard_keeps_what_the_compressor_kept_when_it_drops_punctuation() -> None:
    """The compressor writes `fee` for `fee,`: matching a bare `fee` far ahead skipped everything
    between, so the rebuilt text lost words the compressor had kept (kb_answer: 714 -> 392 tokens
    at rate 0.5; 764 with punctuation-blind, nearest-first matching)."""
    filler = " ".join(["alpha", "beta", "gamma", "delta"] * 10)  # 40 words without facts
    text = f"The access fee, which appears on invoices, costs $4.50 monthly. {filler} A late fee applies."
    compressed = "access fee which appears invoices costs monthly. alpha beta A late applies."  # $4.50 dropped
    out, dropped = guard(text, compressed)
    assert dropped == ["$4.50"]
    assert out.startswith("access fee, which appears invoices, costs $4.50 monthly.")
    assert out.endswith("monthly. alpha beta late applies.")  # `A`, 38 words on, is too far for a short word
