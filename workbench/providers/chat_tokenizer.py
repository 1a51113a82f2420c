"""A chat tokenizer without transformers: a `tokenizers` tokenizer.json plus the model's jinja chat
template, rendered the way transformers' `apply_chat_template` renders it (a sandboxed jinja2
environment with trim_blocks and lstrip_blocks, the special tokens as variables, and the text
tokenized without adding special tokens). Loading is a few tens of milliseconds where importing
transformers' tokenizer machinery costs seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ChatTokenizer:
    def __init__(self, tokenizer_json: Path, chat_template: str, bos_token: str, eos_token: str) -> None:
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.bos_token, self.eos_token = bos_token, eos_token
        eos_id = self.tokenizer.token_to_id(eos_token)
        if eos_id is None:
            raise ValueError(f"{tokenizer_json}: no token {eos_token!r}")
        self.eos_token_id: int = eos_id
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
        env.globals["raise_exception"] = _raise
        self.template = env.from_string(chat_template)

    def render(self, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        return self.template.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
        )

    def encode_chat(self, messages: list[dict[str, Any]]) -> list[int]:
        """The prompt ids for `messages` followed by the assistant's turn."""
        return list(self.tokenizer.encode(self.render(messages), add_special_tokens=False).ids)

    def decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))


def _raise(message: str) -> None:
    raise ValueError(f"chat template: {message}")
