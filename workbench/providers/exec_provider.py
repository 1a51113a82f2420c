"""`exec:<command line>`: promptfoo's script provider (src/providers/scriptCompletion.ts).

The command line is split like promptfoo's (`"quoted parts"` and `'quoted parts'` kept whole),
run without a shell in the suite's directory (or `config.basePath`), with three more arguments:
the prompt, the provider options as JSON (`{id, label, config}`) and the context as JSON
(`{vars, prompt}`). Stdout, ANSI codes stripped and trimmed, is the output. A non-zero exit, or
stderr with an empty stdout, is an ERROR row. The files named in the command line are hashed
into the response-cache key, so editing the script invalidates its cached answers.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from workbench.errors import ProviderError
from workbench.providers.custom_base import CustomProvider
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

PREFIX = "exec:"
_PARTS = re.compile(r"""[^\s"']+|"([^"]*)"|'([^']*)'""")
_ANSI = re.compile(r"\x1b(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")


def matches(provider_id: str) -> bool:
    return provider_id.startswith(PREFIX)


def split_command(command: str) -> list[str]:
    """promptfoo's parseScriptParts."""
    return [m.group(1) or m.group(2) or m.group(0) for m in _PARTS.finditer(command)]


class ExecProvider(CustomProvider):
    kind = "exec"

    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None) -> None:
        super().__init__(spec, base_dir)
        self.parts = split_command(spec.id[len(PREFIX) :])
        if not self.parts:
            raise ProviderError(f"provider {spec.id!r}: no command after 'exec:'")
        base_path = self.config.get("basePath")
        self.cwd = (self.base_dir / str(base_path)).resolve() if base_path else self.base_dir
        self.source_files = [p for p in (self.cwd / part for part in self.parts) if p.is_file()]

    async def attempt(self, request: ProviderRequest) -> ProviderResponse:
        args = [*self.parts[1:], request.prompt, json.dumps(self.options()), json.dumps(self.context(request))]
        try:
            proc = await asyncio.create_subprocess_exec(
                self.parts[0],
                *args,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as e:  # command not found / not executable: not worth retrying
            return ProviderResponse(error=f"Error: Command failed: {self.parts[0]}: {e.strerror or e}")
        try:
            out_b, err_b = await proc.communicate()
        except asyncio.CancelledError:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        stdout = _ANSI.sub("", out_b.decode("utf-8", "replace").strip())
        stderr = _ANSI.sub("", err_b.decode("utf-8", "replace").strip())
        if proc.returncode != 0:
            detail = f": {stderr.splitlines()[-1]}" if stderr else ""
            return ProviderResponse(error=f"Error: Command failed with exit code {proc.returncode}{detail}")
        if stderr and not stdout:
            return ProviderResponse(error=f"Error: {stderr}")
        return ProviderResponse(output=stdout, token_source="none")
