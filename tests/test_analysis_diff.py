from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis.diff import changed_excerpts, diff_versions, word_diff, word_opcodes
from workbench.errors import UsageError
from workbench.store.db import open_db

V1 = "Summarize the ticket.\nBe brief.\n{{text}}\n"
V2 = "Summarize the ticket in one sentence.\nBe brief.\nNever include emails.\n{{text}}\n"


def make(db_path: Path) -> tuple[object, int]:
    db = open_db(db_path)
    prompts = [prompt("ticket", "v1", V1), prompt("ticket", "v2", V2)]
    results = []
    for t in range(4):
        results.append(R(0, 0, t, ok=True, cost=0.001, tokens_in=100, output=f"v1 answer {t}"))
        # v2 breaks test 1 and 3 on model-a; fixed nothing; costs more
        results.append(R(1, 0, t, ok=t not in (1, 3), cost=0.0015, tokens_in=120, output=f"v2 answer {t}"))
        results.append(R(0, 1, t, ok=t != 2, cost=0.01, output=f"b1 {t}"))
        results.append(R(1, 1, t, ok=True, cost=0.01, guardrail_fail=False, output=f"b2 {t}"))
    return db, make_run(db, results, prompts=prompts, providers=["model-a", "model-b"], label="pr-7")


def test_text_diff_tokens_and_result_deltas(db_path: Path) -> None:
    db, run = make(db_path)
    d = diff_versions(db, "ticket", "v1", "v2")  # type: ignore[arg-type]
    assert d.run_id == run
    assert d.unified.splitlines()[:2] == [
        f"--- ticket/v1 ({d.v1.tokens} tokens)",
        f"+++ ticket/v2 ({d.v2.tokens} tokens)",
    ]
    assert "-Summarize the ticket.\n" in d.unified
    assert "+Summarize the ticket in one sentence.\n" in d.unified
    assert "+Never include emails.\n" in d.unified
    assert d.v2.tokens > d.v1.tokens and d.token_delta == d.v2.tokens - d.v1.tokens
    deltas = {x.model: x for x in d.deltas}
    assert deltas["model-a"].pass_rate == pytest.approx(-0.5)
    assert deltas["model-a"].tokens_in == pytest.approx(20)
    assert deltas["model-a"].cost == pytest.approx(0.0005)
    assert deltas["model-b"].pass_rate == pytest.approx(0.25)
    assert (d.flips_total, d.broke, d.fixed) == (3, 2, 1)
    broke = [(f.model, f.test_idx, f.before_output, f.after_output) for f in d.flips if f.direction == "broke"]
    assert broke == [("model-a", 1, "v1 answer 1", "v2 answer 1"), ("model-a", 3, "v1 answer 3", "v2 answer 3")]
    fixed = [f for f in d.flips if f.direction == "fixed"]
    assert [(f.model, f.test_idx, f.description) for f in fixed] == [("model-b", 2, "test 2")]


def test_explicit_run_and_flip_limit(db_path: Path) -> None:
    db, run = make(db_path)
    d = diff_versions(db, "ticket", "v1", "v2", run_id="pr-7", flip_limit=1)  # type: ignore[arg-type]
    assert d.run_id == run and d.flips_total == 3 and len(d.flips) == 1


def test_versions_from_disk_without_runs(db_path: Path, tmp_path: Path) -> None:
    db = open_db(db_path)
    fam = tmp_path / "prompts" / "greet"
    fam.mkdir(parents=True)
    (fam / "v1.txt").write_text("Hello {{name}}\n")
    (fam / "v2.txt").write_text("Hello there {{name}}\n")
    d = diff_versions(db, "greet", "v1", "v2", prompts_dir=tmp_path / "prompts")
    assert d.run_id is None and d.deltas == [] and d.v1.source == "file"
    assert "-Hello {{name}}\n+Hello there {{name}}\n" in d.unified
    with pytest.raises(UsageError, match="prompt version greet/v9 not found"):
        diff_versions(db, "greet", "v1", "v9", prompts_dir=tmp_path / "prompts")


def test_word_diff_marks_words_and_rebuilds_both_texts() -> None:
    a = "Summarize the ticket for {{name}}.\n\nBe brief."
    b = "Summarize the ticket from {{name}} in one line.\n\nBe brief."
    runs = word_diff(a, b)
    assert ("-", "for") in runs and ("+", "from") in runs
    assert ("+", " in one line") in runs
    assert "".join(t for op, t in runs if op != "+") == a
    assert "".join(t for op, t in runs if op != "-") == b
    assert word_diff("same text", "same text") == [("=", "same text")]
    assert word_diff("", "new") == [("+", "new")]
    # Punctuation and whitespace are tokens too: changing one comma marks only the comma.
    assert word_diff("a, b", "a; b") == [("=", "a"), ("-", ","), ("+", ";"), ("=", " b")]


def test_changed_excerpts_show_the_part_that_changed() -> None:
    """A flip whose outputs share a long preamble: the excerpt starts near the change, not at 0."""
    from workbench.analysis.diff import changed_excerpts

    preamble = "Summarize this support ticket for the next agent in at most 80 words. " * 4
    a = preamble + "Customer: Maria\nOrder: NW-100231\nProduct: backpack\n" + "Ticket: the strap is torn. " * 5
    b = a.replace("Order: NW-100231\n", "")
    before, after = changed_excerpts(a, b)
    assert before.startswith("…") and "Customer: Maria [-Order: NW-100231 -]Product: backpack" in before
    assert after.startswith("…") and "Customer: Maria Product: backpack" in after
    assert len(before) <= 162 and len(after) <= 162
    assert changed_excerpts("The order number is 48213.", "48213") == ("[-The order number is -]48213[-.-]", "48213")


@pytest.mark.parametrize("seed", range(6))
def test_flips_from_stored_bitsets_equal_the_join(db_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """The flips read from the run's outcome bitsets are the join's: same counts, same rows in the
    same order (broke first, then test, variant, model label: labels sorted unlike provider order),
    with errors (no verdict) and limits that cut inside a test's groups."""
    import random

    from workbench.store import pair_outcomes

    rnd = random.Random(seed)
    db = open_db(db_path)
    prompts = [prompt("ticket", "v1", V1), prompt("ticket", "v2", V2)]
    results = []
    for p in (0, 1):
        for provider in range(3):
            for variant in ("none", "short"):
                for t in range(40):
                    error = "boom" if rnd.random() < 0.1 else None
                    results.append(
                        R(
                            p,
                            provider,
                            t,
                            ok=rnd.random() < 0.5,
                            variant=variant,
                            error=error,
                            output=f"{p}{provider}{t}",
                        )
                    )
    run = make_run(db, results, prompts=prompts, providers=["zeta", "alpha", "mid"])
    assert pair_outcomes.load(db, run) is not None  # the fast path is the one under test
    for limit in (0, 1, 7, 200, 10_000):
        fast = diff_versions(db, "ticket", "v1", "v2", run_id=run, flip_limit=limit).to_dict()
        with monkeypatch.context() as m:
            m.setattr(pair_outcomes, "load", lambda db, run_id: None)
            slow = diff_versions(db, "ticket", "v1", "v2", run_id=run, flip_limit=limit).to_dict()
        assert fast == slow
        assert len(fast["flips"]) == min(limit, fast["flips_total"])
    assert 0 < fast["fixed"] < fast["flips_total"]
    calls = []
    monkeypatch.setattr(db, "execute", lambda sql, *a: calls.append(sql) or type(db).execute(db, sql, *a))
    diff_versions(db, "ticket", "v1", "v2", run_id=run, flip_limit=5)
    assert not any("cross join" in sql for sql in calls)  # no join over every v1 result


def test_word_opcodes_equal_sequence_matcher_on_random_token_lists() -> None:
    """The prefix/suffix trim is exact: the same opcodes as SequenceMatcher on the whole lists, over
    small alphabets (repeated tokens, blocks longer than the prefix or tied with the suffix, where
    the trim must not apply) and local edits of a copy (where it does)."""
    import difflib
    import random

    trimmed = 0
    for seed in range(4000):
        rnd = random.Random(seed)
        alphabet = "abcde"[: rnd.randint(1, 5)]
        a = [rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))]
        b = list(a) if rnd.random() < 0.7 else [rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))]
        for _ in range(rnd.randint(0, 3)):
            if b and rnd.random() < 0.5:
                del b[rnd.randrange(len(b))]
            else:
                b.insert(rnd.randint(0, len(b)), rnd.choice(alphabet))
        want = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert word_opcodes(a, b) == want, (a, b)
        trimmed += bool(want) and want[0][0] == "equal" and want[0][2] > 0
    assert trimmed > 1000  # the trimmed path is exercised, not only the fallback


def test_changed_excerpts_unchanged_by_the_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    """Excerpts of prose with local edits (a word replaced, inserted or removed, at the start, the
    middle or the end, repeated words) equal those from SequenceMatcher on the whole texts."""
    import difflib
    import random

    from workbench.analysis import diff

    words = [
        "the",
        "a",
        "refund",
        "order",
        "customer",
        "please,",
        "we",
        "will",
        "your",
        "account.",
        "ticket",
        "issue\n",
        "days",
    ]
    cases = []
    for seed in range(300):
        rnd = random.Random(seed)
        a = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 80)))
        w = a.split(" ")
        for _ in range(rnd.randint(1, 2)):
            k = rnd.randrange(len(w) + 1)
            w[k : k + rnd.randint(0, 3)] = rnd.sample(["changed", "words", "refund", "."], rnd.randint(0, 2))
        cases.append((a, " ".join(w)))
    fast = [changed_excerpts(a, b, width=100, context=30) for a, b in cases]
    whole = lambda ta, tb: difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes()
    monkeypatch.setattr(diff, "word_opcodes", whole)
    assert fast == [changed_excerpts(a, b, width=100, context=30) for a, b in cases]
