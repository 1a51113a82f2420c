"""Compare two runs, BASE and HEAD: what got better, what got worse, what changed underneath.

Pairs are matched by (prompt "family/version" or label, variant, model); results by test
identity (sha of description + vars) and pair, so a reordered test file still matches. With
repeats, a test regressed when its pass fraction dropped. Tests present in only one run are
reported apart and never counted as passes or failures of the other.

Two ways to the same numbers. When neither run has repeats and, in each run, test identities,
prompt names and model labels are unique (what `workbench run` writes almost always), every
(pair, test) is one result per side and the runs are joined result to result on the per-cell
index (`_direct`: a few index passes, no temp tables). When, besides, both runs hold the same
tests at the same indexes and were finished with their outcome bitsets stored
(`store.pair_outcomes`), the counts are bit operations on those and only the listed changes read
results (`_direct_bits`: no join of 100k rows). Otherwise per-test pass fractions are
materialized per side in temp tables and joined (`_per_test_tables`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats
from workbench.analysis.significance import DEFAULT_ALPHA, Significance, mcnemar
from workbench.analysis.version_pairing import Predecessor, predecessor_map
from workbench.store import pair_outcomes, pair_totals, queries

CHANGE_LIMIT = 100

PROMPT_NAME = (
    "case when pv.family is not null and pv.version is not null then pv.family || '/' || pv.version"
    " else coalesce(pv.label, rp.label, 'prompt ' || a.prompt_idx) end"
)

# Per (pair, test identity) of one run. The inner query aggregates results per cell group on the
# covering index; names and identities are joined on the (much smaller) aggregated rows.
PER_TEST = f"""
    select {PROMPT_NAME} as prompt, a.variant as variant, a.model as model, tc.identity as test,
           sum(a.n) as n, sum(a.passes) as passes, sum(a.errors) as errors, sum(a.gf) as gf, min(a.rid) as rid
    from (
        select prompt_version_id, prompt_idx, variant, provider_label as model, test_idx,
               count(*) as n, sum(success) as passes, sum(error is not null) as errors,
               sum(coalesce(guardrail_failures, 0)) as gf, min(id) as rid
        from results where run_id = :run
        group by prompt_version_id, prompt_idx, variant, provider_label, test_idx
    ) a
    join test_cases tc on tc.run_id = :run and tc.test_idx = a.test_idx
    left join prompt_versions pv on pv.id = a.prompt_version_id
    left join run_prompts rp on rp.run_id = :run and rp.prompt_idx = a.prompt_idx
    group by 1, 2, 3, 4
"""

# `{names}` maps each HEAD prompt name to the BASE prompt it is compared with (itself, or the
# predecessor of a new version: analysis.version_pairing); rows are named after HEAD's prompt.
JOINED = """
    select h.prompt, b.variant, b.model, b.test, b.n as bn, b.passes as bp, h.n as hn, h.passes as hp,
           b.errors as be, h.errors as he, b.gf as bg, h.gf as hg, b.rid as brid, h.rid as hrid,
           1.0 * b.passes / b.n as brate, 1.0 * h.passes / h.n as hrate
    from {base} b join {names} m on m.b = b.prompt
    join {head} h on h.prompt = m.h and h.variant = b.variant and h.model = b.model and h.test = b.test
"""
# BASE (pair, test) rows no HEAD row is compared with: (count, how many passed at least once).
BASE_ONLY = """
    select count(*), coalesce(sum(b.passes > 0), 0) from {base} b where not exists (
        select 1 from {names} m join {head} h on h.prompt = m.h and h.variant = b.variant
         and h.model = b.model and h.test = b.test where m.b = b.prompt)
"""
BASE_ONLY_PASSED = """
    select b.prompt || ' · ' || b.variant || ' · ' || b.model, tc.description, b.test, 1.0 * b.passes / b.n
    from {base} b join test_cases tc on tc.run_id = :base and tc.identity = b.test
    where b.passes > 0 and not exists (
        select 1 from {names} m join {head} h on h.prompt = m.h and h.variant = b.variant
         and h.model = b.model and h.test = b.test where m.b = b.prompt)
    group by b.prompt, b.variant, b.model, b.test order by b.prompt, b.variant, b.model, min(tc.test_idx) limit :limit
"""


@dataclass
class TestChange:
    pair: str
    test: str  # identity
    description: str | None
    vars: str | None  # JSON
    base_pass_rate: float
    head_pass_rate: float
    base_output: str | None
    head_output: str | None
    head_error: str | None
    prompt: str | None  # the HEAD rendered prompt

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PairComparison:
    prompt: str
    variant: str
    model: str
    base: PairStats | None
    head: PairStats | None
    matched: int = 0  # (test) rows present in both
    regressed: int = 0
    improved: int = 0
    new_guardrail_failures: int = 0  # tests with guardrail failures in HEAD and none in BASE
    new_errors: int = 0
    base_matched_pass_rate: float | None = None
    head_matched_pass_rate: float | None = None
    predecessor: str | None = None  # a new version: the BASE prompt it is compared with
    alpha: float = DEFAULT_ALPHA

    @property
    def name(self) -> str:
        return f"{self.prompt} · {self.variant} · {self.model}"

    @property
    def new_version(self) -> str | None:
        """`new version v2 vs v1` when this pair is a version compared with its predecessor."""
        if self.predecessor is None:
            return None
        new, old = self.prompt.rsplit("/", 1)[-1], self.predecessor.rsplit("/", 1)[-1]
        return f"new version {new} vs {old}"

    @property
    def significance(self) -> Significance:
        return mcnemar(self.regressed, self.improved, self.alpha)

    def delta(self, attr: str) -> float | None:
        a = getattr(self.base, attr, None) if self.base else None
        b = getattr(self.head, attr, None) if self.head else None
        return None if a is None or b is None else b - a

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "prompt": self.prompt,
            "variant": self.variant,
            "model": self.model,
            "in_base": self.base is not None,
            "in_head": self.head is not None,
            "matched": self.matched,
            "regressed": self.regressed,
            "improved": self.improved,
            "new_guardrail_failures": self.new_guardrail_failures,
            "new_errors": self.new_errors,
            "base_matched_pass_rate": self.base_matched_pass_rate,
            "head_matched_pass_rate": self.head_matched_pass_rate,
            "predecessor": self.predecessor,
            "new_version": self.new_version,
            "significance": self.significance.to_dict(),
            "delta": {
                k: self.delta(attr)
                for k, attr in (
                    ("pass_rate", "pass_rate"),
                    ("score", "mean_score"),
                    ("tokens_in", "mean_tokens_in"),
                    ("tokens_out", "mean_tokens_out"),
                    ("cost_per_request", "mean_cost"),
                    ("prompt_tokens", "prompt_tokens"),
                    ("guardrail_failures", "guardrail_failures"),
                    ("errors", "errors"),
                )
            },
            "base": self.base.to_dict() if self.base else None,
            "head": self.head.to_dict() if self.head else None,
        }


@dataclass
class ComparisonTotals:
    results: int
    pass_rate: float | None
    mean_tokens_in: float | None
    mean_tokens_out: float | None
    cost_per_request: float | None  # uncached; None when any price is unknown
    guardrail_failures: int
    errors: int


@dataclass
class RunComparison:
    base_id: int
    head_id: int
    base: ComparisonTotals
    head: ComparisonTotals
    pairs: list[PairComparison]
    regressed: int
    improved: int
    new_guardrail_failures: int
    new_errors: int
    matched: int
    base_matched_pass_rate: float | None
    head_matched_pass_rate: float | None
    tests_only_in_base: list[dict[str, Any]] = field(default_factory=list)
    tests_only_in_head: list[dict[str, Any]] = field(default_factory=list)
    regressions: list[TestChange] = field(default_factory=list)  # worst first, at most CHANGE_LIMIT
    improvements: list[TestChange] = field(default_factory=list)
    only_in_base_rows: int = 0  # (test, pair) rows of BASE no HEAD row is compared with
    only_in_head_rows: int = 0
    missing_passed: int = 0  # of the BASE-only rows, those that passed (at least once) in BASE
    missing: list[dict[str, Any]] = field(default_factory=list)  # the first of them: pair, description, test
    alpha: float = DEFAULT_ALPHA

    @property
    def same_tests(self) -> bool:
        return not self.tests_only_in_base and not self.tests_only_in_head

    @property
    def significance(self) -> Significance:
        """Over every matched (test, pair) row."""
        return mcnemar(self.regressed, self.improved, self.alpha)

    @property
    def pass_rate_delta(self) -> float | None:
        if self.base.pass_rate is None or self.head.pass_rate is None:
            return None
        return self.head.pass_rate - self.base.pass_rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_id": self.base_id,
            "head_id": self.head_id,
            "base": asdict(self.base),
            "head": asdict(self.head),
            "pass_rate_delta": self.pass_rate_delta,
            "matched": self.matched,
            "only_in_base_rows": self.only_in_base_rows,
            "only_in_head_rows": self.only_in_head_rows,
            "missing_passed": self.missing_passed,
            "missing": self.missing,
            "significance": self.significance.to_dict(),
            "base_matched_pass_rate": self.base_matched_pass_rate,
            "head_matched_pass_rate": self.head_matched_pass_rate,
            "regressed": self.regressed,
            "improved": self.improved,
            "new_guardrail_failures": self.new_guardrail_failures,
            "new_errors": self.new_errors,
            "same_tests": self.same_tests,
            "tests_only_in_base": self.tests_only_in_base,
            "tests_only_in_head": self.tests_only_in_head,
            "pairs": [p.to_dict() for p in self.pairs],
            "regressions": [c.to_dict() for c in self.regressions],
            "improvements": [c.to_dict() for c in self.improvements],
        }


def compare_runs(
    db: Database,
    base: str | int,
    head: str | int,
    change_limit: int = CHANGE_LIMIT,
    *,
    predecessors: tuple[Predecessor, ...] = (),
    alpha: float = DEFAULT_ALPHA,
) -> RunComparison:
    """Compare runs BASE and HEAD (ids or labels). A prompt version only in HEAD is compared with
    its predecessor in BASE (`analysis.version_pairing`); `alpha` is the significance level of the
    McNemar verdicts."""
    base_id, head_id = queries.resolve_run(db, base), queries.resolve_run(db, head)
    base_pairs = {p.key: p for p in pair_stats(db, [base_id], with_named_scores=False)}
    head_pairs = {p.key: p for p in pair_stats(db, [head_id], with_named_scores=False)}
    names = predecessor_map(db, base_id, head_id, predecessors)
    same_tests = _same_tests(db, base_id, head_id)
    direct = _direct_maps(db, base_id, head_id, names)
    coverage: tuple[int, int, list[dict[str, Any]]]
    if direct is not None:
        bits = _direct_bits(db, direct, change_limit) if same_tests else None
        if bits is not None:
            per_pair, regressions, improvements = bits
        else:
            per_pair, regressions, improvements = _direct(db, direct, change_limit, same_tests)
        head_rows = db.execute("select count(*) from results where run_id = ?", [head_id]).fetchone()[0]
        base_rows = db.execute("select count(*) from results where run_id = ?", [base_id]).fetchone()[0]
        matched = sum(int(r[3]) for r in per_pair.values())
        one_to_one = len({b for _, b, _ in direct.prompts}) == len(direct.prompts)
        # Each HEAD result matches at most one BASE result; when no two HEAD prompts share a BASE
        # prompt, matched == BASE's count means every BASE result was matched: nothing to look for.
        if one_to_one and matched == base_rows:
            coverage = (0, 0, [])
        else:
            coverage = _direct_coverage(db, direct, same_tests, change_limit)
    else:
        with _per_test_tables(db, base_id, head_id, names) as (joined, tables):
            coverage = _table_coverage(db, base_id, tables, change_limit)
            head_rows = db.execute(f"select count(*) from {tables['head']}").fetchone()[0]
            per_pair = {
                (r[0], r[1], r[2]): r
                for r in db.execute(
                    f"""select prompt, variant, model, count(*), sum(hrate < brate), sum(hrate > brate),
                           sum(hg > 0 and bg = 0), sum(he > 0 and be = 0), sum(bp), sum(bn), sum(hp), sum(hn)
                    from ({joined}) group by prompt, variant, model"""
                ).fetchall()
            }
            regressions = _changes(db, joined, "hrate < brate", "brate - hrate desc", change_limit)
            improvements = _changes(db, joined, "hrate > brate", "hrate - brate desc", change_limit)
    pairs: list[PairComparison] = []
    for key in sorted(base_pairs.keys() | head_pairs.keys()):
        base_key = (names.get(key[0], key[0]), key[1], key[2])
        pc = PairComparison(key[0], key[1], key[2], base_pairs.get(base_key), head_pairs.get(key), alpha=alpha)
        if key in head_pairs and base_key[0] != key[0] and base_key in base_pairs:
            pc.predecessor = base_key[0]
        r = per_pair.get(key)
        if r:
            pc.matched, pc.regressed, pc.improved, pc.new_guardrail_failures, pc.new_errors = (int(x) for x in r[3:8])
            pc.base_matched_pass_rate = r[8] / r[9] if r[9] else None
            pc.head_matched_pass_rate = r[10] / r[11] if r[11] else None
        pairs.append(pc)
    sums = [sum(getattr(p, a) for p in pairs) for a in ("matched", "regressed", "improved")]
    bp = sum(int(r[8]) for r in per_pair.values())
    bn = sum(int(r[9]) for r in per_pair.values())
    hp = sum(int(r[10]) for r in per_pair.values())
    hn = sum(int(r[11]) for r in per_pair.values())
    out = RunComparison(
        base_id=base_id,
        head_id=head_id,
        base=_totals(db, base_id),
        head=_totals(db, head_id),
        pairs=pairs,
        matched=sums[0],
        regressed=sums[1],
        improved=sums[2],
        new_guardrail_failures=sum(p.new_guardrail_failures for p in pairs),
        new_errors=sum(p.new_errors for p in pairs),
        base_matched_pass_rate=bp / bn if bn else None,
        head_matched_pass_rate=hp / hn if hn else None,
        tests_only_in_base=[] if same_tests else _only_in(db, base_id, head_id),
        tests_only_in_head=[] if same_tests else _only_in(db, head_id, base_id),
        only_in_base_rows=coverage[0],
        only_in_head_rows=int(head_rows) - sums[0],
        missing_passed=coverage[1],
        missing=coverage[2],
        alpha=alpha,
    )
    out.regressions, out.improvements = regressions, improvements
    return out


_counter = itertools.count()


@contextmanager
def _per_test_tables(
    db: Database, base_id: int, head_id: int, prompt_map: dict[str, str]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Materialize each run's per-test rows once, indexed for the join; yields the joined SELECT
    and the temp tables' names (base, head, names)."""
    n = next(_counter)
    names = (f"_cmp_base_{n}", f"_cmp_head_{n}", f"_cmp_joined_{n}", f"_cmp_names_{n}")
    tables = {"base": names[0], "head": names[1], "names": names[3]}
    try:
        for name, run_id in zip(names[:2], (base_id, head_id), strict=True):
            db.execute(f"create temp table {name} as {PER_TEST}", {"run": run_id})
        db.execute(f"create index temp.{names[1]}_key on {names[1]} (prompt, variant, model, test)")
        db.execute(f"create temp table {names[3]} (h text, b text)")
        # One statement through sqlite-utils, which commits it: a raw executemany would open an
        # implicit transaction that nothing commits, leaving the connection on a stale snapshot.
        db.execute(
            f"insert into {names[3]} select value ->> 0, value ->> 1 from json_each(?)",
            [json.dumps(sorted(prompt_map.items()))],
        )
        db.execute(f"create temp table {names[2]} as {JOINED.format(**tables)}")
        yield f"select * from {names[2]}", tables
    finally:
        for name in names:
            db.execute(f"drop table if exists temp.{name}")


def _table_coverage(
    db: Database, base_id: int, tables: dict[str, str], limit: int
) -> tuple[int, int, list[dict[str, Any]]]:
    """(BASE-only rows, of which passed, the first passed ones) on the per-test tables."""
    count, passed = db.execute(BASE_ONLY.format(**tables)).fetchone()
    rows = db.execute(BASE_ONLY_PASSED.format(**tables), {"base": base_id, "limit": limit}).fetchall()
    return int(count), int(passed), [_missing(*r) for r in rows]


def _missing(pair: str, description: str | None, test: str, base_pass_rate: float) -> dict[str, Any]:
    return {"pair": pair, "description": description, "test": test, "base_pass_rate": base_pass_rate}


def _totals(db: Database, run_id: int) -> ComparisonTotals:
    """The run's totals: sums of its stored pair totals when they are valid, else from its results."""
    stored = pair_totals.load(db, run_id)
    from_pairs = _totals_from_pairs(stored) if stored else None
    return from_pairs if from_pairs is not None else _totals_from_results(db, run_id)


def _totals_from_pairs(rows: list[dict[str, Any]]) -> ComparisonTotals | None:
    """`_totals_from_results` from per-pair sums; None when a token mean cannot be recovered exactly
    (a pair whose tokens are all 0 does not say how many of them were recorded)."""
    t = pair_totals.combine(rows)
    n, count_in, count_out = t["n"], t["tokens_in_count"], t["tokens_out_count"]
    if count_in is None or count_out is None:
        return None
    return ComparisonTotals(
        results=n,
        pass_rate=t["passes"] / n if n else None,
        mean_tokens_in=t["sum_tokens_in"] / count_in if count_in else None,
        mean_tokens_out=t["sum_tokens_out"] / count_out if count_out else None,
        cost_per_request=None if t["unknown_cost"] or not t["priced"] else (t["sum_cost"] or 0.0) / t["priced"],
        guardrail_failures=t["guardrail_failures"],
        errors=t["errors"],
    )


def _totals_from_results(db: Database, run_id: int) -> ComparisonTotals:
    uc = queries.UNCACHED_COST
    r = db.execute(
        f"select count(*), avg(success), avg(tokens_in), avg(tokens_out), sum({uc}), count({uc}),"
        f" sum(error is null and {uc} is null), coalesce(sum(guardrail_failures), 0), sum(error is not null)"
        " from results where run_id = ?",
        [run_id],
    ).fetchone()
    n, rate, tin, tout, cost, priced, unknown, gf, errors = r
    return ComparisonTotals(
        results=int(n),
        pass_rate=rate,
        mean_tokens_in=tin,
        mean_tokens_out=tout,
        cost_per_request=None if unknown or not priced else cost / priced,
        guardrail_failures=int(gf or 0),
        errors=int(errors or 0),
    )


def _only_in(db: Database, run_id: int, other_id: int) -> list[dict[str, Any]]:
    return queries.rows(
        db,
        "select test_idx, identity, description, vars from test_cases where run_id = ?"
        " and identity not in (select identity from test_cases where run_id = ?) order by test_idx",
        [run_id, other_id],
    )


def _changes(db: Database, joined: str, cond: str, order: str, limit: int) -> list[TestChange]:
    sql = f"""
        select j.prompt || ' · ' || j.variant || ' · ' || j.model, j.test, tc.description, tc.vars,
               j.brate, j.hrate, rb.output, rh.output, rh.error, rh.prompt
        from ({joined}) j
        join results rh on rh.id = j.hrid
        join results rb on rb.id = j.brid
        left join test_cases tc on tc.run_id = rh.run_id and tc.test_idx = rh.test_idx
        where {cond} order by {order}, j.prompt, j.variant, j.model, tc.test_idx limit ?
    """
    return [TestChange(*r) for r in db.execute(sql, [limit]).fetchall()]


# -- the direct path -------------------------------------------------------------------------

RUN_PROMPT_NAMES = PROMPT_NAME.replace("a.prompt_idx", "rp.prompt_idx")

# One HEAD result and the BASE result of the same (pair, test). The prompt and model maps are
# small VALUES lists made from run_prompts / run_providers (HEAD idx -> BASE idx). CROSS JOIN fixes
# the loop order (SQLite never reorders it): HEAD's results in index order outermost, so the
# group by needs no sort, then one index seek into BASE.
DIRECT_JOIN = """
    from results h
    cross join pm on pm.h = h.prompt_idx
    cross join mm on mm.h = h.provider_idx
    {tests}
    cross join results b on b.run_id = :base and b.prompt_idx = pm.b and b.variant = h.variant
     and b.provider_idx = mm.b and b.test_idx = {base_test} and b.repeat = 0
    where h.run_id = :head
"""
# Both runs hold the same tests at the same indexes (a suite run again): no map needed.
SAME_TESTS = {"tests": "", "base_test": "h.test_idx"}
# Otherwise HEAD test_idx -> BASE test_idx through the identity (a small CTE, indexed by SQLite).
TEST_MAP = {"tests": "cross join tm on tm.h = h.test_idx", "base_test": "tm.b"}
TEST_MAP_CTE = (
    ", tm(h, b) as materialized (select th.test_idx, tb.test_idx from test_cases th"
    " join test_cases tb on tb.run_id = :base and tb.identity = th.identity where th.run_id = :head)"
)

DIRECT_PAIRS = """
    select pm.name, h.variant, mm.label, count(*), sum(h.success < b.success), sum(h.success > b.success),
           sum(coalesce(h.guardrail_failures, 0) > 0 and coalesce(b.guardrail_failures, 0) = 0),
           sum(h.error is not null and b.error is null), sum(b.success), count(*), sum(h.success), count(*),
           h.prompt_idx, h.provider_idx
    {join}
    group by h.prompt_idx, h.variant, h.provider_idx
"""

# The changes of one pair in HEAD test order, read on the index until `:limit` are found.
DIRECT_PAIR_CHANGES = """
    select h.id, b.id {join} and h.prompt_idx = :hp and h.variant = :variant and h.provider_idx = :hm and {cond}
    order by h.test_idx limit :limit
"""

CHANGE_ROWS = """
    select th.identity, th.description, th.vars, 1.0 * b.success, 1.0 * h.success, b.output, h.output, h.error,
           h.prompt
    from results h join results b on b.id = :bid
    join test_cases th on th.run_id = h.run_id and th.test_idx = h.test_idx
    where h.id = :hid
"""


def _names(db: Database, run_id: int) -> tuple[dict[int, str], dict[int, str]] | None:
    """prompt_idx -> prompt name and provider_idx -> model label, when both are one-to-one."""
    prompts = {
        int(i): str(n)
        for i, n in db.execute(
            f"select rp.prompt_idx, {RUN_PROMPT_NAMES} from run_prompts rp"
            " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?",
            [run_id],
        )
    }
    models = {
        int(i): str(n)
        for i, n in db.execute("select provider_idx, label from run_providers where run_id = ?", [run_id])
        if n is not None
    }
    if len(set(prompts.values())) != len(prompts) or len(set(models.values())) != len(models):
        return None
    return prompts, models


def _tests_cover_results(db: Database, run_id: int) -> bool:
    """The run's tests are 0..n-1 and every result's test_idx is one of them (index-only checks)."""
    lo, hi, n = db.execute(
        "select min(test_idx), max(test_idx), count(*) from test_cases where run_id = ?", [run_id]
    ).fetchone()
    r_lo = db.execute("select min(test_idx) from results where run_id = ?", [run_id]).fetchone()[0]
    r_hi = db.execute("select max(test_idx) from results where run_id = ?", [run_id]).fetchone()[0]
    if r_lo is None:
        return True
    return bool(n) and lo == 0 and hi == n - 1 and r_lo >= 0 and r_hi <= hi


def _same_tests(db: Database, base_id: int, head_id: int) -> bool:
    """Both runs hold the same test identities at the same indexes."""
    same = db.execute(
        "select count(*) from test_cases th join test_cases tb on tb.run_id = ? and tb.test_idx = th.test_idx"
        " and tb.identity = th.identity where th.run_id = ?",
        [base_id, head_id],
    ).fetchone()[0]
    counts = [
        db.execute("select count(*) from test_cases where run_id = ?", [r]).fetchone()[0] for r in (base_id, head_id)
    ]
    return bool(same == counts[0] == counts[1])


@dataclass(frozen=True)
class DirectMaps:
    """The two runs of the direct path and (HEAD idx, BASE idx, name) of their shared prompts and models."""

    base_id: int
    head_id: int
    prompts: list[tuple[int, int, str]]
    models: list[tuple[int, int, str]]


def _direct_maps(db: Database, base_id: int, head_id: int, prompt_map: dict[str, str]) -> DirectMaps | None:
    """The prompts and the models in both runs, mapped; None: use temp tables.

    The conditions under which each (pair, test) is exactly one result per run and every result
    has its test case: no repeats, unique test identities, tests numbered 0..n-1, one prompt_idx
    per prompt name and one provider_idx per model label."""
    for run_id in (base_id, head_id):
        if queries.run_has_repeats(db, run_id):
            return None
        # A repeated identity, read in identity order on the (run_id, identity) index (no temp B-tree).
        repeated = db.execute(
            "select 1 from test_cases where run_id = ? group by identity having count(*) > 1 limit 1", [run_id]
        ).fetchone()
        if repeated or not _tests_cover_results(db, run_id):
            return None
    base, head = _names(db, base_id), _names(db, head_id)
    if base is None or head is None:
        return None
    maps = []
    for b_names, h_names, renamed in zip(base, head, (prompt_map, {}), strict=True):
        by_name = {name: idx for idx, name in b_names.items()}
        maps.append(
            [
                (h, by_name[renamed.get(name, name)], name)
                for h, name in sorted(h_names.items())
                if renamed.get(name, name) in by_name
            ]
        )
    return DirectMaps(base_id, head_id, maps[0], maps[1])


def _direct_sql(d: DirectMaps, same_tests: bool) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The maps' CTE, its parameters and the test mapping of the direct path."""
    base_id, head_id, prompts, models = d.base_id, d.head_id, d.prompts, d.models
    # The maps' VALUES lists hold only named placeholders (:p0, :p1, ...); the values are bound.
    flat = [x for row in (*prompts, *models) for x in row]
    marks = [f"(:p{i}, :p{i + 1}, :p{i + 2})" for i in range(0, len(flat), 3)]
    maps = (
        "with pm(h, b, name) as (values " + ", ".join(marks[: len(prompts)]) + "),"
        " mm(h, b, label) as (values " + ", ".join(marks[len(prompts) :]) + ")"
    )
    params: dict[str, Any] = {f"p{i}": v for i, v in enumerate(flat)} | {"base": base_id, "head": head_id}
    tests = SAME_TESTS if same_tests else TEST_MAP
    if tests is TEST_MAP:
        maps += TEST_MAP_CTE
    return maps, params, tests


# BASE results (one per (pair, test) on this path) that no HEAD result is compared with.
DIRECT_BASE_ONLY = """
    select {what} from results b
    left join test_cases tb on tb.run_id = b.run_id and tb.test_idx = b.test_idx
    where b.run_id = :base and b.repeat = 0 and {cond} not exists (
        select 1 from pm cross join mm {tests}
        cross join results h on h.run_id = :head and h.prompt_idx = pm.h and h.variant = b.variant
         and h.provider_idx = mm.h and h.test_idx = {head_test}
        where pm.b = b.prompt_idx and mm.b = b.provider_idx)
"""
DIRECT_BASE_ONLY_TESTS = {
    "tests": "",
    "head_test": "b.test_idx",
}
DIRECT_BASE_ONLY_MAPPED = {
    "tests": "cross join tm on tm.b = b.test_idx",
    "head_test": "tm.h",
}


def _direct_coverage(
    db: Database, d: DirectMaps, same_tests: bool, limit: int
) -> tuple[int, int, list[dict[str, Any]]]:
    """(BASE-only rows, of which passed, the first passed ones) on the direct path."""
    maps, params, tests = _direct_sql(d, same_tests)
    mapping = DIRECT_BASE_ONLY_TESTS if tests is SAME_TESTS else DIRECT_BASE_ONLY_MAPPED
    if not d.prompts or not d.models:  # nothing maps: every BASE result is BASE-only
        maps, mapping = (
            "with pm(h, b) as (select null, null where 0), mm(h, b) as (select null, null where 0)",
            DIRECT_BASE_ONLY_TESTS,
        )
    counted = DIRECT_BASE_ONLY.format(what="count(*), coalesce(sum(b.success), 0)", cond="", **mapping)
    count, passed = db.execute(maps + counted, params).fetchone()
    listed = DIRECT_BASE_ONLY.format(
        what="b.prompt_idx, b.variant, b.provider_label, tb.description, tb.identity",
        cond="b.success = 1 and",
        **mapping,
    )
    names = dict(
        db.execute(
            f"select rp.prompt_idx, {RUN_PROMPT_NAMES} from run_prompts rp"
            " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?",
            [d.base_id],
        ).fetchall()
    )
    rows = db.execute(
        maps + listed + " order by b.prompt_idx, b.variant, b.provider_idx, b.test_idx limit :limit",
        params | {"limit": limit},
    ).fetchall()
    missing = [_missing(f"{names.get(p, f'prompt {p}')} · {v} · {m}", d, t, 1.0) for p, v, m, d, t in rows]
    return int(count), int(passed), missing


def _direct(
    db: Database, d: DirectMaps, limit: int, same_tests: bool
) -> tuple[dict[tuple[Any, ...], tuple[Any, ...]], list[TestChange], list[TestChange]]:
    """Per-pair counts in one pass over HEAD; then the first changes of each pair, pairs in order."""
    if not d.prompts or not d.models:
        return {}, [], []
    maps, params, tests = _direct_sql(d, same_tests)
    join = DIRECT_JOIN.format(**tests)
    per_pair = {(r[0], r[1], r[2]): r for r in db.execute(maps + DIRECT_PAIRS.format(join=join), params)}

    def changes(column: int, cond: str) -> list[TestChange]:
        out: list[TestChange] = []
        for key in sorted(k for k, r in per_pair.items() if r[column]):
            if len(out) >= limit:
                break
            r = per_pair[key]
            sql = maps + DIRECT_PAIR_CHANGES.format(join=join, cond=cond)
            bound = params | {"hp": r[12], "variant": key[1], "hm": r[13], "limit": limit - len(out)}
            for hid, bid in db.execute(sql, bound).fetchall():
                row = db.execute(CHANGE_ROWS, {"hid": hid, "bid": bid}).fetchone()
                out.append(TestChange(" · ".join(key), *row))
        return out

    return per_pair, changes(4, "h.success < b.success"), changes(5, "h.success > b.success")


# One listed change on the bitset path: the HEAD and BASE results of (pair, test) by the cell index.
CHANGE_AT = """
    select th.identity, th.description, th.vars, 1.0 * b.success, 1.0 * h.success, b.output, h.output, h.error,
           h.prompt
    from results h
    join results b on b.run_id = :base and b.prompt_idx = :bp and b.variant = :variant and b.provider_idx = :bm
     and b.test_idx = :t and b.repeat = 0
    join test_cases th on th.run_id = h.run_id and th.test_idx = h.test_idx
    where h.run_id = :head and h.prompt_idx = :hp and h.variant = :variant and h.provider_idx = :hm
     and h.test_idx = :t and h.repeat = 0
"""


def _direct_bits(
    db: Database, d: DirectMaps, limit: int
) -> tuple[dict[tuple[Any, ...], tuple[Any, ...]], list[TestChange], list[TestChange]] | None:
    """`_direct` for two runs with the same tests at the same indexes, from their stored outcome
    bitsets (same rows, same changes in the same order); None when either run has none stored."""
    base_id, head_id = d.base_id, d.head_id
    base, head = pair_outcomes.load(db, base_id), pair_outcomes.load(db, head_id)
    if base is None or head is None:
        return None
    prompt_map = {h: (b, name) for h, b, name in d.prompts}
    model_map = {h: (b, label) for h, b, label in d.models}
    per_pair: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    found: dict[tuple[Any, ...], tuple[int, int, int, int]] = {}  # key -> (hp, hm, bp, bm)
    regressed_bits: dict[tuple[Any, ...], int] = {}
    improved_bits: dict[tuple[Any, ...], int] = {}
    for (hp, variant, hm), h in head.items():
        if hp not in prompt_map or hm not in model_map:
            continue
        (bp, name), (bm, label) = prompt_map[hp], model_map[hm]
        b = base.get((bp, variant, bm))
        if b is None:
            continue
        both = h.present & b.present
        matched = both.bit_count()
        if not matched:
            continue
        key = (name, variant, label)
        regressed_bits[key] = both & b.passed & h.failed
        improved_bits[key] = both & h.passed & b.failed
        b_passes, h_passes = (both & b.passed).bit_count(), (both & h.passed).bit_count()
        per_pair[key] = (
            name,
            variant,
            label,
            matched,
            regressed_bits[key].bit_count(),
            improved_bits[key].bit_count(),
            (both & h.guarded & ~b.guarded).bit_count(),
            (both & h.errored & ~b.errored).bit_count(),
            b_passes,
            matched,
            h_passes,
            matched,
            hp,
            hm,
        )
        found[key] = (hp, hm, bp, bm)

    def changes(bits: dict[tuple[Any, ...], int]) -> list[TestChange]:
        out: list[TestChange] = []
        for key in sorted(k for k, v in bits.items() if v):
            if len(out) >= limit:
                break
            hp, hm, bp, bm = found[key]
            for t in pair_outcomes.first_bits(bits[key], limit - len(out)):
                bound = {"base": base_id, "head": head_id, "hp": hp, "hm": hm, "bp": bp, "bm": bm}
                row = db.execute(CHANGE_AT, bound | {"variant": key[1], "t": t}).fetchone()
                if row is not None:
                    out.append(TestChange(" · ".join(key), *row))
        return out

    return per_pair, changes(regressed_bits), changes(improved_bits)
