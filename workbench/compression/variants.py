"""Prompt variants: `none`, or a compression such as `llmlingua:0.5` (method + target rate).

Only the *declared compressible vars* are compressed (e.g. `context`, `documents`, `history`),
never the instructions, the question or the output-format text. The clean way to guarantee that
is to compress the var values *before* rendering and then render the prompt with the compressed
vars, so every other byte of the prompt comes from the template unchanged. Chat prompts get the
same treatment: only the var text inside the message contents changes.

Where the declarations come from (the suite wins over the family):
- `prompts/<family>/prompt.yaml`: `compressible: [context]`, `question_var: question`
- the suite's `workbench:` block: `workbench: {variants: [...], compressible: [...],
  question_var: ..., compression: {model: PATH_OR_NAME, llmlingua2_model: PATH}}`

`apply_variant(variant, text, messages, vars, context)` is the one call the engine makes per
cell: `variant` is a `Variant` (`Variant.parse("llmlingua:0.5")`), `context` a `VariantContext`:
the suite and prompt (where the declarations come from), the cell's `Renderer` (`(vars) ->
(text, messages)`, the engine's own, with the test's prefix/suffix; default `render_prompt`
with the suite's base dir), the provider (token counts with the target model's tokenizer) and
the database (the compression cache). It returns the variant's `(text, messages, compression
info)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from workbench.compression.service import compress_cached, compressor, compressors
from workbench.errors import SuiteError, UsageError
from workbench.providers.local_model import LOCAL_MODELS
from workbench.render.prompt import load_file_vars, render_prompt
from workbench.suite.families import load_family_metadata
from workbench.tokens import count_message_tokens, count_tokens
from workbench.types import CompressionInfo, Prompt, ProviderSpec, Suite, VarCompression


@dataclass(frozen=True)
class Variant:
    """One prompt variant: `none`, or the compression METHOD at target RATE (`llmlingua:0.5`)."""

    name: str  # as written in --variants / workbench.variants, and as stored (Cell.variant)
    method: str = "none"  # none, or a compressor's name (compression/compressor_registry.py)
    rate: float | None = None  # the target rate in (0, 1]; None for none

    @classmethod
    def parse(cls, name: str) -> Variant:
        """`none` -> Variant("none"); `llmlingua:0.5` -> Variant("llmlingua:0.5", "llmlingua", 0.5).
        An unknown method or a bad rate is a UsageError (exit 2)."""
        method, rate = parse_variant(name)
        return cls(name=name, method=method, rate=rate)

    @property
    def compresses(self) -> bool:
        return self.method != "none" and self.rate is not None


class Renderer(Protocol):
    """Renders a cell's prompt with the given vars into (text, chat messages)."""

    def __call__(self, vars: dict[str, Any], /) -> tuple[str, list[dict[str, Any]]]: ...


@dataclass(frozen=True)
class VariantContext:
    """What `apply_variant` needs of the cell besides its vars and baseline rendering."""

    suite: Suite  # its workbench block declares compressible vars, question var, models
    prompt: Prompt  # its family's prompt.yaml declares them too (the suite wins)
    render: Renderer | None = None  # default: render_prompt(prompt, vars, base_dir=suite's)
    provider: ProviderSpec | None = None  # the target: its tokenizer counts the savings
    db: Database | None = None  # the compression cache (None: not cached)


def parse_variant(name: str) -> tuple[str, float | None]:
    """`none` -> ("none", None); `llmlingua:0.5` -> ("llmlingua", 0.5)."""
    if name == "none":
        return "none", None
    method, _, rate = name.partition(":")
    if compressors().get(method) is None:
        known = ", ".join(compressors().names())
        raise UsageError(f"variant {name!r}: unknown method {method!r} (known: none, {known})")
    try:
        value = float(rate)
    except ValueError:
        raise UsageError(f"variant {name!r}: expected METHOD:RATE such as llmlingua:0.5") from None
    if not 0 < value <= 1:
        raise UsageError(f"variant {name!r}: the rate must be in (0, 1]")
    return method, value


@dataclass
class CompressionSettings:
    compressible: list[str] = field(default_factory=list)
    question_var: str | None = None
    model: str | None = None  # causal LM: a local model name (smollm2-135m) or a directory
    llmlingua2_model: str | None = None  # token-classification model directory
    keep_facts: bool = True  # the fact-retention guard (compression/fact_guard.py)


def compression_settings(suite: Suite, prompt: Prompt) -> CompressionSettings:
    """Merge the family's `prompt.yaml` with the suite's `workbench:` block (the suite wins)."""
    family: dict[str, Any] = {}
    if prompt.path is not None:
        family = load_family_metadata(Path(prompt.path).parent)
    settings = suite.settings
    compressible = settings.compressible
    if compressible is None:
        compressible = family.get("compressible") or []
        if isinstance(compressible, str):
            compressible = [compressible]
        if not isinstance(compressible, list) or not all(isinstance(c, str) for c in compressible):
            file = str(suite.path) if suite.path else None
            raise SuiteError(file, "workbench.compressible", "must be a list of var names")
    question_var = settings.question_var if settings.question_var is not None else family.get("question_var")
    base = suite.base_dir if suite.path else Path.cwd()
    return CompressionSettings(
        compressible=list(compressible),
        question_var=question_var,
        model=_local_path(settings.compression.model, base),
        llmlingua2_model=_local_path(settings.compression.llmlingua2_model, base),
        keep_facts=settings.compression.keep_facts,
    )


def _local_path(value: Any, base: Path) -> str | None:
    """A configured model: a known local name stays a name; a relative path is relative to the suite."""
    if not value:
        return None

    text = str(value)
    if text in LOCAL_MODELS:
        return text
    p = Path(text).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _compressor_model(method: str, cs: CompressionSettings) -> str:
    return compressor(method).model_for({"model": cs.model, "llmlingua2_model": cs.llmlingua2_model})


def validate_variants(suite: Suite, variants: list[str]) -> None:
    """Check every variant against every prompt before a run starts (one-line errors, exit 2)."""
    file = str(suite.path) if suite.path else None
    for name in variants:
        method, _ = parse_variant(name)
        if method == "none":
            continue
        for prompt in suite.prompts:
            cs = compression_settings(suite, prompt)
            if not cs.compressible:
                raise SuiteError(
                    file,
                    "workbench.compressible",
                    f"variant {name!r} needs compressible vars for prompt {prompt.label!r}: declare "
                    "`compressible: [context]` in prompts/<family>/prompt.yaml or the suite's workbench block",
                )
            method_info = compressor(method)
            if method_info.needs_question and not cs.question_var:
                raise SuiteError(
                    file, "workbench.question_var", f"variant {name!r} needs `question_var` (e.g. question)"
                )
            try:
                if method_info.check is not None:
                    method_info.check(_compressor_model(method, cs))
            except UsageError as e:
                raise SuiteError(file, "workbench.compression", str(e)) from None


def _count(text: str, messages: list[dict[str, Any]], is_chat: bool, model: str | None) -> int:
    return count_message_tokens(messages, model) if is_chat else count_tokens(text, model)


async def apply_variant(
    variant: Variant, text: str, messages: list[dict[str, Any]], vars: dict[str, Any], context: VariantContext
) -> tuple[str, list[dict[str, Any]], CompressionInfo | None]:
    """Return (text, messages, compression info) for the variant; `none` returns its input.

    `text`/`messages` are the prompt rendered with the original vars (the baseline the savings
    are measured against); the variant is rendered again from the compressed vars.
    """
    method, rate = variant.method, variant.rate
    if not variant.compresses or rate is None:
        return text, messages, None

    suite, prompt = context.suite, context.prompt
    cs = compression_settings(suite, prompt)
    if not cs.compressible:
        raise UsageError(f"variant {variant.name!r}: no compressible vars declared for prompt {prompt.label!r}")
    model = _compressor_model(method, cs)
    target = context.provider.id if context.provider is not None else None
    base_dir = suite.base_dir if suite.path else None
    render = context.render
    if render is None:

        def render(v: dict[str, Any], /) -> tuple[str, list[dict[str, Any]]]:
            return render_prompt(prompt, v, base_dir=base_dir)

    loaded = load_file_vars(vars, base_dir)  # `context: file://kb.md` is compressed as its text
    question = str(loaded.get(cs.question_var, "") or "") if cs.question_var else ""
    new_vars = dict(loaded)
    started = time.perf_counter()
    per_var: dict[str, VarCompression] = {}
    compressor_seconds = 0.0
    all_cached = True
    facts_dropped: list[str] = []
    for name in cs.compressible:
        if name == cs.question_var or name not in loaded:
            continue
        value = loaded[name]
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in items):
            continue  # only text is compressible; structured values stay verbatim
        out_items = []
        for item in items:
            done = await compress_cached(context.db, item, method, rate, model, question, keep_facts=cs.keep_facts)
            facts_dropped.extend(f for f in done.facts_dropped if f not in facts_dropped)
            compressor_seconds += done.seconds
            all_cached = all_cached and done.cached
            out_items.append(done.text)
        new_vars[name] = out_items if isinstance(value, list) else out_items[0]
        per_var[name] = VarCompression(
            original_tokens=sum(count_tokens(i, target) for i in items),
            compressed_tokens=sum(count_tokens(i, target) for i in out_items),
        )
    new_text, new_messages = render(new_vars)
    is_chat = prompt.is_chat
    original_tokens = _count(text, messages, is_chat, target)
    compressed_tokens = _count(new_text, new_messages, is_chat, target)
    info = CompressionInfo(
        method=method,
        rate=rate,
        compressor_model=model,
        target_model=target,
        original_tokens=original_tokens,  # whole prompt, target model's tokenizer
        compressed_tokens=compressed_tokens,
        ratio=round(compressed_tokens / original_tokens, 4) if original_tokens else None,
        tokens_saved=original_tokens - compressed_tokens,
        seconds=round(time.perf_counter() - started, 4),  # compressor wall time in this cell
        compressor_seconds=round(compressor_seconds, 4),  # what the compressions cost when computed
        cached=all_cached,
        vars=per_var,
        facts_dropped=facts_dropped,
        facts_restored=cs.keep_facts,
    )
    return new_text, new_messages, info
