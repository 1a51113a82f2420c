"""Matrix pages: column headers, filters, pagination and cell details on scripted runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis.matrix import MatrixFilters, cell_detail, column_key, matrix_columns, matrix_page
from workbench.errors import UsageError
from workbench.store.db import open_db

P = [prompt("f", "v1", "one {{text}}"), prompt("f", "v2", "two {{text}}")]


@pytest.fixture
def run(db_path: Path) -> tuple[object, int]:
    db = open_db(db_path)
    results = []
    for t in range(7):
        results.append(R(0, 0, t, ok=True, cost=0.002))
        # v2: test 1 fails, test 3 errors, test 5 fails a guardrail; the rest pass
        results.append(
            R(
                1,
                0,
                t,
                ok=t != 1,
                error="boom" if t == 3 else None,
                guardrail_fail=t == 5,
                cost=None if t == 6 else 0.001,
                output="special output" if t == 4 else None,
            )
        )
    return db, make_run(db, results, prompts=P)


def test_columns_carry_pair_numbers(run: tuple) -> None:
    db, rid = run
    cols = {c.name: c for c in matrix_columns(db, rid)}
    v1, v2 = cols["f/v1 · none · model-a"], cols["f/v2 · none · model-a"]
    assert (v1.n, v1.pass_rate, v1.mean_score) == (7, 1.0, 1.0)
    assert v1.total_cost == pytest.approx(0.014)
    assert v1.mean_cost == pytest.approx(0.002)
    assert v2.pass_rate == pytest.approx(4 / 7)
    assert v2.errors == 1 and v2.guardrail_failures == 1
    assert v2.mean_cost is None and v2.total_cost is None  # one unknown price: unknown, never $0
    assert v1.key == column_key(v1.prompt_version_id, "none", "model-a")


def test_filters_and_pagination(run: tuple) -> None:
    db, rid = run

    def idx(**kw: object) -> list[int]:
        return [r.test_idx for r in matrix_page(db, rid, MatrixFilters(**kw), page_size=100).rows]  # type: ignore[arg-type]

    assert idx() == list(range(7))
    assert idx(failures=True) == [1, 3, 5]
    assert idx(errors=True) == [3]
    assert idx(guardrails=True) == [5]
    assert idx(different=True) == [1, 3, 5]
    assert idx(failures=True, errors=True) == [3]
    assert idx(search="^special") == [4]  # outputs
    assert idx(search="t6") == [6]  # vars
    assert idx(search="test [12]$") == [1, 2]  # descriptions
    with pytest.raises(UsageError, match="invalid regular expression"):
        idx(search="(")
    page = matrix_page(db, rid, MatrixFilters(), page=2, page_size=3)
    assert (page.total, page.pages, page.page) == (7, 3, 2)
    assert [r.test_idx for r in page.rows] == [3, 4, 5]
    last = matrix_page(db, rid, MatrixFilters(), page=99, page_size=3)
    assert last.page == 3 and [r.test_idx for r in last.rows] == [6]
    cells = page.rows[0].cells
    assert len(cells) == 2
    v2 = next(c for k, c in cells.items() if k != next(iter(cells)))[0]
    assert v2.error == "boom" and not v2.success


def test_cell_detail_has_prompt_output_and_assertions(run: tuple) -> None:
    db, rid = run
    page = matrix_page(db, rid, MatrixFilters(guardrails=True))
    cell = next(c for cs in page.rows[0].cells.values() for c in cs if c.guardrail_failures)
    d = cell_detail(db, cell.result_id)
    assert d is not None
    assert (d.prompt_name, d.variant, d.model, d.test_idx) == ("f/v2", "none", "model-a", 5)
    assert d.prompt == "prompt 1 test 5"
    assert d.output == "out p1 m0 t5 bad"
    assert [(a.type, a.metric, a.passed, a.is_guardrail) for a in d.assertions] == [
        ("contains", None, True, False),
        ("not-contains", "guardrail/pii", False, True),
    ]
    assert cell_detail(db, 10**9) is None
