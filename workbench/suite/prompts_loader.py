"""The suite's `prompts:` list -> Prompt objects (promptfoo src/prompts/index.ts + processors).

Forms: inline strings; `file://` paths relative to the suite; globs (sorted); `{raw|id, label,
config}` objects; promptfoo's map form `{"file://a.txt": "label"}`. File types: `.txt` (split on
`---` lines, one prompt per section), `.md`/`.j2` (one prompt), `.json` (re-serialized compactly,
a chat message list), `.jsonl` (one prompt per line), `.yaml`/`.yml` (parsed, serialized as JSON);
a `.json`/`.yaml` file that only parses once rendered (Nunjucks loops, `_conversation`) is kept as
written and rendered as text before the provider parses it. No `prompts:` at all means promptfoo's
default prompt `{{prompt}}`.
Labels follow promptfoo (`prompts.txt: <section>`, `chat.json: <compact JSON>`, `x.md: <first 50
chars>...`), with paths shown relative to the suite's directory.

Deviations, on purpose: only `file://` strings (or a bare path ending in a prompt extension that
exists) are files, while promptfoo guesses from any `/` or `.` in the string; a glob or path that
matches nothing is an error rather than being used as a literal prompt.
"""

from __future__ import annotations

import glob as globlib
import os
from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.errors import SuiteError
from workbench.jsjson import js_json, js_json_parse
from workbench.suite.families import family_version_of, normalized_sha256
from workbench.suite.validate import PROMPTFOO_ONLY_PROMPT_SCHEMES, check_keys, type_name
from workbench.suite.yaml12 import load_yaml
from workbench.types import Prompt

PROMPT_EXTS = (".txt", ".md", ".j2", ".json", ".jsonl", ".yaml", ".yml")
FUNCTION_EXTS = (".py", ".js", ".cjs", ".mjs")
PROMPT_KEYS = {"raw", "id", "label", "config", "function"}
DELIMITER_ENV = "PROMPTFOO_PROMPT_SEPARATOR"
DEFAULT_PROMPT = "{{prompt}}"


def _has_magic(s: str) -> bool:
    return any(c in s for c in "*?[{")


def _display(path: Path, base_dir: Path) -> str:
    return os.path.normpath(os.path.relpath(path, base_dir))


def _function_ref(raw: str) -> tuple[str, str | None] | None:
    """`file://prompt.py:fn` / `file://prompt.js[:fn]` -> (path, function name), else None."""
    if not raw.startswith("file://"):
        return None
    body = raw[len("file://") :]
    i = body.rfind(":")
    path, fn = (body[:i], body[i + 1 :]) if i > 1 else (body, None)
    return (path, fn or None) if path.endswith(FUNCTION_EXTS) else None


def _load_function(
    ref: tuple[str, str | None], label: str | None, config: dict[str, Any], base_dir: Path, file: str | None, where: str
) -> Prompt:
    rel, fn = ref
    path = base_dir / rel
    if rel.endswith(".py") and not fn:
        raise SuiteError(file, where, f"a Python prompt needs its function name: file://{rel}:function_name")
    source = _read_text(path, file, where, rel)
    shown = f"{_display(path, base_dir)}:{fn}" if fn else _display(path, base_dir)
    return _finish(Prompt(raw=source, label=label or shown, path=path, config=dict(config), function=(path, fn)))


def _is_file_ref(raw: str, base_dir: Path) -> bool:
    if raw.startswith("file://"):
        return True
    if "\n" in raw or not raw.endswith(PROMPT_EXTS):
        return False
    return file_access.is_file(base_dir / raw) or _has_magic(raw)


def _finish(p: Prompt) -> Prompt:
    p.sha256 = normalized_sha256(p.raw)
    if p.path is not None:
        fam = family_version_of(p.path)
        if fam:
            p.family, p.version = fam
    if not p.is_chat:
        try:
            parsed = js_json_parse(p.raw)
            p.is_chat = isinstance(parsed, list)
        except ValueError:
            pass
    return p


def _read_text(path: Path, file: str | None, where: str, shown: str) -> str:
    try:
        return file_access.read_text(path)
    except FileNotFoundError:
        raise SuiteError(file, where, f"file not found: {shown}") from None
    except file_access.FileAccessError as e:
        raise SuiteError(file, where, f"{shown}: {e.reason}") from None
    except IsADirectoryError:
        raise SuiteError(file, where, f"is a directory: {shown}") from None
    except UnicodeDecodeError:
        raise SuiteError(file, where, f"not a UTF-8 text file: {shown}") from None


def _load_file(
    path: Path, label: str | None, config: dict[str, Any], base_dir: Path, file: str | None, where: str, shown: str
) -> list[Prompt]:
    ext = path.suffix.lower()
    fp = _display(path, base_dir)
    if ext not in PROMPT_EXTS:
        raise SuiteError(
            file, where, f"unsupported prompt file type '{ext or path.name}': {shown} (use {', '.join(PROMPT_EXTS)})"
        )
    text = _read_text(path, file, where, shown)
    if ext == ".txt":
        delim = os.environ.get(DELIMITER_ENV) or "---"
        sections: list[str] = []
        buf: list[str] = []
        for line in text.replace("\r\n", "\n").split("\n"):
            if line.strip() == delim:
                sections.append("\n".join(buf).strip())
                buf = []
            else:
                buf.append(line)
        sections.append("\n".join(buf).strip())
        out = []
        for raw in sections:
            if raw:
                lab = f"{label}: {fp}: {raw}" if label else f"{fp}: {raw}"
                out.append(_finish(Prompt(raw=raw, label=lab, path=path, config=dict(config))))
        return out
    if ext in (".md", ".j2"):
        return [_finish(Prompt(raw=text, label=label or f"{fp}: {text[:50]}...", path=path, config=dict(config)))]
    if ext == ".json":
        try:
            raw = js_json(js_json_parse(text))
        except ValueError:  # a Nunjucks template that becomes JSON once rendered: kept as written
            raw = text
        return [_finish(Prompt(raw=raw, label=label or f"{fp}: {raw}", path=path, config=dict(config)))]
    if ext == ".jsonl":
        lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln]
        many = len(lines) > 1
        out = []
        for ln in lines:
            lab = (f"{label}: {ln}" if label else f"{fp}: {ln}") if many else (label or fp)
            out.append(_finish(Prompt(raw=ln, label=lab, path=path, config=dict(config))))
        return out
    # .yaml / .yml: a chat message list (or any value) serialized as JSON; a file that is not
    # YAML before rendering (a Nunjucks loop) is kept as written, like promptfoo
    try:
        raw = js_json(load_yaml(text, shown))
    except SuiteError:
        raw = text
    return [_finish(Prompt(raw=raw, label=label or f"{fp}: {raw[:80]}", path=path, config=dict(config)))]


def _expand(
    raw: str, label: str | None, config: dict[str, Any], base_dir: Path, file: str | None, where: str
) -> list[Prompt]:
    shown = raw[len("file://") :] if raw.startswith("file://") else raw
    target = base_dir / shown
    if _has_magic(shown) or file_access.is_dir(target):
        pattern = str(target / "*") if file_access.is_dir(target) else str(target)
        matches = sorted(p for p in globlib.glob(pattern, recursive=True) if file_access.is_file(p))
        if not matches:
            raise SuiteError(file, where, f"no files match {shown}")
        out: list[Prompt] = []
        for m in matches:
            out.extend(_load_file(Path(m), None, config, base_dir, file, where, _display(Path(m), base_dir)))
        return out
    prompts = _load_file(target, label, config, base_dir, file, where, shown)
    if not prompts:
        raise SuiteError(file, where, f"there are no prompts in {shown}")
    return prompts


def load_prompts(value: Any, base_dir: Path, file: str | None, warnings: list[str]) -> list[Prompt]:
    """Parse the `prompts:` value of a suite."""
    if value is None:  # promptfoo's default prompt: each test's `prompt` var
        return [_finish(Prompt(raw=DEFAULT_PROMPT, label=DEFAULT_PROMPT))]
    items: list[tuple[str, Any]]
    if isinstance(value, str):
        items = [("prompts", value)]
    elif isinstance(value, list):
        items = [(f"prompts[{i}]", v) for i, v in enumerate(value)]
    elif isinstance(value, dict):
        # promptfoo's map form: {raw_or_path: label}
        items = [(f"prompts.{k}", {"raw": k, "label": v}) for k, v in value.items()]
    else:
        raise SuiteError(file, "prompts", f"must be a list, got {type_name(value)}")
    if not items:
        raise SuiteError(file, "prompts", "is empty")
    out: list[Prompt] = []
    for where, item in items:
        out.extend(_one(item, base_dir, file, where, warnings))
    return out


def _one(item: Any, base_dir: Path, file: str | None, where: str, warnings: list[str]) -> list[Prompt]:
    raw_text = item if isinstance(item, str) else item.get("raw") or item.get("id") if isinstance(item, dict) else None
    if isinstance(raw_text, str) and raw_text.startswith(PROMPTFOO_ONLY_PROMPT_SCHEMES):
        scheme = raw_text.split("://", 1)[0]
        warnings.append(
            f"{where}: {scheme}:// prompts are a promptfoo feature workbench does not implement"
            " (the text is used as a literal prompt)"
        )
    if isinstance(item, str):
        ref = _function_ref(item)
        if ref:
            return [_load_function(ref, None, {}, base_dir, file, where)]
        if _is_file_ref(item, base_dir):
            return _expand(item, None, {}, base_dir, file, where)
        return [_finish(Prompt(raw=item, label=item))]
    if not isinstance(item, dict):
        raise SuiteError(file, where, f"must be a string or a mapping with 'raw', got {type_name(item)}")
    check_keys(item, where, PROMPT_KEYS, warnings)
    raw = item.get("raw") or item.get("id")
    label = item.get("label")
    pid = item.get("id")
    config = item.get("config") or {}
    if not isinstance(raw, str):
        if raw is None:
            raise SuiteError(file, where, "'raw' is required (or 'id' naming a file)")
        raise SuiteError(file, f"{where}.raw", f"must be a string, got {type_name(raw)}")
    if label is not None and not isinstance(label, str):
        raise SuiteError(file, f"{where}.label", f"must be a string, got {type_name(label)}")
    if not isinstance(config, dict):
        raise SuiteError(file, f"{where}.config", f"must be a mapping, got {type_name(config)}")
    ref = _function_ref(raw)
    if ref:
        fprompt = _load_function(ref, label, config, base_dir, file, where)
        fprompt.id = None if pid is None else str(pid)
        return [fprompt]
    if _is_file_ref(raw, base_dir):
        prompts = _expand(raw, label, config, base_dir, file, where)
        if pid is not None and len(prompts) == 1:
            prompts[0].id = str(pid)
        return prompts
    return [_finish(Prompt(raw=raw, label=label if label is not None else raw, id=pid, config=dict(config)))]
