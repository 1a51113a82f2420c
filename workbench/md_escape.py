"""Untrusted text (suite descriptions, labels, vars, provider errors, outputs) in Markdown and HTML.

A report is read in a pull request or a browser, so text that came from a suite or a model must
stay text: no `<img>` that loads, no `<script>`, no `<!--` that hides the rest of the comment, no
`![](...)` image, no `**` or `#` that restyles the page, no `|` that breaks a table, no newline
that starts a new block. Outputs go in fenced blocks (report/markdown.fenced); everything else
through these helpers. A foundation module (stdlib only): the UI pages escape with it without
loading the report writers (`workbench.report` imports every format's, ~0.07 s of a new server's CPU).
"""

from __future__ import annotations

import html
import re
from typing import Any

# The punctuation that opens inline markup (emphasis, code, links and images through `[`,
# strikethrough, table cells); `<`, `>`, `&` become entities. Untrusted text never starts a line
# here, so `-`, `+`, `#`, `=` cannot open a list or a heading.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def one_line(text: Any) -> str:
    """Control characters and newlines become spaces (a new line could start a new block)."""
    s = "" if text is None else str(text)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in s).split())


def md(text: Any) -> str:
    """Inline Markdown that renders as exactly `text`: HTML entities for & < > and a backslash
    before every Markdown punctuation character (pipes included, so it is safe in a table)."""
    s = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: Any) -> str:
    """A code span (nothing inside is markup): its backtick fence is longer than any run inside."""
    s = one_line(text)
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def html_text(text: Any) -> str:
    """Text inside HTML (a <summary>, a table cell of the HTML report): every special escaped."""
    return html.escape("" if text is None else str(text), quote=True)


_MD_IN_HTML = {c: f"&#{ord(c)};" for c in "!*_`[]|~\\"}


def html_in_md(text: Any) -> str:
    """Text inside an HTML element of a Markdown document (a <summary>): HTML-escaped, and every
    Markdown punctuation character as a numeric entity, so no renderer turns it into markup."""
    return "".join(_MD_IN_HTML.get(ch, ch) for ch in html_text(one_line(text)))
