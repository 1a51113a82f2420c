"""A torch-only Llama runtime over a GGUF's own 4-bit weights (the `q4` precision of local models).

No transformers: the weights come from the GGUF (read with the `gguf` package) or from the packed
copy cached beside it, and the forward pass is written out here (RMSNorm, rotary embeddings,
grouped-query attention over a preallocated KV cache, SiLU MLP, tied embeddings).

Weights. The shipped Q4_1 blocks (32 weights: scale d, minimum m, 4-bit q; w = d*q + m) map
one to one onto torch's CPU int4 weight-only kernel (`_weight_int4pack_mm_for_cpu`, group size
32, w = (q - 8)*scale + zero): scale = d, zero = m + 8d, the same q. The tied embedding / output
head is Q8_0 (w = d*q, q an int8): the head splits q + 128 into two 4-bit halves,
16*hi + lo, and runs them as one int4 matmul over [x, x] (K doubled), so it stays exact too.
The kernel takes its activations, scales and zeros in bfloat16 (its fp32 path is an unvectorized
fallback, ~25x slower here); everything between the matmuls (residual stream, norms, rotary,
attention, SiLU) stays in float32. Per token that reads ~100 MB (4-bit values plus bf16 scales
and zeros) instead of fp32's 540 MB.

The packed layout belongs to the torch build, so the cache file records the torch version and
is rebuilt (from the GGUF, ~2 s) when it differs.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP = 32  # GGUF block size: Q4_1 and Q8_0 both quantize blocks of 32 weights
PACKED_FILE = "model.q4.safetensors"
PACKED_FORMAT = "workbench-gguf-int4pack-v1"


@dataclass(frozen=True)
class LlamaConfig:
    n_layers: int
    dim: int
    n_heads: int
    n_kv_heads: int
    ffn: int
    eps: float
    rope_theta: float
    vocab: int
    context: int

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def as_metadata(self) -> dict[str, str]:
        return {k: repr(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> LlamaConfig:
        names = cls.__dataclass_fields__
        return cls(**{k: (float if k in ("eps", "rope_theta") else int)(meta[k]) for k in names})  # type: ignore[arg-type]


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        raise ValueError(f"GGUF has no {key!r}")
    return field.contents()


def _config(reader: Any) -> LlamaConfig:
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"GGUF architecture {arch!r}: only llama is supported")
    heads = int(_field(reader, "llama.attention.head_count"))
    return LlamaConfig(
        n_layers=int(_field(reader, "llama.block_count")),
        dim=int(_field(reader, "llama.embedding_length")),
        n_heads=heads,
        n_kv_heads=int(_field(reader, "llama.attention.head_count_kv")),
        ffn=int(_field(reader, "llama.feed_forward_length")),
        eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
        rope_theta=float(_field(reader, "llama.rope.freq_base")),
        vocab=len(reader.fields["tokenizer.ggml.tokens"].data),
        context=int(_field(reader, "llama.context_length")),
    )


def _q4_1(raw: Any) -> tuple[Any, Any, Any]:
    """Q4_1 rows (uint8 [N, blocks*20]) -> (q int32 [N, K], d float32 [N, blocks], m float32 [N, blocks])."""
    import numpy as np

    n = raw.shape[0]
    blocks = raw.reshape(n, -1, 20)
    d = blocks[:, :, 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    m = blocks[:, :, 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    qs = blocks[:, :, 4:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=2)  # ggml: low nibbles are weights 0-15, high 16-31
    return q.reshape(n, -1).astype(np.int32), d, m


def _q8_0(raw: Any) -> tuple[Any, Any]:
    """Q8_0 rows (uint8 [N, blocks*34]) -> (q int8 [N, K], d float32 [N, blocks])."""
    import numpy as np

    n = raw.shape[0]
    blocks = raw.reshape(n, -1, 34)
    d = blocks[:, :, 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    q = blocks[:, :, 2:].copy().view(np.int8)
    return q.reshape(n, -1), d


def _pack(q: Any, scale: Any, zero: Any) -> tuple[Any, Any]:
    """int4 values [N, K] (numpy int32 0..15) and per-group scale/zero [N, K/32] -> torch's packed
    weight and its scales_and_zeros [K/32, N, 2] (bfloat16, as the CPU kernel takes them)."""
    import numpy as np
    import torch

    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(torch.from_numpy(np.ascontiguousarray(q)), 1)
    sz = torch.stack([torch.from_numpy(scale).t(), torch.from_numpy(zero).t()], dim=-1)
    return packed, sz.to(torch.bfloat16).contiguous()


def convert_gguf(path: Path) -> tuple[LlamaConfig, dict[str, Any], dict[str, str]]:
    """The config, packed tensors and chat metadata (chat_template, bos_token, eos_token) of a
    llama GGUF whose Linear weights are Q4_1 and token embedding Q8_0."""
    import gguf
    import numpy as np
    import torch

    reader = gguf.GGUFReader(str(path))
    cfg = _config(reader)
    raw = {t.name: t for t in reader.tensors}

    def q4(name: str) -> tuple[Any, Any, Any]:
        t = raw[name]
        if t.tensor_type != gguf.GGMLQuantizationType.Q4_1:
            raise ValueError(f"{path.name}: {name} is {t.tensor_type.name}, expected Q4_1")
        return _q4_1(np.asarray(t.data))

    def f32(name: str) -> Any:
        return torch.from_numpy(np.asarray(raw[name].data, dtype=np.float32).copy())

    tensors: dict[str, Any] = {}
    for i in range(cfg.n_layers):
        b = f"blk.{i}."
        for fused, parts in (
            ("qkv", [q4(b + "attn_q.weight"), q4(b + "attn_k.weight"), q4(b + "attn_v.weight")]),
            ("o", [q4(b + "attn_output.weight")]),
            ("gate_up", [q4(b + "ffn_gate.weight"), q4(b + "ffn_up.weight")]),
            ("down", [q4(b + "ffn_down.weight")]),
        ):
            q, d, m = (np.concatenate(a, axis=0) for a in zip(*parts, strict=True))
            tensors[f"{i}.{fused}.w"], tensors[f"{i}.{fused}.sz"] = _pack(q, d, m + 8 * d)
        tensors[f"{i}.attn_norm"] = f32(b + "attn_norm.weight")
        tensors[f"{i}.ffn_norm"] = f32(b + "ffn_norm.weight")
    tensors["norm"] = f32("output_norm.weight")
    emb = raw["token_embd.weight"]
    if emb.tensor_type != gguf.GGMLQuantizationType.Q8_0 or "output.weight" in raw:
        raise ValueError(f"{path.name}: expected a tied Q8_0 token embedding")
    q8, d8 = _q8_0(np.asarray(emb.data))
    tensors["embed.q"] = torch.from_numpy(q8.copy())
    tensors["embed.d"] = torch.from_numpy(d8.copy())
    # The head: q + 128 = 16*hi + lo, w = d*q = (16d)*hi + d*lo - 128d. As int4 groups:
    # hi with scale 16d and zero 0 ((hi - 8)*16d = 16d*hi - 128d), lo with scale d and zero 8d.
    u = q8.astype(np.int32) + 128
    hi, lo = u >> 4, u & 0x0F
    q = np.concatenate([hi, lo], axis=1)
    scale = np.concatenate([16 * d8, d8], axis=1)
    zero = np.concatenate([np.zeros_like(d8), 8 * d8], axis=1)
    tensors["head.w"], tensors["head.sz"] = _pack(q, scale, zero)
    tokens = reader.fields["tokenizer.ggml.tokens"]
    chat = {
        "chat_template": str(_field(reader, "tokenizer.chat_template")),
        "bos_token": str(tokens.contents(int(_field(reader, "tokenizer.ggml.bos_token_id")))),
        "eos_token": str(tokens.contents(int(_field(reader, "tokenizer.ggml.eos_token_id")))),
    }
    return cfg, tensors, chat


def save_packed(directory: Path, cfg: LlamaConfig, tensors: dict[str, Any], chat: dict[str, str]) -> None:
    """Write the packed tensors to `directory/PACKED_FILE` (atomic rename) with the torch version,
    the config and the chat metadata."""
    import torch
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".q4-", dir=directory)
    os.close(fd)
    try:
        meta = {"format": PACKED_FORMAT, "torch": torch.__version__, **cfg.as_metadata(), **chat}
        save_file({k: v.contiguous() for k, v in tensors.items()}, tmp, metadata=meta)
        os.replace(tmp, directory / PACKED_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


CHAT_KEYS = ("chat_template", "bos_token", "eos_token")


def load_packed(directory: Path) -> tuple[LlamaConfig, dict[str, Any], dict[str, str]]:
    """The cached (config, packed tensors, chat metadata); ValueError when absent, of another
    format or packed by another torch version."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = directory / PACKED_FILE
    if not path.is_file():
        raise ValueError(f"{path}: absent")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != PACKED_FORMAT or meta.get("torch") != torch.__version__:
        raise ValueError(f"{path}: packed by another format or torch version")
    if any(k not in meta for k in CHAT_KEYS):
        raise ValueError(f"{path}: no chat metadata")
    return LlamaConfig.from_metadata(meta), load_file(str(path)), {k: meta[k] for k in CHAT_KEYS}


class GGUFLlama:
    """Greedy/sampled decoding of a llama model from its packed int4 tensors (see the module doc)."""

    def __init__(self, cfg: LlamaConfig, tensors: dict[str, Any]) -> None:
        import torch

        self.cfg = cfg
        self.t = tensors
        self.layers = [
            tuple(tensors[f"{i}.{k}"] for k in ("attn_norm", "qkv.w", "qkv.sz", "o.w", "o.sz", "ffn_norm"))
            + tuple(tensors[f"{i}.{k}"] for k in ("gate_up.w", "gate_up.sz", "down.w", "down.sz"))
            for i in range(cfg.n_layers)
        ]
        half = cfg.head_dim // 2
        self.inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, half, dtype=torch.float32) / half))
        self.rotary = torch.empty(0, half, dtype=torch.complex64)

    def _rope(self, length: int) -> None:
        """Rotations e^(i*pos*freq) for positions 0..length-1 (grown on demand). The GGUF keeps
        llama.cpp's layout of q and k: each head's rotary pairs are adjacent (0,1), (2,3), ..., so
        a complex view rotates them in one multiply. (transformers un-permutes the rows to rotate
        halves instead; attention only sees q.k, which the same permutation of both leaves equal.)"""
        import torch

        if length <= len(self.rotary):
            return
        n = max(length, 2 * len(self.rotary), 512)
        freqs = torch.outer(torch.arange(n, dtype=torch.float32), self.inv_freq)
        self.rotary = torch.polar(torch.ones_like(freqs), freqs)

    def embed(self, ids: Any) -> Any:
        q, d = self.t["embed.q"][ids], self.t["embed.d"][ids]
        return (q.view(len(ids), -1, GROUP).float() * d.unsqueeze(-1)).view(len(ids), self.cfg.dim)

    def forward(self, ids: Any, pos: int, cache: list[tuple[Any, Any]]) -> Any:
        """Logits (float32 [vocab]) after `ids` (int64 [T]) placed at positions pos..pos+T-1.
        `pos` 0 starts a sequence (a causal prefill); later calls add one token each."""
        import torch
        import torch.nn.functional as F

        cfg = self.cfg
        mm = torch.ops.aten._weight_int4pack_mm_for_cpu
        bf16 = torch.bfloat16
        n, hd, nh, nkv, dim = len(ids), cfg.head_dim, cfg.n_heads, cfg.n_kv_heads, cfg.dim
        half = hd // 2
        end = pos + n
        rotary = self.rotary[pos:end, None, :]  # [T, 1, hd/2]
        x = self.embed(ids)
        causal = n > 1
        for (an, qkv_w, qkv_sz, o_w, o_sz, fn, gu_w, gu_sz, d_w, d_sz), (kc, vc) in zip(
            self.layers, cache, strict=True
        ):
            h = F.rms_norm(x, (dim,), an, cfg.eps)
            qkv = mm(h.to(bf16), qkv_w, GROUP, qkv_sz).float().view(n, nh + 2 * nkv, hd)
            qk = torch.view_as_real(torch.view_as_complex(qkv[:, : nh + nkv].view(n, nh + nkv, half, 2)) * rotary)
            qk = qk.view(n, nh + nkv, hd).transpose(0, 1)
            kc[:, pos:end] = qk[nh:]
            vc[:, pos:end] = qkv[:, nh + nkv :].transpose(0, 1)
            a = F.scaled_dot_product_attention(
                qk[:nh].unsqueeze(0), kc[None, :, :end], vc[None, :, :end], is_causal=causal, enable_gqa=True
            )
            x = x + mm(a[0].transpose(0, 1).reshape(n, dim).to(bf16), o_w, GROUP, o_sz).float()
            h = F.rms_norm(x, (dim,), fn, cfg.eps)
            gate, up = mm(h.to(bf16), gu_w, GROUP, gu_sz).float().chunk(2, dim=-1)
            x = x + mm((F.silu(gate) * up).to(bf16), d_w, GROUP, d_sz).float()
        h = F.rms_norm(x[-1:], (dim,), self.t["norm"], cfg.eps).to(bf16)
        return mm(torch.cat([h, h], dim=-1), self.t["head.w"], GROUP, self.t["head.sz"]).float()[0]

    def new_cache(self, length: int) -> list[tuple[Any, Any]]:
        import torch

        shape = (self.cfg.n_kv_heads, length, self.cfg.head_dim)
        return [(torch.empty(shape), torch.empty(shape)) for _ in range(self.cfg.n_layers)]

    def generate(
        self,
        prompt: list[int],
        max_new_tokens: int,
        eos: set[int],
        *,
        temperature: float = 0.0,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> list[int]:
        """The new token ids (the stopping eos included, as transformers' generate returns it)."""
        import torch

        length = min(len(prompt) + max_new_tokens, self.cfg.context)
        if len(prompt) >= length:
            raise ValueError(f"prompt of {len(prompt)} tokens leaves no room in the {self.cfg.context}-token context")
        self._rope(length)
        cache = self.new_cache(length)
        generator = None
        if temperature > 0:
            generator = torch.Generator()
            generator.manual_seed(seed if seed is not None else torch.seed())
        out: list[int] = []
        with torch.inference_mode():
            logits = self.forward(torch.tensor(prompt, dtype=torch.long), 0, cache)
            pos = len(prompt)
            while True:
                token = _pick(logits, temperature, top_p, generator)
                out.append(token)
                if token in eos or len(out) >= max_new_tokens or pos >= length:
                    return out
                logits = self.forward(torch.tensor([token], dtype=torch.long), pos, cache)
                pos += 1


def _pick(logits: Any, temperature: float, top_p: float | None, generator: Any) -> int:
    import torch

    if generator is None:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p is not None and 0 < top_p < 1:
        sorted_p, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_p, dim=-1) - sorted_p < top_p  # always keeps the first
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
    return int(torch.multinomial(probs, 1, generator=generator))
