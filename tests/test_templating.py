"""Nunjucks-compatible rendering (QUIRKS 9-12) and JavaScript value printing."""

from __future__ import annotations

import time

import pytest

from workbench.jsjson import js_json, js_number_str, js_str
from workbench.render.templating import TemplateError, render, render_vars


@pytest.mark.parametrize(
    ("template", "vars", "expected"),
    [
        ("{{ missing }}|{{ missing.attr.deeper }}|{{ obj.nope }}", {"obj": {}}, "||"),
        ("{{ flag }} {{ off }} {{ none }}", {"flag": True, "off": False, "none": None}, "true false "),
        ("{{ n }} {{ f }} {{ big }}", {"n": 1.0, "f": 0.1 + 0.2, "big": 1e21}, "1 0.30000000000000004 1e+21"),
        ("{{ items }}|{{ obj }}", {"items": [1, "a", None, [2, 3]], "obj": {"a": 1}}, "1,a,,2,3|[object Object]"),
        ("{% if items %}yes{% else %}no{% endif %}", {"items": []}, "yes"),
        ("{% if obj %}yes{% else %}no{% endif %}", {"obj": {}}, "yes"),
        ("{% if s %}yes{% else %}no{% endif %}", {"s": ""}, "no"),
        ("{{ x is defined }}-{{ y is defined }}", {"x": None}, "true-false"),
        ("{{ 'o\\'neil-smith new york' | title }}", {}, "O'neil-smith New York"),
        ("{{ 'hELLO wORLD' | capitalize }}", {}, "Hello world"),
        ("{{ v | default('d') }}|{{ e | default('d') }}|{{ u | default('d') }}", {"v": None, "e": ""}, "||d"),
        ("{{ e | default('d', true) }}", {"e": ""}, "d"),
        ("{{ obj | dump }}", {"obj": {"a": [1, 2.0, True, None], "b": "é"}}, '{"a":[1,2,true,null],"b":"é"}'),
        ("{{ s | load | first }}", {"s": '["q", "r"]'}, "q"),
        ("{{ items | join(', ') }} ({{ items | length }})", {"items": ["x", "y"]}, "x, y (2)"),
        ("{{ '12abc' | int }} {{ 3.9 | int }} {{ 'x' | int }}", {}, "12 3 0"),
        ("{{ '2.5' | float + 1 }}", {}, "3.5"),
        ("{{ 2.345 | round(2) }} {{ 2.5 | round }}", {}, "2.35 3"),
        ("{{ ' a ' | trim }}|{{ 'ab' | upper }}|{{ 'straße' | upper }}", {}, "a|AB|STRASSE"),
        ("{{ 'a-b-c' | replace('-', '+') }}", {}, "a+b+c"),
        ("{{ n / 2 }} {{ (n / 2) | int }} {{ n * n }} {{ n - 1 }} {{ n % 4 }}", {"n": 7}, "3.5 3 49 6 3"),
        ("{{ n / 2 }} {{ n * n }}", {"n": "4"}, "2 16"),
        ("{{ 'a' + 1 }} {{ 1 + 2 }} {{ 1 / 0 }}", {}, "a1 3 Infinity"),
        (
            "{% for i in items %}[{{ loop.index }}:{{ i }}{% if loop.last %}*{% endif %}]{% endfor %}",
            {"items": ["a", "b"]},
            "[1:a][2:b*]",
        ),
        ("{% for i in missing %}x{% endfor %}done", {}, "done"),
        ("{{ s.length }} {{ items.length }}", {"s": "abc", "items": [1, 2]}, "3 2"),
        ("a  {%- if true %} b {% endif -%}  c", {}, "a b c"),
        ("{% raw %}{{ literal }}{% endraw %}", {}, "{{ literal }}"),
        ("x{# comment #}y", {}, "xy"),
        ("<b>{{ html }}</b>", {"html": "<i>&amp;</i>"}, "<b><i>&amp;</i></b>"),
        ("line\n", {}, "line\n"),
        ("no braces at all", {}, "no braces at all"),
    ],
)
def test_render(template: str, vars: dict[str, object], expected: str) -> None:
    assert render(template, vars) == expected


@pytest.mark.parametrize(
    "template",
    ["{{ items | join(', ') }}", "{% if %}", "{{ x | nosuchfilter }}", "{{ 'x' | load }}", "{% for %}"],
)
def test_render_errors(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, {"items": "ab"})


def test_render_vars_quirks() -> None:
    out = render_vars(
        {"a": "line\n\n", "b": "{{ c }} there", "c": "yo", "d": "{{ nobody }}", "n": 3, "e": "{{ 1 + 1 }}"}
    )
    assert out["a"] == "line\n"  # exactly one trailing newline removed
    assert out["b"] == "yo there"  # rendered with the other vars
    assert out["d"] == "{{ nobody }}"  # references an undefined var: stays raw
    assert out["n"] == 3
    assert out["e"] == "2"


def test_js_number_and_json() -> None:
    assert [js_number_str(x) for x in (1.0, 1e-7, 123456789012345680000.0, 1.5e300, -0.0, 0.000001)] == [
        "1",
        "1e-7",
        "123456789012345680000",
        "1.5e+300",
        "0",
        "0.000001",
    ]
    assert (
        js_json([{"role": "user", "content": 'a"b'}], 2)
        == '[\n  {\n    "role": "user",\n    "content": "a\\"b"\n  }\n]'
    )
    assert js_json({"a": [], "b": {}, "c": float("nan")}) == '{"a":[],"b":{},"c":null}'
    assert js_str([[1, 2], {"k": 1}, True]) == "1,2,[object Object],true"


def test_render_5000_cells_fast() -> None:
    template = "Summarize ticket {{ id }} for {{ customer | upper }}:\n{{ body }}\n{% if urgent %}URGENT{% endif %}"
    rows = [{"id": i, "customer": f"c{i}", "body": "text " * 50, "urgent": i % 2 == 0} for i in range(5000)]
    start = time.perf_counter()
    for vars in rows:
        render(template, render_vars(vars))
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"5,000 renders took {elapsed:.2f}s"


# -- the plain-template fast path (text and bare `{{ name }}` outputs, no jinja2 context) --------

_PLAIN_VALUES = {
    "s": "text with {{ braces }} and\nnewlines",
    "n": 1.0,
    "big": 12345678901234567890,
    "f": 0.1,
    "t": True,
    "none": None,
    "lst": [1, None, "a", [2, 3]],
    "obj": {"a": 1},
    "empty": "",
    "self": "a var named self",
}


@pytest.mark.parametrize(
    "template",
    [
        "{{s}}",
        "Answer briefly: {{ s }}!",
        "{{n}}/{{big}}/{{f}}/{{t}}/{{none}}/{{lst}}/{{obj}}/{{empty}}",
        "a\r\nb {{ s }}\r\n",  # jinja2 normalizes the template's newlines
        "{{- s -}}  {{ n }}\n",  # whitespace control
        "{# comment #}{{ s }}{% raw %}{{ kept }}{% endraw %}",
        "{{ true }} {{ none }}",  # `true` is a literal, `none` one too: not the var named none
        "{{ range }}",  # a jinja2 global, not a var
        "{{ self }}",  # jinja2's own reference to the template, whatever the vars hold
        "{{ missing }} x",  # undefined: renders empty
        "{{ s | upper }}",  # a filter
        "{{ obj.a }} {{ lst[0] }}",  # attribute and item access
        "{% if t %}{{ s }}{% endif %}",
    ],
)
def test_plain_fast_path_prints_what_the_compiled_template_prints(template: str) -> None:
    import workbench.render.templating as templating

    expected = templating._compile(template).render({k: templating._wrap(v) for k, v in _PLAIN_VALUES.items()})
    assert render(template, _PLAIN_VALUES) == expected


def test_plain_fast_path_is_taken_only_for_text_and_bare_names() -> None:
    import workbench.render.templating as templating

    assert templating._plain_parts("Q: {{ q }} / {{r}}") == ((False, "Q: "), (True, "q"), (False, " / "), (True, "r"))
    for template in ("{{ q | upper }}", "{{ q.a }}", "{% if q %}x{% endif %}", "{{ true }}", "{{ 'x' }}", "{{ q"):
        assert templating._plain_parts(template) is None, template
