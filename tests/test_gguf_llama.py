"""The transformers-free `q4` runtime of the embedded model: the packed int4 weights reproduce the
GGUF's, its forward matches transformers' fp32 model, its tokenizer matches transformers', its
cache is reused, and the default path never imports transformers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.providers import gguf_llama, local_model

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
CHATS: list[list[dict[str, Any]]] = [
    MESSAGES,
    [
        {"role": "system", "content": "Reply with the order number only."},
        {"role": "user", "content": "Order 48213 arrived cracked; call me on 0612 345 678."},
    ],
]


@pytest.fixture(scope="module")
def gguf_reader() -> Any:
    import gguf

    path = local_model.gguf_path("smollm2-135m")
    assert path is not None
    return gguf.GGUFReader(str(path))


@pytest.fixture(scope="module")
def packed() -> tuple[gguf_llama.LlamaConfig, dict[str, Any]]:
    """The packed tensors as the default path loads them (the shared test cache, built once)."""
    model, _ = local_model.load_local("smollm2-135m", "q4")
    return model.cfg, model.t


def _weights_seen_by_the_kernel(w: Any, sz: Any, k: int) -> Any:
    """W^T [K, N] as the int4 kernel computes it: the identity's rows through the matmul."""
    import torch

    eye = torch.eye(k, dtype=torch.bfloat16)
    return torch.ops.aten._weight_int4pack_mm_for_cpu(eye, w, gguf_llama.GROUP, sz).float()


def test_packed_weights_are_the_gguf_weights(gguf_reader: Any, packed: Any) -> None:
    """Each packed matrix, read back through the kernel, equals gguf's own de-quantization within
    bfloat16 rounding (the kernel's scales and outputs are bf16): Q4_1 maps to int4 groups of 32
    one to one, and the Q8_0 head's two-nibble split reproduces it."""
    import numpy as np
    import torch
    from gguf.quants import dequantize

    cfg, t = packed
    raw = {x.name: x for x in gguf_reader.tensors}

    def ref(name: str) -> Any:
        x = raw[name]
        return torch.from_numpy(np.asarray(dequantize(x.data, x.tensor_type), dtype=np.float32))

    layer = 7
    cases = [
        (f"{layer}.qkv", [f"blk.{layer}.attn_q.weight", f"blk.{layer}.attn_k.weight", f"blk.{layer}.attn_v.weight"]),
        (f"{layer}.gate_up", [f"blk.{layer}.ffn_gate.weight", f"blk.{layer}.ffn_up.weight"]),
        (f"{layer}.down", [f"blk.{layer}.ffn_down.weight"]),
    ]
    for fused, names in cases:
        want = torch.cat([ref(n) for n in names], dim=0)  # [N, K]
        got = _weights_seen_by_the_kernel(t[f"{fused}.w"], t[f"{fused}.sz"], want.shape[1]).t()
        assert got.shape == want.shape
        err = (got - want).abs()
        assert float(err.max()) <= 0.01 * float(want.abs().max()), fused
        assert float(err.mean()) <= 0.004 * float(want.abs().mean()), fused
    head = ref("token_embd.weight")[:4096]  # [rows, K]; the head runs [x, x] through hi and lo
    k = cfg.dim
    eye = torch.eye(k, dtype=torch.bfloat16)
    got = (
        torch.ops.aten._weight_int4pack_mm_for_cpu(
            torch.cat([eye, eye], dim=1), t["head.w"], gguf_llama.GROUP, t["head.sz"]
        )
        .float()[:, :4096]
        .t()
    )
    err = (got - head).abs()
    assert float(err.max()) <= 0.01 * float(head.abs().max())
    assert float(err.mean()) <= 0.004 * float(head.abs().mean())


@pytest.fixture(scope="module")
def fp32_model() -> Any:
    model, tokenizer = local_model.load_causal_lm("smollm2-135m", "fp32")
    return model, tokenizer


def test_logits_match_the_transformers_fp32_model(packed: Any, fp32_model: Any) -> None:
    """Same prompt, last-token logits: the top-3 tokens agree in order, the top-10 nearly, and the
    largest difference is a few percent of the logit range (bf16 activations in the matmuls)."""
    import torch

    model, _ = fp32_model
    runtime, chat = local_model.load_local("smollm2-135m", "q4")
    for messages in CHATS:
        ids = chat.encode_chat(messages)
        runtime._rope(len(ids))
        with torch.inference_mode():
            ours = runtime.forward(torch.tensor(ids), 0, runtime.new_cache(len(ids)))
            theirs = model(torch.tensor([ids])).logits[0, -1]
        assert ours.shape == theirs.shape == (runtime.cfg.vocab,)
        assert ours.topk(3).indices.tolist() == theirs.topk(3).indices.tolist()
        assert len(set(ours.topk(10).indices.tolist()) & set(theirs.topk(10).indices.tolist())) >= 8
        assert float((ours - theirs).abs().max()) <= 0.05 * float(theirs.max() - theirs.min())


def test_tokenizer_and_greedy_answer_match_transformers(fp32_model: Any) -> None:
    _, tokenizer = fp32_model
    _, chat = local_model.load_local("smollm2-135m", "q4")
    for messages in CHATS:
        theirs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        assert chat.encode_chat(messages) == list(theirs["input_ids"])
    fp32 = local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=16, precision="fp32")
    q4 = local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=16, precision="q4")
    assert "Paris" in q4[0]
    assert q4 == fp32  # text, prompt tokens, completion tokens, finish reason
    ids = chat.encode_chat(MESSAGES)
    assert chat.decode(ids) == tokenizer.decode(ids, skip_special_tokens=True)


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("WORKBENCH_MODELS_DIR", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(local_model, "_LOADED", {})
    yield tmp_path / "home"


def test_first_load_writes_the_pack_and_later_loads_reuse_it(fresh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from safetensors import safe_open

    text = local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=8)
    q4 = fresh_home / "models" / "smollm2-135m" / local_model.Q4_DIR
    assert (q4 / "tokenizer.json").is_file()
    with safe_open(str(q4 / gguf_llama.PACKED_FILE), framework="pt") as f:
        meta = f.metadata()
        assert meta["format"] == gguf_llama.PACKED_FORMAT and meta["torch"] == torch.__version__
        assert meta["eos_token"] == "<|im_end|>" and "im_start" in meta["chat_template"]
        assert f.get_slice("0.qkv.w").get_dtype() == "U8"
    assert local_model.is_converted("smollm2-135m")
    assert not (fresh_home / "models" / "smollm2-135m" / "config.json").exists()  # no HF copy needed

    def no_conversion(path: Path) -> None:
        raise AssertionError("the GGUF was packed again")

    monkeypatch.setattr(local_model, "convert_gguf", no_conversion)
    monkeypatch.setattr(local_model, "_LOADED", {})
    assert local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=8) == text

    # A pack from another torch build (its layout is the build's) is rebuilt, not trusted.
    from safetensors.torch import load_file, save_file

    save_file(load_file(str(q4 / gguf_llama.PACKED_FILE)), str(q4 / gguf_llama.PACKED_FILE), {**meta, "torch": "0.0"})
    with pytest.raises(ValueError, match="another format or torch version"):
        gguf_llama.load_packed(q4)
    monkeypatch.undo()
    monkeypatch.setenv("WORKBENCH_HOME", str(fresh_home))
    monkeypatch.delenv("WORKBENCH_MODELS_DIR", raising=False)
    monkeypatch.setattr(local_model, "_LOADED", {})
    assert local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=8) == text
    assert gguf_llama.load_packed(q4)[2]["eos_token"] == "<|im_end|>"  # rewritten by this torch


def test_an_unwritable_models_directory_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed: Any
) -> None:
    """The pack is built in a scratch directory for the process (and removed) when the models
    directory cannot be created; the answer is the cached pack's."""
    want = local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=8)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(blocker / "models"))
    monkeypatch.setattr(local_model, "_LOADED", {})
    assert local_model.generate_chat("smollm2-135m", MESSAGES, max_new_tokens=8) == want
    assert not local_model.is_converted("smollm2-135m")


def test_default_path_never_imports_transformers(packed: Any) -> None:
    """A process that answers with the default precision from the cached pack has no
    transformers module loaded (its import alone was ~2.5 s of the old 4 s load)."""
    code = (
        "import sys; from workbench.providers import local_model as m;"
        "r = m.generate_chat('smollm2-135m', [{'role': 'user', 'content': 'Say hi.'}], max_new_tokens=4);"
        "print(r[2], sorted({n.split('.')[0] for n in sys.modules} & {'transformers', 'accelerate', 'gguf'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(maxsplit=1) == ["4", "[]\n"]


def test_sampling_is_seeded_and_stops_at_eos(packed: Any) -> None:
    runtime, chat = local_model.load_local("smollm2-135m", "q4")
    ids = chat.encode_chat(MESSAGES)
    a = runtime.generate(ids, 12, {chat.eos_token_id}, temperature=0.8, top_p=0.9, seed=7)
    assert a == runtime.generate(ids, 12, {chat.eos_token_id}, temperature=0.8, top_p=0.9, seed=7)
    greedy = runtime.generate(ids, 64, {chat.eos_token_id})
    assert greedy[-1] == chat.eos_token_id and len(greedy) < 64  # one sentence, then <|im_end|>
    assert "Paris" in chat.decode(greedy)
