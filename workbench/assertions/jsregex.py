"""`new RegExp(source)` (no flags, non-unicode mode) on top of Python's `re`.

The JS source is translated token by token into an equivalent Python pattern, or rejected with
the SyntaxError JavaScript would raise (QUIRKS 17): `$` is end of input only, `\\d \\w \\b` are
ASCII, `\\s` is JavaScript's Unicode whitespace set, `.` excludes JS line terminators and matches
one UTF-16 code unit (subjects and pattern literals outside the BMP are split into surrogates),
unknown escapes such as `\\p` `\\Z` `\\A` are literal letters, `{,3}` and other non-quantifier
braces are literal, `(?i)` / `(?P<n>)` / `(?>` / possessive quantifiers are syntax errors, and
`(?<name>)` / `\\k<name>` are named groups. Variable-length lookbehind (valid in JS) falls back to
the `regex` module. Compiled patterns are cached.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

JS_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_CLASS_ESC = {
    "d": "0-9",
    "w": "A-Za-z0-9_",
    "s": JS_SPACE,
}
_OUT_ESC = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "s": f"[{JS_SPACE}]",
    "S": f"[^{JS_SPACE}]",
    "b": r"\b",
    "B": r"\B",
}
_CTRL = {"t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c", "r": "\r"}
_QUANT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class JsRegexError(ValueError):
    """What `new RegExp(source)` throws: `Invalid regular expression: /src/: message`."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"Invalid regular expression: /{source}/: {message}")


def to_utf16_units(s: str) -> str:
    """Replace each astral character by its two surrogate code units (JS string semantics)."""
    if s.isascii() or not _ASTRAL.search(s):
        return s
    return _ASTRAL.sub(lambda m: _surrogates(m.group(0)), s)


def _surrogates(ch: str) -> str:
    c = ord(ch) - 0x10000
    return chr(0xD800 + (c >> 10)) + chr(0xDC00 + (c & 0x3FF))


def _lit(ch: str) -> str:
    return re.escape(to_utf16_units(ch))


def _count_groups(src: str) -> tuple[int, bool]:
    n = 0
    named = False
    i = 0
    in_class = False
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
        elif c == "(":
            if not src.startswith("?", i + 1):
                n += 1
            elif src.startswith("?<", i + 1) and not src.startswith(("?<=", "?<!"), i + 1):
                n += 1
                named = True
        i += 1
    return n, named


class _Translator:
    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.out: list[str] = []
        self.groups, self.named = _count_groups(src)
        self.depth = 0
        self.can_quantify = False  # is the previous token an atom that may take a quantifier
        self.after_quant = False

    def error(self, msg: str) -> JsRegexError:
        return JsRegexError(self.src, msg)

    def run(self) -> str:
        src = self.src
        while self.i < len(src):
            c = src[self.i]
            if c == "\\":
                self._escape()
            elif c == "[":
                self._class()
            elif c == "(":
                self._group_open()
            elif c == ")":
                if self.depth == 0:
                    raise self.error("Unmatched ')'")
                self.depth -= 1
                self.out.append(")")
                self.i += 1
                self._atom_done()
            elif c in "*+?":
                self._quant(c)
            elif c == "{":
                m = _QUANT_RE.match(src, self.i)
                if m:
                    if m.group(3) and int(m.group(3)) < int(m.group(1)):
                        raise self.error("numbers out of order in {} quantifier")
                    self._quant(m.group(0))
                else:
                    self._emit_atom(r"\{")
                    self.i += 1
            elif c == "}":
                self._emit_atom(r"\}")
                self.i += 1
            elif c == "]":
                self._emit_atom(r"\]")
                self.i += 1
            elif c == "|":
                self.out.append("|")
                self.i += 1
                self.can_quantify = False
                self.after_quant = False
            elif c == "^":
                self.out.append("^")
                self.i += 1
                self.can_quantify = False
                self.after_quant = False
            elif c == "$":
                self.out.append(r"\Z")
                self.i += 1
                self.can_quantify = False
                self.after_quant = False
            elif c == ".":
                self._emit_atom("[^\\n\\r\\u2028\\u2029]")
                self.i += 1
            else:
                self._emit_atom(_lit(c))
                self.i += 1
        if self.depth:
            raise self.error("Unterminated group")
        return "".join(self.out)

    def _atom_done(self) -> None:
        self.can_quantify = True
        self.after_quant = False

    def _emit_atom(self, text: str) -> None:
        self.out.append(text)
        self._atom_done()

    def _quant(self, q: str) -> None:
        if not self.can_quantify:
            raise self.error("Nothing to repeat")
        self.i += len(q)
        lazy = self.i < len(self.src) and self.src[self.i] == "?"
        if lazy:
            self.i += 1
        self.out.append(q + ("?" if lazy else ""))
        self.can_quantify = False
        self.after_quant = True

    def _group_open(self) -> None:
        src, i = self.src, self.i
        if src.startswith("(?", i):
            rest = src[i + 2 : i + 4]
            if rest[:1] in (":", "=", "!"):
                self.out.append(src[i : i + 3])
                self.i = i + 3
            elif rest in ("<=", "<!"):
                self.out.append(src[i : i + 4])
                self.i = i + 4
            elif rest[:1] == "<":
                m = re.compile(r"\(\?<([A-Za-z_$][A-Za-z0-9_$]*)>").match(src, i)
                if not m:
                    raise self.error("Invalid capture group name")
                self.out.append(f"(?P<{m.group(1).replace('$', '_S_')}>")
                self.i = m.end()
            else:
                raise self.error("Invalid group")
        else:
            self.out.append("(")
            self.i = i + 1
        self.depth += 1
        self.can_quantify = False
        self.after_quant = False

    def _escape(self) -> None:
        src = self.src
        if self.i + 1 >= len(src):
            raise self.error("\\ at end of pattern")
        c = src[self.i + 1]
        self.i += 2
        if c in _OUT_ESC:
            self.out.append(_OUT_ESC[c])
            if c in "bB":
                self.can_quantify = False
                self.after_quant = False
            else:
                self._atom_done()
            return
        if c.isdigit():
            if c == "0" and not (self.i < len(src) and src[self.i].isdigit()):
                self._emit_atom(r"\x00")
                return
            m = re.compile(r"\d+").match(src, self.i - 1)
            assert m is not None
            num = int(m.group(0))
            if c != "0" and num <= self.groups:
                self.i = m.end()
                self._emit_atom(f"(?:\\{num})")
                return
            # legacy octal escape (up to 3 octal digits, value <= 0o377), else a literal digit
            om = re.compile(r"[0-7]{1,3}").match(src, self.i - 1)
            if om:
                digits = om.group(0)
                if int(digits, 8) > 0o377:
                    digits = digits[:2]
                self.i = self.i - 1 + len(digits)
                self._emit_atom(re.escape(chr(int(digits, 8))))
            else:
                self._emit_atom(re.escape(c))
            return
        self._emit_atom(self._char_escape(c, in_class=False))

    def _char_escape(self, c: str, in_class: bool) -> str:
        """Escapes that denote one character (shared by atoms and class members)."""
        src = self.src
        if c in _CTRL:
            return re.escape(_CTRL[c])
        if c == "x":
            m = _HEX2.match(src, self.i)
            if m:
                self.i = m.end()
                return re.escape(chr(int(m.group(0), 16)))
            return "x"
        if c == "u":
            m = _HEX4.match(src, self.i)
            if m:
                self.i = m.end()
                return re.escape(chr(int(m.group(0), 16)))
            return "u"
        if c == "c":
            if self.i < len(src) and src[self.i].isascii() and src[self.i].isalpha():
                ch = src[self.i]
                self.i += 1
                return re.escape(chr(ord(ch) % 32))
            self.i -= 1  # `\c` not followed by a letter is a literal backslash
            return r"\\"
        if c == "k" and self.named and not in_class:
            m = re.compile(r"<([A-Za-z_$][A-Za-z0-9_$]*)>").match(src, self.i)
            if not m:
                raise self.error("Invalid named reference")
            self.i = m.end()
            return f"(?P={m.group(1).replace('$', '_S_')})"
        return _lit(c)  # identity escape: \p -> p, \Z -> Z, \/ -> /

    def _class(self) -> None:
        src = self.src
        i = self.i + 1
        negate = i < len(src) and src[i] == "^"
        if negate:
            i += 1
        if i < len(src) and src[i] == "]":  # [] matches nothing, [^] matches anything
            self.i = i + 1
            self._emit_atom(r"[\s\S]" if negate else "(?!)")
            return
        parts: list[str] = []
        prev_single: int | None = None  # code point of the last single char (for range checks)
        pending_range = False
        self.i = i
        while True:
            if self.i >= len(src):
                raise self.error("Unterminated character class")
            c = src[self.i]
            if c == "]":
                self.i += 1
                break
            single: int | None = None
            if c == "\\":
                if self.i + 1 >= len(src):
                    raise self.error("\\ at end of pattern")
                e = src[self.i + 1]
                self.i += 2
                if e in _CLASS_ESC:
                    text = _CLASS_ESC[e]
                elif e in "DWS":
                    text = {"D": r"\D", "W": r"\W", "S": r"\S"}[e]  # ASCII flag makes these JS-like
                elif e == "b":
                    text = r"\x08"
                    single = 8
                elif e == "-":
                    text = r"\-"
                    single = ord("-")
                elif e.isdigit():
                    om = re.compile(r"[0-7]{1,3}").match(src, self.i - 1)
                    if om:
                        self.i = self.i - 1 + len(om.group(0))
                        single = int(om.group(0), 8)
                    else:
                        single = ord(e)
                    text = re.escape(chr(single))
                else:
                    before = self.i
                    text = self._char_escape(e, in_class=True)
                    if text == r"\\" and self.i < before:  # `\c` literal inside a class
                        self.i = before
                        text = r"\\c"
                    else:
                        raw = re.sub(r"\\(.)", r"\1", text)
                        single = ord(raw) if len(raw) == 1 else None
            else:
                self.i += 1
                units = to_utf16_units(c)
                text = "".join("\\" + u if u in "\\]^-[&~|" else u for u in units)
                single = ord(units[-1]) if len(units) == 1 else None
            if pending_range:
                pending_range = False
                if prev_single is None or single is None:
                    parts.append(r"\-" + text)  # annex B: a range with a class escape is a literal '-'
                elif single < prev_single:
                    raise self.error("Range out of order in character class")
                else:
                    parts.append("-" + text)
                prev_single = None
                continue
            if c == "-" and parts and self.i < len(src) and src[self.i] != "]":
                pending_range = True
                continue
            parts.append(text)
            prev_single = single
        body = "".join(parts)
        self._emit_atom(f"[{'^' if negate else ''}{body}]")


@lru_cache(maxsize=4096)
def compile_js_regex(source: str) -> Any:
    """Compile a JS regex source (no flags); raises JsRegexError like `new RegExp(source)`."""
    py = _Translator(source).run()
    try:
        return re.compile(py, re.ASCII)
    except re.error as e:
        if "look-behind" in str(e):
            import regex

            try:
                return regex.compile(py, regex.ASCII | regex.V0)
            except regex.error as e2:
                raise JsRegexError(source, str(e2)) from e2
        raise JsRegexError(source, str(e)) from e


def js_regex_test(source: str, subject: str) -> bool:
    """`new RegExp(source).test(subject)`."""
    return compile_js_regex(source).search(to_utf16_units(subject)) is not None
