"""The fast paths of issue 7 give the same numbers as the general ones.

compare_runs joins results directly when both runs are one result per (pair, test) and falls back
to per-test temp tables otherwise; pair_stats reads a finished run's stored pair_totals. Each is
checked against the other path on the same real database.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis import comparison as compare
from workbench.analysis.pairs import pair_stats
from workbench.store import pair_outcomes, pair_totals
from workbench.store.db import open_db

PROMPTS = [prompt("fam", "v1", "one {{text}}"), prompt("fam", "v2", "two {{text}}")]


def scripted(seed: int, tests: int, *, shuffle: bool = False, drop: int = 0) -> tuple[list[R], list[dict]]:
    rnd = random.Random(seed)
    names = [f"case {i}" for i in range(tests)]
    if shuffle:
        rnd.shuffle(names)
    names = names[drop:]
    cases = [{"description": n, "vars": {"text": n}} for n in names]
    results = [
        R(
            p,
            m,
            t,
            ok=rnd.random() < 0.6,
            variant=v,
            guardrail_fail=rnd.random() < 0.1,
            error="boom" if rnd.random() < 0.05 else None,
            latency=rnd.uniform(10, 900),
            cost=rnd.choice([0.001, 0.002, None]) if m == 1 else 0.001 * (t % 3 + 1),
            tokens_in=rnd.randint(10, 90),
        )
        for p in range(2)
        for v in ("none", "llmlingua:0.5")
        for m in range(2)
        for t in range(len(cases))
    ]
    return results, cases


def both_paths(db, base: int, head: int, monkeypatch: pytest.MonkeyPatch, limit: int) -> tuple[dict, dict]:
    fast = compare.compare_runs(db, base, head, change_limit=limit).to_dict()
    with monkeypatch.context() as m:
        m.setattr(compare, "_direct_maps", lambda *a: None)
        slow = compare.compare_runs(db, base, head, change_limit=limit).to_dict()
    return fast, slow


@pytest.mark.parametrize("shuffle,drop", [(False, 0), (True, 3)])
@pytest.mark.parametrize("limit", [5, 1000])
def test_direct_compare_equals_temp_table_compare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffle: bool, drop: int, limit: int
) -> None:
    db = open_db(tmp_path / "w.db")
    results, cases = scripted(1, 40)
    base = make_run(db, results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    results, cases = scripted(2, 40, shuffle=shuffle, drop=drop)
    head = make_run(db, results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    assert compare._direct_maps(db, base, head, {}) is not None  # the direct path is the one under test
    fast, slow = both_paths(db, base, head, monkeypatch, limit)
    assert fast["regressed"] > 5 and fast["improved"] > 5 and fast["new_errors"] > 0
    assert fast == slow


def test_repeats_take_the_general_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_db(tmp_path / "w.db")
    base = make_run(db, [R(0, 0, 0, ok=True, repeat=r) for r in range(2)], tests=1)
    head = make_run(db, [R(0, 0, 0, ok=r == 0, repeat=r) for r in range(2)], tests=1)
    assert compare._direct_maps(db, base, head, {}) is None
    c = compare.compare_runs(db, base, head)
    assert (c.regressed, c.regressions[0].head_pass_rate) == (1, 0.5)


def test_stored_pair_totals_equal_computed_and_go_stale(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    results, cases = scripted(3, 30)
    run = make_run(db, results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    stored = pair_totals.load(db, run)
    assert stored is not None and len(stored) == 8  # written by RunWriter.finish
    computed = pair_totals.compute(db, run)
    key = lambda r: (r["prompt_version_id"], r["variant"], r["provider_label"])
    assert sorted(stored, key=key) == sorted(computed, key=key)
    from_store = [p.to_dict() for p in pair_stats(db, [run])]
    db.execute("delete from pair_totals")
    assert [p.to_dict() for p in pair_stats(db, [run])] == from_store
    # A resumed run is running again: stored rows are not trusted until it finishes.
    with db.conn:
        pair_totals.store(db, run)
        db.execute("update runs set status = 'running' where id = ?", [run])
    assert pair_totals.load(db, run) is None
    with db.conn:
        db.execute("update runs set status = 'completed', results = results - 1 where id = ?", [run])
    assert pair_totals.load(db, run) is None  # written for another result count


def three_paths(db, base: int, head: int, monkeypatch: pytest.MonkeyPatch, limit: int) -> list[dict]:
    """compare_runs through the stored bitsets, the result-to-result join and the temp tables."""
    bits = compare.compare_runs(db, base, head, change_limit=limit).to_dict()
    with monkeypatch.context() as m:
        m.setattr(compare, "_direct_bits", lambda *a: None)
        joined = compare.compare_runs(db, base, head, change_limit=limit).to_dict()
        m.setattr(compare, "_direct_maps", lambda *a: None)
        tables = compare.compare_runs(db, base, head, change_limit=limit).to_dict()
    return [bits, joined, tables]


@pytest.mark.parametrize("limit", [3, 1000])
def test_bitset_compare_equals_the_joins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Two runs of the same tests compare from their stored outcome bitsets (no join of their
    results): the same counts, coverage and listed changes, in the same order, as both joins, with
    errors, guardrail failures, results missing on either side and a variant only in one run."""
    db = open_db(tmp_path / "w.db")
    results, cases = scripted(4, 60)
    base_results = [r for i, r in enumerate(results) if i % 17 != 5]
    base = make_run(db, base_results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    results, cases = scripted(5, 60)
    head_results = [r for i, r in enumerate(results) if i % 13 != 2]
    head_results += [R(0, 0, t, ok=True, variant="extra") for t in range(10)]
    head = make_run(db, head_results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    base_bits = pair_outcomes.load(db, base)
    assert base_bits is not None and len(base_bits) == 8  # written by RunWriter.finish
    maps = compare._direct_maps(db, base, head, {})
    assert maps is not None and compare._direct_bits(db, maps, limit) is not None
    bits, joined, tables = three_paths(db, base, head, monkeypatch, limit)
    assert bits["regressed"] > 10 and bits["improved"] > 10 and bits["new_errors"] > 0
    assert bits["new_guardrail_failures"] > 0 and bits["only_in_base_rows"] > 0 and bits["only_in_head_rows"] > 10
    assert bits == joined == tables


def test_stored_pair_outcomes_equal_computed_and_go_stale(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    results, cases = scripted(6, 30)
    run = make_run(db, results, prompts=PROMPTS, providers=["m-a", "m-b"], tests=cases)
    stored = pair_outcomes.load(db, run)
    assert stored == pair_outcomes.compute(db, run) and stored is not None
    # A planted result: test 7 of prompt 1, variant none, model 0 failed with an error.
    o = stored[(1, "none", 0)]
    r = results[[(x.prompt, x.variant, x.provider, x.test) for x in results].index((1, "none", 0, 7))]
    passed = r.ok and not r.guardrail_fail and r.error is None
    assert (o.present >> 7) & 1 == 1 and (o.passed >> 7) & 1 == int(passed) and (o.failed >> 7) & 1 == int(not passed)
    assert (o.errored >> 7) & 1 == int(r.error is not None) and (o.guarded >> 7) & 1 == int(r.guardrail_fail)
    with db.conn:
        db.execute("update runs set status = 'running' where id = ?", [run])
    assert pair_outcomes.load(db, run) is None  # a resumed run: not trusted until it finishes
    with db.conn:
        db.execute("update runs set status = 'completed', results = results - 1 where id = ?", [run])
    assert pair_outcomes.load(db, run) is None  # written for another result count
    with db.conn:
        db.execute("update runs set results = results + 1 where id = ?", [run])
        db.execute("update pair_outcomes set version = version + 1 where run_id = ?", [run])
    assert pair_outcomes.load(db, run) is None  # written by another bit definition


def test_first_bits() -> None:
    assert pair_outcomes.first_bits(0b1011_0100, 3) == [2, 4, 5]
    assert pair_outcomes.first_bits(1 << 30_000 | 1, 5) == [0, 30_000]
    assert pair_outcomes.first_bits(0, 5) == []
