"""Write an optimizer's winner as a new version of its family: never overwriting, with provenance.

The provenance is a one-line Nunjucks comment (`{# ... #}`) directly before the text: templating
strips it, so the model sees exactly the verified text, and promptfoo runs the same file unchanged.
It must stay on one line and hold no `#`: promptfoo treats a line with an unclosed `{#` as a partial
tag and then sends the whole template unrendered.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import yaml

VERSION_NUMBER = re.compile(r"^(.*?)(\d+)$")


def natural_key(version: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version))


def next_version_path(original: Path) -> Path:
    """`prompts/fam/v3.md` -> the first free of `v4.md`, `v5.md`, ... (or `<stem>-opt`, `-opt2`, ...)."""
    family_dir, ext = original.parent, original.suffix
    taken = {p.stem for p in family_dir.iterdir() if p.is_file()}
    m = VERSION_NUMBER.match(original.stem)
    if m:
        prefix = m.group(1)
        numbers = [int(x.group(2)) for x in map(VERSION_NUMBER.match, taken) if x and x.group(1) == prefix]
        n = max(numbers, default=int(m.group(2))) + 1
        return family_dir / f"{prefix}{n}{ext}"
    n = 1
    while f"{original.stem}-opt{'' if n == 1 else n}" in taken:
        n += 1
    return family_dir / f"{original.stem}-opt{'' if n == 1 else n}{ext}"


def provenance(parts: list[str]) -> str:
    body = "; ".join(" ".join(p.split()) for p in parts).replace("#", "")
    return "{# " + body + " #}"


def write_version(original: Path, text: str, lines: list[str], *, is_chat: bool = False) -> Path:
    """Write `text` as the next version after `original`, headed by its provenance; returns the path.

    A chat prompt (`text` is its messages as JSON) is written as YAML with `#` comment lines (a
    `.json` original gets a `.yaml` successor: JSON has no comments)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"workbench optimize, {stamp}", *lines]
    if is_chat:
        path = next_version_path(original if original.suffix in (".yaml", ".yml") else original.with_suffix(".yaml"))
        header = "".join(f"# {' '.join(p.split())}\n" for p in parts)
        body = yaml.safe_dump(json.loads(text), sort_keys=False, allow_unicode=True, width=1000)
    else:
        path = next_version_path(original)
        header, body = provenance(parts), text
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        f.write(header + body)
    return path
