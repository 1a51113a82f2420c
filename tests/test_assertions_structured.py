"""is-xml / contains-xml, is-html / contains-html, is-sql / contains-sql."""

from __future__ import annotations

import pytest
from assertion_helpers import grade, one

from workbench.errors import AssertionConfigError


@pytest.mark.parametrize(
    ("assertion", "output", "expected"),
    [
        ({"type": "is-xml"}, "<root><a>1</a></root>", (True, 1.0)),
        ({"type": "is-xml"}, "<root><a>1</root>", (False, 0.0)),
        ({"type": "is-xml"}, "plain text", (False, 0.0)),
        ({"type": "not-is-xml"}, "plain text", (True, 1.0)),
        ({"type": "is-xml", "value": "root.a"}, "<root><a>1</a></root>", (True, 1.0)),
        ({"type": "is-xml", "value": "root.b"}, "<root><a>1</a></root>", (False, 0.0)),
        ({"type": "is-xml", "value": {"requiredElements": ["root.a.1"]}}, "<root><a>1</a><a>2</a></root>", (True, 1.0)),
        ({"type": "contains-xml"}, "Here: <note><to>A</to></note> ok", (True, 1.0)),
        ({"type": "contains-xml", "value": ["note.to"]}, "Here: <note><to>A</to></note>", (True, 1.0)),
        ({"type": "contains-xml"}, "no xml at all", (False, 0.0)),
        ({"type": "not-contains-xml"}, "no xml at all", (True, 1.0)),
        ({"type": "is-html"}, "<div>Content</div>", (True, 1.0)),
        ({"type": "is-html"}, "<div>Unclosed div", (True, 1.0)),
        ({"type": "is-html"}, "Text before <div>x</div> after", (False, 0.0)),
        ({"type": "is-html"}, "<body>plain words</body>", (True, 1.0)),
        ({"type": "is-html"}, "<!-- just a comment -->", (False, 0.0)),
        ({"type": "is-html"}, "<foo>bar</foo>", (False, 0.0)),
        ({"type": "is-html"}, "<my-widget>hi</my-widget>", (True, 1.0)),
        ({"type": "is-html"}, '<?xml version="1.0"?><root/>', (False, 0.0)),
        ({"type": "not-is-html"}, "just text", (True, 1.0)),
        ({"type": "contains-html"}, 'Here: <div class="x">t</div>', (True, 1.0)),
        ({"type": "contains-html"}, "a < b and b > c", (False, 0.0)),
        ({"type": "contains-html"}, "Fish &amp; chips", (False, 0.0)),
        ({"type": "not-contains-html"}, "no markup", (True, 1.0)),
        ({"type": "is-sql"}, "SELECT id, name FROM users WHERE id = 1", (True, 1.0)),
        ({"type": "is-sql"}, "SELECT * FROM", (False, 0.0)),
        ({"type": "is-sql"}, "SELECT first_name last_name FROM users", (False, 0.0)),  # missing comma
        ({"type": "is-sql"}, "Here is the query: SELECT 1", (False, 0.0)),
        ({"type": "is-sql"}, "SELECT '1'::int", (False, 0.0)),
        ({"type": "is-sql", "value": {"databaseType": "PostgresQL"}}, "SELECT '1'::int", (True, 1.0)),
        ({"type": "not-is-sql"}, "not sql", (True, 1.0)),
        ({"type": "contains-sql"}, "Use:\n```sql\nSELECT id FROM users;\n```", (True, 1.0)),
        ({"type": "contains-sql"}, "```python\nSELECT 1\n```", (False, 0.0)),
        ({"type": "not-contains-sql"}, "```sql\nSELECT 1\n```", (False, 0.0)),
    ],
)
def test_structured(assertion: dict, output: str, expected: tuple[bool, float]) -> None:
    assert one(assertion, output) == expected


def test_sql_allowed_tables_and_columns() -> None:
    tables = {"allowedTables": ["(select|update|insert|delete)::null::departments"]}
    assert one({"type": "is-sql", "value": tables}, "SELECT name FROM departments") == (True, 1.0)
    assert one({"type": "is-sql", "value": tables}, "SELECT name FROM salaries") == (False, 0.0)
    cols = {"allowedColumns": ["select::null::name"]}
    assert one({"type": "is-sql", "value": cols}, "SELECT name FROM departments") == (True, 1.0)
    assert one({"type": "is-sql", "value": cols}, "SELECT name, budget FROM departments") == (False, 0.0)


def test_bad_values_error() -> None:
    with pytest.raises(AssertionConfigError):
        grade({"type": "is-sql", "value": "MySQL"}, "SELECT 1")
    with pytest.raises(AssertionConfigError):
        grade({"type": "is-xml", "value": {"other": 1}}, "<a/>")


def test_threshold_with_structured() -> None:
    r = grade([{"type": "is-xml"}, {"type": "is-html"}], "<div>x</div>", threshold=1)
    assert (r.pass_, r.score) == (True, 1.0)
