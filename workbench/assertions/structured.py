"""is-xml / contains-xml, is-html / contains-html, is-sql / contains-sql.

XML well-formedness comes from lxml, required elements are looked up in a fast-xml-parser-like
object view (`root.child.grandchild`, numeric steps index repeated elements). HTML follows
promptfoo's validateHtml (parse5) with the stdlib HTMLParser: recognised elements required,
top-level text only inside a literal `<body>`; contains-html is promptfoo's indicator count.
SQL is parsed by sqlglot in the `databaseType` dialect (MySQL by default), plus promptfoo's
node-sql-parser heuristics (missing comma, odd backticks, generate_series / `::` casts under
MySQL); allowedTables / allowedColumns are node-sql-parser style `type::table::name` regexes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.strings import PASSED, binary, is_js_string, out_str
from workbench.errors import AssertionConfigError
from workbench.types import GradingResult

# -- XML ------------------------------------------------------------------------------------------


def _xml_obj(el: Any) -> Any:
    children = list(el)
    obj: dict[str, Any] = {f"@_{k}": v for k, v in el.attrib.items()}
    for child in children:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag.split("}")[-1] if child.tag.startswith("{") else child.tag
        val = _xml_obj(child)
        if tag in obj:
            obj[tag] = obj[tag] if isinstance(obj[tag], list) else [obj[tag]]
            obj[tag].append(val)
        else:
            obj[tag] = val
    if not obj:
        return (el.text or "").strip()
    if el.text and el.text.strip():
        obj["#text"] = el.text.strip()
    return obj


def _has_path(value: Any, path: list[str]) -> bool:
    cur = value
    for key in path:
        if isinstance(cur, list):
            if not key.isdigit() or int(key) >= len(cur):
                return False
            cur = cur[int(key)]
        elif isinstance(cur, dict):
            if key not in cur:
                return False
            cur = cur[key]
        else:
            return False
    return True


def validate_xml(text: str, required: list[str] | None) -> tuple[bool, str, bool]:
    """(valid, reason, well_formed)."""
    from lxml import etree

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        root = etree.fromstring(text.strip().encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError) as e:
        return False, f"XML parsing failed: {e}", False
    tag = root.tag.split("}")[-1] if isinstance(root.tag, str) else ""
    obj = {tag: _xml_obj(root)}
    missing = [r for r in (required or []) if not _has_path(obj, r.split("."))]
    if missing:
        return False, f"XML is missing required elements: {', '.join(missing)}", True
    return True, "XML is valid and contains all required elements", True


_TAG = re.compile(r"<(/?)([A-Za-z_:][\w:.\-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>")


def xml_candidates(text: str) -> list[tuple[int, int]]:
    stack: list[tuple[str, int]] = []
    found: list[tuple[int, int]] = []
    for m in _TAG.finditer(text):
        closing, name, _, self_closing = m.group(1), m.group(2), m.group(3), m.group(4)
        if closing:
            if stack and stack[-1][0] == name:
                _, start = stack.pop()
                found.append((start, m.end()))
            else:
                stack.clear()
        elif self_closing:
            found.append((m.start(), m.end()))
        else:
            stack.append((name, m.start()))
    # outermost first
    found.sort(key=lambda c: (c[0], -c[1]))
    return found


def contains_xml(text: str, required: list[str] | None) -> tuple[bool, str]:
    cands = xml_candidates(text)
    if not cands:
        return False, "No XML content found in the output"
    well_formed: list[tuple[int, int]] = []
    for start, end in cands:
        if any(start >= s and end <= e for s, e in well_formed):
            continue
        ok, reason, wf = validate_xml(text[start:end], required)
        if ok:
            return True, reason
        if wf:
            well_formed.append((start, end))
    return False, "No valid XML content found matching the requirements"


def _required(value: Any) -> list[str] | None:
    if is_js_string(value):
        return [e.strip() for e in value.split(",")]
    if isinstance(value, list) and value:
        return [str(e) for e in value]
    if isinstance(value, dict) and value:
        if isinstance(value.get("requiredElements"), list):
            return [str(e) for e in value["requiredElements"]]
        raise AssertionConfigError("xml assertion must contain a string, array value, or no value")
    return None


@inverse_aware
def handle_is_xml(ctx: AssertionContext) -> GradingResult:
    req = _required(ctx.value)
    ok, reason, _ = validate_xml(out_str(ctx), req)
    return binary(ctx, ok, reason)


@inverse_aware
def handle_contains_xml(ctx: AssertionContext) -> GradingResult:
    req = _required(ctx.value)
    ok, reason = contains_xml(out_str(ctx), req)
    return binary(ctx, ok, reason)


# -- HTML -----------------------------------------------------------------------------------------

VALID_HTML_ELEMENTS = frozenset(
    [
        "html",
        "head",
        "title",
        "base",
        "link",
        "meta",
        "style",
        "body",
        "article",
        "section",
        "nav",
        "aside",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "footer",
        "address",
        "p",
        "hr",
        "pre",
        "blockquote",
        "ol",
        "ul",
        "li",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "main",
        "div",
        "a",
        "em",
        "strong",
        "small",
        "s",
        "cite",
        "q",
        "dfn",
        "abbr",
        "ruby",
        "rt",
        "rp",
        "data",
        "time",
        "code",
        "var",
        "samp",
        "kbd",
        "sub",
        "sup",
        "i",
        "b",
        "u",
        "mark",
        "bdi",
        "bdo",
        "span",
        "br",
        "wbr",
        "img",
        "iframe",
        "embed",
        "object",
        "param",
        "picture",
        "source",
        "video",
        "audio",
        "track",
        "map",
        "area",
        "svg",
        "math",
        "script",
        "noscript",
        "canvas",
        "ins",
        "del",
        "table",
        "caption",
        "colgroup",
        "col",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "form",
        "label",
        "input",
        "button",
        "select",
        "datalist",
        "optgroup",
        "option",
        "textarea",
        "output",
        "progress",
        "meter",
        "fieldset",
        "legend",
        "details",
        "summary",
        "dialog",
        "menu",
        "slot",
        "template",
    ]
)
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_HEAD_ONLY = frozenset(["title", "base", "link", "meta", "style", "script", "noscript", "template"])


class _HtmlScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.top_text = False
        self.user_element = False
        self.literal_wrappers: set[str] = set()

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("html", "head", "body"):
            self.literal_wrappers.add(tag)
            return
        if tag in VALID_HTML_ELEMENTS or "-" in tag:
            self.user_element = True
        if tag not in _VOID:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if tag in ("html", "head", "body"):
            self.literal_wrappers.add(tag)
        elif tag in VALID_HTML_ELEMENTS or "-" in tag:
            self.user_element = True
        if tag not in _VOID and tag not in ("html", "head", "body"):
            pass

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("html", "head", "body") and tag not in _VOID and self.depth > 0:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0 and data.strip():
            self.top_text = True


def validate_html(text: str) -> tuple[bool, str]:
    t = text.strip()
    if not t:
        return False, "Output is empty"
    if re.match(r"^\s*<\?xml", t, re.I):
        return False, "Output appears to be XML, not HTML"
    scan = _HtmlScan()
    scan.feed(t)
    scan.close()
    if scan.top_text and "body" not in scan.literal_wrappers:
        return False, "Output must be wrapped in HTML tags"
    if not (scan.user_element or scan.literal_wrappers):
        return False, "Output does not contain recognized HTML elements"
    return True, "Output is valid HTML"


_HTML_PATTERNS = [
    re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:\s[^>]*)?/>"),
    re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);"),
]
_OPEN = re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:\s[^>]*)?>")
_CLOSE = re.compile(r"</[a-zA-Z][a-zA-Z0-9-]*\s*>")
_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.I)
_COMMENT = re.compile(r"<!--[^-]*(?:-[^-]+)*-->")
_ATTR = re.compile(r"\s[a-zA-Z-]+=\s*[\"'][^\"']*[\"']")
_KNOWN = re.compile(
    r"<(html|head|body|div|span|p|a|img|h[1-6]|ul|ol|li|table|tr|td|th|form|input|button|script|style|link|meta|br|hr)\b",
    re.I,
)


def contains_html(text: str) -> bool:
    if len(text) > 10 * 1024 * 1024:
        return False
    n = 0
    o, c = bool(_OPEN.search(text)), bool(_CLOSE.search(text))
    n += 2 if (o and c) else 1 if (o or c) else 0
    n += sum(1 for p in _HTML_PATTERNS if p.search(text))
    n += 2 if _DOCTYPE.search(text) else 0
    n += 1 if _COMMENT.search(text) else 0
    n += 1 if _ATTR.search(text) else 0
    n += 2 if _KNOWN.search(text) else 0
    return n >= 2


@inverse_aware
def handle_is_html(ctx: AssertionContext) -> GradingResult:
    ok, reason = validate_html(out_str(ctx))
    return binary(ctx, ok, reason)


@inverse_aware
def handle_contains_html(ctx: AssertionContext) -> GradingResult:
    return binary(
        ctx, contains_html(out_str(ctx)), f"Expected output to {'not ' if ctx.inverse else ''}contain HTML content"
    )


# -- SQL ------------------------------------------------------------------------------------------

_DIALECTS = {
    "mysql": "mysql", "mariadb": "mysql", "postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite",
    "transactsql": "tsql", "bigquery": "bigquery", "snowflake": "snowflake", "redshift": "redshift", "hive": "hive",
    "athena": "athena", "trino": "trino", "db2": None, "flinksql": None, "noql": None,
}  # fmt: skip
_IDENT = "[A-Za-z_][A-Za-z0-9_]*"
_STD_MOD = "(?:all|distinct)"
_MYSQL_MOD = "(?:all|distinct(?:row)?|high_priority|straight_join|sql_(?:big_result|buffer_result|cache|calc_found_rows|no_cache|small_result))"


def _missing_comma(mod: str) -> re.Pattern[str]:
    return re.compile(rf"\bselect\s+(?:{mod}\s+)*(?!{mod}\b){_IDENT}\s+{_IDENT}\s+from\b", re.I)


_MISSING_COMMA = {"std": _missing_comma(_STD_MOD), "mysql": _missing_comma(_MYSQL_MOD)}


def _strip_ignored(sql: str, brackets: bool) -> str:
    out: list[str] = []
    i = 0
    start = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        end = None
        repl = " "
        if c in "'\"`" or (c == "[" and brackets):
            close = "]" if c == "[" else c
            j = i + 1
            end = n
            while j < n:
                if close != "]" and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == close:
                    if j + 1 < n and sql[j + 1] == close:
                        j += 2
                        continue
                    end = j + 1
                    break
                j += 1
            repl = " ? "
        elif (c == "-" and sql[i + 1 : i + 2] == "-") or c == "#":
            end = i + 1
            while end < n and sql[end] not in "\r\n":
                end += 1
        elif c == "/" and sql[i + 1 : i + 2] == "*":
            k = sql.find("*/", i + 2)
            end = n if k == -1 else k + 2
        elif c == "$":
            m = re.match(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if m:
                k = sql.find(m.group(0), i + len(m.group(0)))
                end = n if k == -1 else k + len(m.group(0))
                repl = " ? "
        if end is None:
            i += 1
            continue
        out.append(sql[start:i])
        out.append(repl)
        i = end
        start = i
    out.append(sql[start:])
    return "".join(out)


def _parse_sql(sql: str, dialect: str | None) -> list[Any]:
    import sqlglot
    from sqlglot import exp

    stmts = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    stmts = [s for s in stmts if s is not None]
    if not stmts:
        raise ValueError("empty")
    for s in stmts:
        known = (
            exp.Query,
            exp.DML,
            exp.DDL,
            exp.Create,
            exp.Drop,
            exp.Insert,
            exp.Update,
            exp.Delete,
            exp.Merge,
            exp.Alter,
            exp.Use,
        )
        if isinstance(s, exp.Command) or not isinstance(s, known):
            raise ValueError(f"unsupported statement: {type(s).__name__}")
    return stmts


def _stmt_type(s: Any) -> str:
    from sqlglot import exp

    for cls, name in (
        (exp.Insert, "insert"),
        (exp.Update, "update"),
        (exp.Delete, "delete"),
        (exp.Create, "create"),
        (exp.Drop, "drop"),
        (exp.Alter, "alter"),
    ):
        if isinstance(s, cls):
            return name
    return "select"


def _table_list(stmts: list[Any]) -> list[str]:
    from sqlglot import exp

    out: list[str] = []
    for s in stmts:
        kind = _stmt_type(s)
        ctes = {c.alias for c in s.find_all(exp.CTE)}
        for t in s.find_all(exp.Table):
            if not t.name or t.name in ctes:
                continue
            entry = f"{kind}::{t.db or 'null'}::{t.name}"
            if entry not in out:
                out.append(entry)
    return out


def _column_list(stmts: list[Any]) -> list[str]:
    from sqlglot import exp

    out: list[str] = []
    for s in stmts:
        kind = _stmt_type(s)
        for c in s.find_all(exp.Column):
            entry = f"{kind}::{c.table or 'null'}::{c.name}"
            if entry not in out:
                out.append(entry)
        if kind == "select" and any(isinstance(e, exp.Star) for e in s.find_all(exp.Star)):
            entry = f"{kind}::null::(.*)"
            if entry not in out:
                out.append(entry)
    return out


def _whitelisted(entries: list[str], allowed: list[str]) -> bool:
    return all(any(re.fullmatch(p, e, re.I) for p in allowed) for e in entries)


def is_sql(text: str, value: Any) -> tuple[bool, str]:
    """(valid, failure reason) for the positive is-sql check."""
    db = "MySQL"
    tables = columns = None
    if value and isinstance(value, dict):
        db = value.get("databaseType") or "MySQL"
        tables, columns = value.get("allowedTables"), value.get("allowedColumns")
    elif value:
        raise AssertionConfigError("is-sql assertion must have a object value.")
    dialect = _DIALECTS.get(str(db).lower(), "mysql")
    syntax = f"SQL statement does not conform to the provided {db} database syntax."
    reasons: list[str] = []
    sql = text.strip()
    if not sql:
        reasons.append(syntax)
    if sql.count("`") % 2:
        reasons.append(syntax)
    stripped = _strip_ignored(sql, db in ("TransactSQL", "Sqlite"))
    mysql_family = db in ("MySQL", "MariaDB")
    if _MISSING_COMMA["mysql" if mysql_family else "std"].search(stripped):
        reasons.append(syntax)
    if db == "MySQL" and re.search(r"\bgenerate_series\s*\(", sql, re.I):
        reasons.append(syntax)
    if mysql_family and "::" in stripped:  # node-sql-parser's MySQL grammar has no `::` cast
        reasons.append(syntax)
    stmts: list[Any] = []
    try:
        stmts = _parse_sql(text, dialect)
    except Exception:
        reasons.append(syntax)
    if tables:
        found = _table_list(stmts) if stmts else []
        if not stmts or not _whitelisted(found, tables):
            reasons.append(
                f"SQL references unauthorized table(s). Found: [{', '.join(found)}]. Allowed: [{', '.join(tables)}]."
                if found
                else "SQL validation failed: authority check failed."
            )
    if columns:
        allowed = list(columns)
        for item in columns:
            parts = item.split("::")
            if len(parts) == 3 and parts[1] != "null":
                alt = f"{parts[0]}::null::{parts[2]}"
                if alt not in allowed:
                    allowed.append(alt)
        found = _column_list(stmts) if stmts else []
        if not stmts or not _whitelisted(found, allowed):
            reasons.append(
                f"SQL references unauthorized column(s). Found: [{', '.join(found)}]. Allowed: [{', '.join(columns)}]."
                if found
                else "SQL validation failed: authority check failed."
            )
    return (not reasons), " ".join(reasons)


@inverse_aware
def handle_is_sql(ctx: AssertionContext) -> GradingResult:
    ok, reason = is_sql(out_str(ctx), ctx.value)
    passed = ok != ctx.inverse
    if not passed and ctx.inverse:
        reason = reason or "The output SQL statement is valid"
    return GradingResult(passed, 1.0 if passed else 0.0, PASSED if passed else reason)


_FENCE_START = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\r\n]*)$")
_FENCE_END = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*$")


def sql_code_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    active: dict[str, Any] | None = None
    for line in re.split(r"\r\n?|\n", text):
        if active is None:
            m = _FENCE_START.match(line)
            if m:
                lang = m.group(2).strip().lower()
                active = {"body": [], "ch": m.group(1)[0], "len": len(m.group(1)), "sql": lang in ("", "sql")}
            continue
        m = _FENCE_END.match(line)
        if m and m.group(1)[0] == active["ch"] and len(m.group(1)) >= active["len"]:
            if active["sql"]:
                blocks.append("\n".join(active["body"]).strip())
            active = None
        else:
            active["body"].append(line)
    return blocks


@inverse_aware
def handle_contains_sql(ctx: AssertionContext) -> GradingResult:
    text = out_str(ctx)
    blocks = sql_code_blocks(text)
    cands = blocks or [text]
    reason = "Output does not contain valid SQL"
    found = False
    for c in cands:
        if not c.strip():
            continue
        ok, why = is_sql(c, ctx.value)
        if ok:
            found = True
            break
        reason = why
    passed = found != ctx.inverse
    return GradingResult(
        passed, 1.0 if passed else 0.0, PASSED if passed else ("The output SQL statement is valid" if found else reason)
    )
