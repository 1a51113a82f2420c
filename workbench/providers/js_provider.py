"""`file://provider.js` / `.mjs` / `.cjs`: promptfoo's custom JavaScript provider, run by Node.js.

The file's default export is a class; workbench makes one instance with
`new Provider({id, label, config})` and calls `callApi(prompt, context)` (context = `{vars,
prompt}`), which returns (or resolves to) promptfoo's ProviderResponse: `output` or `error`, and
optionally `tokenUsage`, `cost`, `metadata`, `sessionId`. CommonJS and ES modules both work, with
`require`/`import` of the project's own files and node_modules, because the file runs in a real
Node.js (the long-lived host of runtimes/node.py, the one that also runs JavaScript assertions and
transforms; its "provider" style makes and keeps the instance). Without `node` on PATH the provider is refused
at load with one line (exit 2): promptfoo itself runs these files in Node.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from workbench.errors import ProviderError
from workbench.providers.custom_base import CustomProvider, file_part, to_response
from workbench.runtimes import node
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

EXTENSIONS = (".js", ".cjs", ".mjs")
TYPESCRIPT = (".ts", ".cts", ".mts")


def matches(provider_id: str) -> bool:
    return provider_id.startswith("file://") and file_part(provider_id)[0].endswith((*EXTENSIONS, *TYPESCRIPT))


class JavaScriptProvider(CustomProvider):
    kind = "javascript"

    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        super().__init__(spec, base_dir)
        rel, _ = file_part(spec.id)
        if rel.endswith(TYPESCRIPT):
            raise ProviderError(
                f"provider {spec.id}: TypeScript providers are not supported by workbench (compile it to .js or .mjs)"
            )
        self.path = (self.base_dir / rel).resolve()
        if not self.path.is_file():
            raise ProviderError(f"provider {spec.id}: JavaScript file not found: {self.path}")
        if not node.available():
            raise ProviderError(
                f"provider {spec.id}: JavaScript providers run in Node.js, which is not on PATH"
                " (install Node.js or set WORKBENCH_NODE to its executable)"
            )
        self.source_files = [self.path]

    async def attempt(self, request: ProviderRequest) -> ProviderResponse:
        timeout = self.policy.timeout or 3600.0
        args = [self.options(), request.prompt, self.context(request)]
        result = await asyncio.to_thread(node.call_file_function, self.path, None, args, timeout, style="provider")
        return to_response(result.value, where=f"{self.path.name} callApi")
