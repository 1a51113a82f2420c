"""Secrets and exposure.

- A planted API key (env var and config `apiKey`) never reaches the database (cache table
  included), the outputs in every format, stdout/stderr, or what `workbench runs` prints;
  the UI reads only the database, so it cannot show it either.
- `--no-code-asserts` really refuses python/javascript assertions and transforms.
- The SQL of workbench/ui and workbench/analysis is parameterised: f-string SQL interpolates only
  reviewed identifiers/fragments, and hostile filter values are data, not SQL.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from fake_openai_server import FakeOpenAI
from reliability_helpers import ROOT, WB, query, wb_env

ENV_KEY = "sk-PLANTED-env-7f3a9c1e5b2d4680aa"
CFG_KEY = "sk-PLANTED-cfg-3b8e6d2a9f1c4757bb"
# A distinctive middle part: catches a key printed partly masked ("sk-PLANT****4680aa").
FRAGMENTS = [ENV_KEY, CFG_KEY, "7f3a9c1e5b2d", "3b8e6d2a9f1c", "PLANTED"]
OUTPUTS = ["out.json", "out.jsonl", "out.csv", "out.junit.xml", "out.yaml", "out.md"]


def _leaks(data: bytes) -> list[str]:
    return [f for f in FRAGMENTS if f.encode() in data]


@pytest.mark.slow
def test_planted_keys_reach_nothing_written(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    base = fake_openai.base_url
    fake_openai.queue({}, {"status": 401})  # one auth failure: its error message is stored too
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "prompts": ["Question {{n}}"],
                "providers": [
                    {
                        "id": "openai:chat:gpt-4o-mini",
                        "label": "cfg",
                        "config": {"apiBaseUrl": base, "apiKey": CFG_KEY},
                    },
                    {"id": "openai:chat:gpt-4o", "label": "env", "config": {"apiBaseUrl": base, "max_attempts": 1}},
                ],
                "tests": [{"vars": {"n": i}, "assert": [{"type": "contains", "value": "Question"}]} for i in range(4)],
            }
        )
    )
    db = tmp_path / "wb.db"
    env = wb_env(db, OPENAI_API_KEY=ENV_KEY, LITELLM_LOG="DEBUG")
    args = [str(suite), "--db", str(db), "--no-progress"]
    for out in OUTPUTS:
        args += ["-o", str(tmp_path / out)]
    proc = subprocess.run([*WB, *args], cwd=tmp_path, env=env, capture_output=True, timeout=180)
    assert proc.returncode in (0, 100), proc.stderr.decode()
    # The keys were really used (so the test is not vacuous): both reached the server.
    auth = {r["headers"].get("authorization") for r in fake_openai.requests}
    assert {f"Bearer {ENV_KEY}", f"Bearer {CFG_KEY}"} <= auth
    assert query(db, "select count(*) from cache") != [(0,)]
    assert query(db, "select count(*) from results where error is not null") == [(1,)]

    # A second run from the cache, and the read-only commands.
    again = subprocess.run([*WB, *args[:4]], cwd=tmp_path, env=env, capture_output=True, timeout=180)
    shown = [
        subprocess.run([*WB[:-1], *cmd], cwd=tmp_path, env=env, capture_output=True, timeout=120)
        for cmd in (["runs", "--db", str(db)], ["runs", "1", "--db", str(db)], ["runs", "--db", str(db), "--json"])
    ]
    assert all(p.returncode == 0 for p in shown), [p.stderr for p in shown]

    leaks = {}
    for name, data in {
        "stdout": proc.stdout + again.stdout + b"".join(p.stdout for p in shown),
        "stderr": proc.stderr + again.stderr + b"".join(p.stderr for p in shown),
    }.items():
        if _leaks(data):
            leaks[name] = _leaks(data)
    for f in sorted(tmp_path.rglob("*")):
        if f.is_file() and f.name != "suite.yaml" and _leaks(f.read_bytes()):
            leaks[str(f.relative_to(tmp_path))] = _leaks(f.read_bytes())
    assert leaks == {}
    assert (tmp_path / "wb.db").exists() and all((tmp_path / o).stat().st_size > 0 for o in OUTPUTS)
    # the stored provider config keeps the key's place, redacted
    assert query(db, "select config from run_providers where label = 'cfg'")[0][0].count("[redacted]") == 1


def test_cache_key_ignores_the_api_key() -> None:
    """Two keys, same request: one cache entry (and neither key in the key's input)."""
    from workbench.providers.resolution import resolve
    from workbench.providers.response_cache import cache_key, identity_of
    from workbench.types import ProviderRequest, ProviderSpec

    req = ProviderRequest(prompt="hi", messages=[{"role": "user", "content": "hi"}])
    a = resolve(ProviderSpec("openai:chat:gpt-4o-mini", config={"apiKey": ENV_KEY}))
    b = resolve(ProviderSpec("openai:chat:gpt-4o-mini", config={"apiKey": CFG_KEY}))
    assert cache_key(a, req) == cache_key(b, req)
    assert not _leaks(repr(identity_of(a, req)).encode())


CODE_SUITE = {
    "prompts": ["hello {{n}}"],
    "providers": [{"id": "echo"}],
    "tests": [
        {"vars": {"n": 1}, "assert": [{"type": "python", "value": "open('PWNED-py', 'w').close() or True"}]},
        {"vars": {"n": 2}, "assert": [{"type": "javascript", "value": "output.length > 0"}]},
        {
            "vars": {"n": 3},
            "options": {"transform": "output.toUpperCase()"},
            "assert": [{"type": "contains", "value": "H"}],
        },
        {"vars": {"n": 4}, "assert": [{"type": "contains", "value": "hello"}]},
    ],
}


def test_no_code_asserts_refuses_python_javascript_and_transforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from workbench.cli.main import cli

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(CODE_SUITE))
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "code.db"
    res = CliRunner().invoke(cli, ["run", "s.yaml", "--db", str(db), "-q", "--no-code-asserts"])
    assert res.exit_code == 100, res.stderr
    rows = query(db, "select test_idx, success, error from results order by test_idx")
    assert [r[1] for r in rows] == [0, 0, 0, 1]  # only the plain assertion passes
    reasons = [r[2] or "" for r in rows[:3]] + [
        " ".join(x for (x,) in query(db, "select reason from assertion_results where result_id = ?", [i]))
        for i in (1, 2, 3)
    ]
    joined = " ".join(reasons).lower()
    assert joined.count("--no-code-asserts") >= 3 or joined.count("disabled") >= 3, reasons
    assert not (tmp_path / "PWNED-py").exists()  # the python never ran
    # Without the flag the same suite runs its code (trusted config).
    res = CliRunner().invoke(cli, ["run", "s.yaml", "--db", str(db), "-q"])
    assert query(db, "select count(*) from results where run_id = 2 and success = 1") == [(4,)], res.stderr
    assert (tmp_path / "PWNED-py").exists()


# -- SQL of the UI and the analysis layer -----------------------------------------------------

SQL_RE = re.compile(
    r"^\s*(select|insert|update|delete|create|drop|with|pragma|alter)\b|\b(from|where|order by|group by|values)\b", re.I
)
# Reviewed: each interpolates a constant SQL fragment, a column chosen from a fixed mapping, a temp
# table name made by the code, a `?, ?, ?` placeholder list, or a WHERE clause built only of
# constant fragments with `?` parameters. User values are always bound parameters.
REVIEWED = {
    "names[0]", "names[1]", "names[2]", "name", "uc", "per", "where", "joined", "cond", "order", "pair_join",
    "column", "marks", "sql", "expr", "placeholders(run_ids)", "JOINED.format(base=names[0], head=names[1])",
    "names[3]", "JOINED.format(**tables)", "tables['head']",
}  # fmt: skip


def _sql_interpolations(root: Path) -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if SQL_RE.search(text):
                    for v in node.values:
                        if isinstance(v, ast.FormattedValue):
                            out.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(v.value)))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant)
                and isinstance(node.func.value.value, str)
                and SQL_RE.search(node.func.value.value)
            ):
                for kw in node.keywords:
                    out.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(kw.value)))
    return out


def test_ui_and_analysis_sql_interpolates_only_reviewed_fragments() -> None:
    found = _sql_interpolations(ROOT / "workbench" / "ui") + _sql_interpolations(ROOT / "workbench" / "analysis")
    unreviewed = [
        f
        for f in found
        if f[2] not in REVIEWED and not re.fullmatch(r"[A-Z][A-Z0-9_]*(\.[A-Z][A-Z0-9_]*)?", f[2].split(".")[-1])
    ]
    assert unreviewed == [], "SQL built from values: bind them as ? parameters, or review and add here"


HOSTILE = ["x' or '1'='1", "'); drop table results; --", '" or 1=1 --', "%' union select * from runs --"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_are_data(tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from workbench.analysis import guardrails, matrix
    from workbench.cli.main import cli
    from workbench.errors import UsageError
    from workbench.store.db import open_db

    (tmp_path / "s.yaml").write_text(yaml.safe_dump({**CODE_SUITE, "tests": CODE_SUITE["tests"][3:]}))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["run", "s.yaml", "--db", "h.db", "-q"])
    assert res.exit_code == 0, res.stderr
    db = open_db(tmp_path / "h.db")
    try:
        page = matrix.matrix_page(db, 1, matrix.MatrixFilters(search=value))
        assert page.total == 0
    except UsageError:  # not a valid regular expression: refused, not executed
        pass
    total, failures = guardrails.guardrail_failures(db, 1, metric=value, prompt=value, model=value)
    assert (total, failures) == (0, [])
    assert query(tmp_path / "h.db", "select count(*) from results") == [(1,)]


def test_redactor_row_redacts_a_secret_in_any_string_column_and_leaves_others() -> None:
    """Redactor.row checks a row with one search over its strings joined; a secret in any column
    (a str subclass too), alone or mid-text, is still redacted, and non-strings pass unchanged."""
    from workbench.secrets import REDACTED, Redactor

    class Text(str):
        pass

    red = Redactor([{"apiKey": "sk-row-SECRET-0123"}])
    clean = (1, "prompt text", None, 2.5, "output")
    assert red.row(*clean) == clean
    row = red.row(7, "a", Text("said sk-row-SECRET-0123 twice: sk-row-SECRET-0123"), 3.0, None, "b")
    assert row == (7, "a", f"said {REDACTED} twice: {REDACTED}", 3.0, None, "b")
    assert red.row("sk-row-SECRET-0123") == (REDACTED,)
    # the join's separator never makes a match across two columns
    assert red.row("sk-row-SECRET", "-0123") == ("sk-row-SECRET", "-0123")
