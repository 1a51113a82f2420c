"""Which BASE prompt a HEAD prompt is compared with.

A prompt present on both sides is compared with itself. A prompt version present only in HEAD
(a pull request adds `prompts/greet/v2.txt` next to v1) is compared with its predecessor: the
nearest earlier version of the same family that BASE has, in natural version order (v2 < v10), or
the one named by `--predecessor FAMILY/NEW=OLD`. Without this a new version has no counterpart and
no gate could ever see what it broke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from workbench.errors import UsageError

# The stored prompt name of a run's prompt (what comparison.PROMPT_NAME computes per result).
RUN_PROMPT_NAME = (
    "case when pv.family is not null and pv.version is not null then pv.family || '/' || pv.version"
    " else coalesce(pv.label, rp.label, 'prompt ' || rp.prompt_idx) end"
)


@dataclass(frozen=True)
class Predecessor:
    family: str
    new: str
    old: str


def parse_predecessor(spec: str) -> Predecessor:
    """`FAMILY/NEW=OLD` (e.g. `greet/v2=v1`); UsageError naming the flag otherwise."""
    m = re.fullmatch(r"\s*(.+)/([^/=]+)=([^/=]+?)\s*", spec)
    if not m:
        raise UsageError(f"--predecessor {spec!r}: expected FAMILY/NEW=OLD, e.g. greet/v2=v1")
    return Predecessor(m.group(1), m.group(2), m.group(3))


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order: digit runs compare as numbers (v2 < v10), the rest as text."""
    parts = re.findall(r"\d+|\D+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def run_prompt_versions(db: Database, run_id: int) -> dict[str, tuple[str, str] | None]:
    """Prompt name -> (family, version) of a run's prompts (None when not from a family)."""
    out: dict[str, tuple[str, str] | None] = {}
    for name, family, version in db.execute(
        f"select {RUN_PROMPT_NAME}, pv.family, pv.version from run_prompts rp"
        " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ? order by rp.prompt_idx",
        [run_id],
    ):
        out.setdefault(str(name), (str(family), str(version)) if family and version else None)
    return out


def head_to_base(
    base: dict[str, tuple[str, str] | None],
    head: dict[str, tuple[str, str] | None],
    explicit: tuple[Predecessor, ...] = (),
) -> dict[str, str]:
    """HEAD prompt name -> the BASE prompt name it is compared with (same name, else predecessor)."""
    out = {name: name for name in head if name in base}
    chosen = {(p.family, p.new): p.old for p in explicit}
    for name, fv in head.items():
        if name in out or fv is None:
            continue
        family, version = fv
        if (family, version) in chosen:
            old = f"{family}/{chosen[(family, version)]}"
            if old in base:
                out[name] = old
            continue
        earlier = [
            (version_key(v[1]), n)
            for n, v in base.items()
            if v is not None and v[0] == family and version_key(v[1]) < version_key(version)
        ]
        if earlier:
            out[name] = max(earlier)[1]
    return out


def predecessor_map(db: Database, base_id: int, head_id: int, explicit: tuple[Predecessor, ...] = ()) -> dict[str, str]:
    return head_to_base(run_prompt_versions(db, base_id), run_prompt_versions(db, head_id), explicit)
