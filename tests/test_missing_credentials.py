"""A hosted provider without its API key is found before the run and skipped, never retried.

One line on stderr names it (`openai:gpt-4o-mini: OPENAI_API_KEY is not set; skipped`), its cells
are ERROR rows `skipped: ...` with 0 attempts, no request leaves the machine, and the summary
prints the reason with its count. Before, such a cell took 4 attempts and ~37 s.
"""

from __future__ import annotations

import time
from pathlib import Path

from reliability_helpers import WB, query, wb_env

SUITE = """\
prompts: ['Say {{n}}']
providers:
  - echo
  - openai:gpt-4o-mini
  - id: anthropic:messages:claude-3-5-haiku-20241022
    config: {fallbacks: [echo]}
tests:
  - {description: first, vars: {n: 1}, assert: [{type: contains, value: Say}]}
  - {vars: {n: 2}, assert: [{type: contains, value: Say}]}
"""


def test_provider_without_key_is_skipped_before_the_run(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "s.yaml").write_text(SUITE)
    db = tmp_path / "r.db"
    env = wb_env(db, OPENAI_BASE_URL="http://127.0.0.1:9/v1")  # were a call made, it would fail at once
    t0 = time.monotonic()
    proc = subprocess.run(
        [*WB, "s.yaml", "--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 100, proc.stderr
    assert "openai:gpt-4o-mini: OPENAI_API_KEY is not set; skipped\n" in proc.stderr
    # the anthropic chain has a fallback that needs no key, so it is not skipped
    assert "ANTHROPIC" not in proc.stderr
    rows = query(db, "select provider_idx, error, attempts from results order by provider_idx, test_idx")
    assert [r for r in rows if r[0] == 1] == [
        (1, "skipped: openai:gpt-4o-mini: OPENAI_API_KEY is not set", 0),
        (1, "skipped: openai:gpt-4o-mini: OPENAI_API_KEY is not set", 0),
    ]
    assert [r[1] for r in rows if r[0] != 1] == [None] * 4
    assert (
        "  2 × skipped: openai:gpt-4o-mini: OPENAI_API_KEY is not set (e.g. first · Say {{n}} · openai:gpt-4o-mini;"
        in (proc.stdout)
    )
    assert elapsed < 30  # no retries, no backoff


def test_error_reasons_are_printed_with_counts_and_cells(tmp_path: Path) -> None:
    """A misspelled assertion type and a missing value: each reason printed, not only `2 errors`."""
    import subprocess

    (tmp_path / "s.yaml").write_text(
        "prompts: ['hi {{n}}']\nproviders: [echo]\ntests:\n"
        "  - {description: typo, vars: {n: 1}, assert: [{type: contain, value: x}]}\n"
        "  - {vars: {n: 2}, assert: [{type: contains}]}\n"
        "  - {vars: {n: 3}, assert: [{type: contain, value: y}]}\n"
        "  - {vars: {n: 4}, assert: [{type: contains, value: hi}]}\n"
    )
    db = tmp_path / "r.db"
    proc = subprocess.run(
        [*WB, "s.yaml", "--no-progress"], cwd=tmp_path, env=wb_env(db), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 100, proc.stderr
    lines = proc.stdout.splitlines()
    i = lines.index("Errors:")
    assert (
        lines[i + 1]
        == "  2 × Unknown assertion type: contain (e.g. typo · hi {{n}} · echo; tests[2] · hi {{n}} · echo)"
    )
    assert lines[i + 2].startswith("  1 × ") and "must have a string or number value" in lines[i + 2]
    assert lines[i + 2].endswith("(e.g. tests[1] · hi {{n}} · echo)")


def test_error_reasons_cap_the_list_and_flatten_newlines(tmp_path: Path) -> None:
    from workbench.report.error_reasons import MAX_REASONS, format_error_reasons
    from workbench.store.db import open_db

    db = open_db(tmp_path / "r.db")
    db.execute("insert into runs (id, status) values (1, 'completed')")
    for i in range(MAX_REASONS + 3):
        db.execute(
            "insert into results (run_id, cell_key, test_idx, prompt_idx, provider_idx, provider_id, variant, error)"
            " values (1, ?, ?, 0, 0, 'echo', 'none', ?)",
            [f"k{i}", i, f"reason {i}\nsecond line\x1b[31m"],
        )
    lines = format_error_reasons(db, 1)
    assert len(lines) == 1 + MAX_REASONS + 1
    assert lines[1] == "  1 × reason 0 second line [31m (e.g. tests[0] · 0 · echo)"
    assert lines[-1].startswith("  … and 3 other reasons")
