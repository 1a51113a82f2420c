"""`file://provider.py[:function]` (or `python:provider.py`): promptfoo's Python provider.

The function (default `call_api`; `Class.method` works too, as in promptfoo's wrapper) is called as
`call_api(prompt, options, context)` with `options = {id, label, config}` and
`context = {vars, prompt}`; it returns a dict with `output` or `error`, and optionally
`tokenUsage` (`prompt`, `completion`, `total`), `cost`, `metadata`, `sessionId`. An `async def`
is run to completion. The file runs in this process (workbench's Python runtime), re-read when it
changes; a raised exception is an ERROR row with its message, like promptfoo's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from workbench.errors import ProviderError
from workbench.providers.custom_base import CustomProvider, file_part, to_response
from workbench.runtimes.python import run_file
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

DEFAULT_FUNCTION = "call_api"


def matches(provider_id: str) -> bool:
    if provider_id.startswith("python:"):
        return True
    return provider_id.startswith("file://") and file_part(provider_id)[0].endswith(".py")


class PythonProvider(CustomProvider):
    kind = "python"

    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        super().__init__(spec, base_dir)
        ref = spec.id[len("python:") :] if spec.id.startswith("python:") else spec.id
        rel, fn = file_part(ref)
        self.path = (self.base_dir / rel).resolve()
        self.function = fn or DEFAULT_FUNCTION
        if not self.path.is_file():
            raise ProviderError(f"provider {spec.id}: Python file not found: {self.path}")
        self.source_files = [self.path]

    async def attempt(self, request: ProviderRequest) -> ProviderResponse:
        timeout = self.policy.timeout or 3600.0
        args = [request.prompt, self.options(), self.context(request)]
        result = await asyncio.to_thread(run_file, self.path, self.function, args, timeout)
        return to_response(result, where=f"The Python script `{self.function}` function")
