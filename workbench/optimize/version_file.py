"""Write an optimizer's winner as a new version of its family: never overwriting, with provenance.

The provenance is a one-line Nunjucks comment (`{# ... #}`) directly before the text: templating
strips it, so the model sees exactly the verified text, and promptfoo runs the same file unchanged.
It must stay on one line and hold no `#`: promptfoo treats a line with an unclosed `{#` as a partial
tag and then sends the whole template unrendered.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

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


def write_version(original: Path, text: str, lines: list[str]) -> Path:
    """Write `text` as the next version after `original`, headed by its provenance; returns the path."""
    path = next_version_path(original)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        f.write(provenance([f"workbench optimize, {stamp}", *lines]) + text)
    return path
