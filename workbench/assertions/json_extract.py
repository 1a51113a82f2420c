"""JSON objects in free text, found the way promptfoo's extractJsonObjects finds them.

One implementation for every caller: contains-json (assertions/jsonish.py) and the model graders'
answers (llm-rubric, g-eval, factuality... in assertions/model_graded.py), as in promptfoo, where
both call src/util/json.ts extractJsonObjects. From each `{`, the text grows brace by brace (not
string-aware: a `}` inside a string closes the count), an unbalanced candidate at the end of the
text or at 100,000 characters is auto-closed, `//` comments become `#` (quote-aware, URLs kept),
and the candidate is parsed as YAML 1.2 (js-yaml's `json: true`): unquoted keys, single quotes,
trailing commas and comments pass (QUIRKS 18). The first candidate from a `{` that parses is kept
and the search resumes after it.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.suite.yaml12 import load_yaml

_LETTER = re.compile(r"[a-zA-Z]")


def convert_slash_comments(text: str) -> str:
    """promptfoo's convertSlashCommentsToHash (per line, quote-aware, URLs kept)."""
    out_lines = []
    for line in text.split("\n"):
        state = "normal"
        result: list[str] = []
        i = 0
        done = False
        while i < len(line):
            ch = line[i]
            nxt = line[i + 1] if i + 1 < len(line) else ""
            prev = line[i - 1] if i > 0 else ""
            if state == "normal":
                if ch == "'" and not _LETTER.match(prev):
                    state = "single"
                    result.append(ch)
                elif ch == '"':
                    state = "double"
                    result.append(ch)
                elif ch == "/" and nxt == "/":
                    start = 0
                    for j in range(i - 1, -1, -1):
                        if line[j].isspace():
                            start = j + 1
                            break
                    if "://" in line[start : i + 2]:
                        result.append(ch)
                    else:
                        count = 2
                        while i + count < len(line) and line[i + count] == "/":
                            count += 1
                        out_lines.append("".join(result) + "#" * (count // 2) + line[i + count :])
                        done = True
                        break
                else:
                    result.append(ch)
            elif state == "single":
                result.append(ch)
                if ch == "'" and not _escaped(line, i) and not _LETTER.match(nxt):
                    state = "normal"
            else:
                result.append(ch)
                if ch == '"' and not _escaped(line, i):
                    state = "normal"
            i += 1
        if not done:
            out_lines.append("".join(result))
    return "\n".join(out_lines)


def _escaped(line: str, i: int) -> bool:
    n = 0
    j = i - 1
    while j >= 0 and line[j] == "\\":
        n += 1
        j -= 1
    return n % 2 == 1


def _parse_candidate(text: str) -> Any:
    return load_yaml(convert_slash_comments(text), json=True)


def extract_json_objects(s: str) -> list[Any]:
    """promptfoo's extractJsonObjects (src/util/json.ts), quirks included: braces are counted
    without regard to strings, so a `}` inside a string ends the candidate there."""
    found: list[Any] = []
    max_len = 100_000
    i = 0
    n = len(s)
    while i < n:
        if s[i] != "{":
            i += 1
            continue
        opens, closes = 1, 0
        j = i + 1
        limit = min(i + max_len, n)
        next_i = i + 1
        while j < limit and opens > closes:
            if s[j] == "{":
                opens += 1
            elif s[j] == "}":
                closes += 1
            j += 1
            if opens == closes or j == n or j == i + max_len:
                candidate = s[i:j] + "}" * max(0, opens - closes)
                try:
                    parsed = _parse_candidate(candidate)
                except Exception:
                    if opens == closes:
                        break
                    continue
                if isinstance(parsed, (dict, list)):
                    found.append(parsed)
                    next_i = j
                    break
        i = next_i
    return found
