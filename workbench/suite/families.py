"""Prompt families and versions: `prompts/<family>/<version>.<ext>`.

The version label is the file stem; identity is the sha256 of the normalized content (`\\r\\n`
-> `\\n`, trailing whitespace stripped from each line and from the end), so an editor's line
endings do not make a new version. Optional family metadata lives in
`prompts/<family>/prompt.yaml` (description, compressible vars, question var, default params),
never in the prompt file, so promptfoo can run the same files.
"""

from __future__ import annotations

import difflib
import hashlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import SuiteError
from workbench.suite.validate import unknown_key_warning
from workbench.suite.yaml12 import load_yaml
from workbench.tokens import count_tokens

PROMPT_EXTS = (".txt", ".md", ".j2", ".json", ".yaml", ".yml")
METADATA_FILE = "prompt.yaml"
METADATA_KEYS = {"description", "compressible", "question_var", "params", "default_params", "tags"}


def normalize_content(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def normalized_sha256(text: str) -> str:
    return hashlib.sha256(normalize_content(text).encode("utf-8")).hexdigest()


def family_version_of(path: Path) -> tuple[str, str] | None:
    """(family, version) for `.../prompts/<family>/<version>.<ext>`, else None."""
    p = Path(path)
    if p.suffix.lower() not in PROMPT_EXTS or p.name == METADATA_FILE:
        return None
    if len(p.parts) >= 3 and p.parent.parent.name == "prompts":
        return p.parent.name, p.stem
    return None


@dataclass
class PromptVersion:
    family: str
    version: str
    path: Path
    sha256: str
    tokens: int
    is_chat: bool
    git_commit: str | None = None


@dataclass
class PromptFamily:
    name: str
    path: Path
    versions: list[PromptVersion] = field(default_factory=list)
    description: str | None = None
    compressible: list[str] = field(default_factory=list)
    question_var: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load_family_metadata(family_dir: Path) -> dict[str, Any]:
    """The optional `prompt.yaml` of a family, validated loosely. Raises SuiteError on bad input."""
    meta_path = family_dir / METADATA_FILE
    if not meta_path.is_file():
        return {}
    data = load_yaml(meta_path.read_text(encoding="utf-8"), str(meta_path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SuiteError(str(meta_path), None, "must be a mapping")
    comp = data.get("compressible", [])
    if isinstance(comp, str):
        data["compressible"] = [comp]
    elif not isinstance(comp, list) or not all(isinstance(c, str) for c in comp):
        raise SuiteError(str(meta_path), "compressible", "must be a list of var names")
    for key in ("description", "question_var"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise SuiteError(str(meta_path), key, "must be a string")
    params = data.get("params", data.get("default_params", {}))
    if not isinstance(params, dict):
        raise SuiteError(str(meta_path), "params", "must be a mapping")
    data["params"] = params
    return data


def metadata_warnings(family_dir: Path) -> list[str]:
    """One line per unknown key of the family's `prompt.yaml`, naming the closest valid key."""
    meta = load_family_metadata(family_dir)
    path = family_dir.resolve() / METADATA_FILE
    if path.is_relative_to(Path.cwd()):
        path = path.relative_to(Path.cwd())
    return [unknown_key_warning(str(path), k, METADATA_KEYS) for k in sorted(set(meta) - METADATA_KEYS)]


def _is_chat(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".json", ".yaml", ".yml")


def discover_families(root: Path, *, with_git: bool = False) -> dict[str, PromptFamily]:
    """Every `<root>/<family>/<version>.<ext>`, versions sorted by name; token counts included."""
    root = Path(root)
    families: dict[str, PromptFamily] = {}
    if not root.is_dir():
        return families
    for family_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        fam = PromptFamily(name=family_dir.name, path=family_dir)
        meta = load_family_metadata(family_dir)
        fam.warnings.extend(metadata_warnings(family_dir))
        fam.description = meta.get("description")
        fam.compressible = list(meta.get("compressible", []))
        fam.question_var = meta.get("question_var")
        fam.params = dict(meta.get("params", {}))
        for f in sorted(family_dir.iterdir()):
            if not f.is_file() or f.name == METADATA_FILE or f.suffix.lower() not in PROMPT_EXTS:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
            fam.versions.append(
                PromptVersion(
                    family=fam.name,
                    version=f.stem,
                    path=f,
                    sha256=normalized_sha256(text),
                    tokens=count_tokens(text),
                    is_chat=_is_chat(f, text),
                    git_commit=git_commit_of(f) if with_git else None,
                )
            )
        if fam.versions:
            families[fam.name] = fam
    return families


def unified_diff(a: str, b: str, a_label: str = "a", b_label: str = "b", context: int = 3) -> str:
    """A unified text diff of two prompt texts ("" when they are equal after normalization)."""
    na, nb = normalize_content(a), normalize_content(b)
    if na == nb:
        return ""
    return "".join(
        difflib.unified_diff(
            (na + "\n").splitlines(keepends=True),
            (nb + "\n").splitlines(keepends=True),
            fromfile=a_label,
            tofile=b_label,
            n=context,
        )
    )


def git_commit_of(path: Path | str) -> str | None:
    """The last commit that touched `path`; None outside git or when git is missing. Never raises."""
    try:
        p = Path(path).resolve()
        out = subprocess.run(
            ["git", "log", "-1", "--format=%H", "--", p.name],
            cwd=p.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None
