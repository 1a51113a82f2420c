"""Stream one run's results out of the store, for every writer.

Memory stays flat whatever the run's size: a cursor walks only the sort keys (`id` in the
requested order), and the full rows, their test case and their assertion rows are fetched a
chunk of ids at a time. Aggregates (per-column metrics, run stats) are SQL `group by` queries,
never Python lists of all results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError
from workbench.store.json_columns import loads
from workbench.store.orphaned_runs import close_orphaned_runs

# promptfoo-like order: every prompt/provider of test 0, then test 1, ...
ORDER_BY_TEST = "test_idx, prompt_idx, variant = 'none' desc, variant, provider_idx, repeat"
# grouped by column (provider x prompt x variant), then test: what JUnit suites need
ORDER_BY_COLUMN = "provider_idx, prompt_idx, variant = 'none' desc, variant, test_idx, repeat"

CHUNK = 500

RESULT_FIELDS = (
    "id",
    "cell_key",
    "prompt_idx",
    "provider_idx",
    "test_idx",
    "repeat",
    "variant",
    "prompt_version_id",
    "provider_id",
    "provider_label",
    "model",
    "prompt",
    "output",
    "success",
    "score",
    "error",
    "tokens_in",
    "tokens_out",
    "token_source",
    "cost",
    "cached_cost",
    "latency_ms",
    "wall_ms",
    "cached",
    "attempts",
    "fallback_used",
    "finish_reason",
    "named_scores",
    "guardrail_failures",
    "compression",
)
# Optional columns a later migration may add; read when present.
OPTIONAL_FIELDS = ("reason", "grader_cost", "grader_usage", "output_json")


@dataclass(slots=True)
class Component:
    """One row of assertion_results: a flattened componentResults entry."""

    idx: int
    parent_idx: int | None
    type: str
    metric: str | None
    pass_: bool
    score: float
    reason: str
    weight: float
    value_json: str | None  # decoded on demand: most writers never need it

    @property
    def value(self) -> Any:
        return loads(self.value_json)


@dataclass
class TestInfo:
    """A test case, shared by the consecutive rows of that test; `cache` lets writers memoize."""

    description: str | None
    vars: dict[str, Any]
    asserts: list[dict[str, Any]]
    metadata: dict[str, Any]
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One result joined with its test case and its assertion rows (in flattened order)."""

    r: dict[str, Any]
    test: TestInfo
    components: list[Component] = field(default_factory=list)

    @property
    def description(self) -> str | None:
        return self.test.description

    @property
    def vars(self) -> dict[str, Any]:
        return self.test.vars

    @property
    def asserts(self) -> list[dict[str, Any]]:
        return self.test.asserts

    @property
    def metadata(self) -> dict[str, Any]:
        return self.test.metadata


@dataclass
class PromptInfo:
    idx: int
    label: str
    raw: str
    sha256: str
    family: str | None
    version: str | None

    @property
    def display(self) -> str:
        if self.family and self.version:
            return f"{self.family}/{self.version}"
        return self.label


@dataclass
class ProviderInfo:
    idx: int
    id: str
    label: str  # as stored: the suite's label, else the id

    @property
    def promptfoo_label(self) -> str:
        """promptfoo reports `label: ""` when the suite gave none."""
        return "" if self.label == self.id else self.label


@dataclass
class Column:
    """promptfoo's `results.prompts[]` entry: one (provider, prompt, variant) combination."""

    index: int  # promptfoo's promptIdx
    provider: ProviderInfo
    prompt: PromptInfo
    variant: str


@dataclass
class RunInfo:
    run: dict[str, Any]
    prompts: list[PromptInfo]
    providers: list[ProviderInfo]
    columns: list[Column]
    repeats: int  # number of repeats (promptfoo's testIdx = test_idx * repeats + repeat)
    has_fields: tuple[str, ...] = RESULT_FIELDS

    def column(self, provider_idx: int, prompt_idx: int, variant: str) -> Column:
        return self._by_key[(provider_idx, prompt_idx, variant)]

    def __post_init__(self) -> None:
        self._by_key = {(c.provider.idx, c.prompt.idx, c.variant): c for c in self.columns}


def variant_sort_key(name: str) -> tuple[int, str]:
    return (0 if name == "none" else 1, name)


def load_run(db: Database, run_id: int) -> RunInfo:
    close_orphaned_runs(db)  # a run killed with `kill -9` reads `interrupted`
    row = db.execute("select * from runs where id = ?", [run_id]).fetchone()
    if row is None:
        raise UsageError(f"run {run_id} not found in the database")
    cols = [d[0] for d in db.execute("select * from runs limit 0").description]
    run = dict(zip(cols, row, strict=True))
    prompts = [
        PromptInfo(idx, label or "", text or "", sha or "", family, version)
        for idx, label, text, sha, family, version in db.execute(
            "select rp.prompt_idx, rp.label, pv.text, pv.sha256, pv.family, pv.version from run_prompts rp"
            " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?"
            " order by rp.prompt_idx",
            [run_id],
        )
    ]
    providers = [
        ProviderInfo(idx, pid or "", label or pid or "")
        for idx, pid, label in db.execute(
            "select provider_idx, provider_id, label from run_providers where run_id = ? order by provider_idx",
            [run_id],
        )
    ]
    variants = sorted(
        {v for (v,) in db.execute("select distinct variant from results where run_id = ?", [run_id])} or {"none"},
        key=variant_sort_key,
    )
    # promptfoo numbers prompts provider-major (provider 0: prompt 0, 1, ...; provider 1: ...).
    columns: list[Column] = []
    for prov in providers:
        for prompt in prompts:
            for variant in variants:
                columns.append(Column(len(columns), prov, prompt, variant))
    max_repeat = db.execute("select max(repeat) from results where run_id = ?", [run_id]).fetchone()[0]
    present = {r[1] for r in db.execute("pragma table_info(results)")}
    fields = RESULT_FIELDS + tuple(f for f in OPTIONAL_FIELDS if f in present)
    return RunInfo(run, prompts, providers, columns, (max_repeat or 0) + 1, fields)


def iter_rows(db: Database, info: RunInfo, order: str = ORDER_BY_TEST, chunk: int | None = None) -> Iterator[Row]:
    """Yield every result of the run in `order`, with its test case and assertion rows."""
    chunk = chunk or CHUNK
    run_id = int(info.run["id"])
    conn = db.conn
    fields = info.has_fields
    select = ", ".join(f"r.{f}" for f in fields)
    keys = conn.execute(f"select id from results where run_id = ? order by {order}", [run_id])
    last_test: tuple[int, TestInfo] | None = None
    while True:
        ids = [k[0] for k in keys.fetchmany(chunk)]
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        rows: dict[int, tuple[Any, ...]] = {
            r[0]: r
            for r in conn.execute(
                f"select {select}, t.description, t.vars, t.asserts, t.metadata from results r"
                " left join test_cases t on t.run_id = r.run_id and t.test_idx = r.test_idx"
                f" where r.id in ({marks})",
                ids,
            )
        }
        comps: dict[int, list[Component]] = defaultdict(list)
        for rid, idx, parent, atype, metric, ok, score, reason, weight, value in conn.execute(
            "select result_id, idx, parent_idx, type, metric, pass, score, reason, weight, value"
            f" from assertion_results where result_id in ({marks}) order by result_id, idx",
            ids,
        ):
            comps[rid].append(
                Component(
                    idx,
                    parent,
                    atype or "",
                    metric,
                    bool(ok),
                    score if score is not None else 0.0,
                    reason or "",
                    weight if weight is not None else 1.0,
                    value,
                )
            )
        n = len(fields)
        for rid in ids:
            raw = rows.get(rid)
            if raw is None:  # deleted between the two queries
                continue
            test_idx = raw[4]
            if last_test is None or last_test[0] != test_idx:
                desc, vars_, asserts, meta = raw[n:]
                last_test = (test_idx, TestInfo(desc, loads(vars_) or {}, loads(asserts) or [], loads(meta) or {}))
            yield Row(dict(zip(fields, raw[:n], strict=True)), last_test[1], comps.get(rid, []))


def column_metrics(db: Database, info: RunInfo) -> dict[tuple[int, int, str], dict[str, Any]]:
    """Per (provider, prompt, variant): counts, score, latency, tokens, cost, named scores."""
    run_id = int(info.run["id"])
    out: dict[tuple[int, int, str], dict[str, Any]] = {}
    for row in db.execute(
        "select provider_idx, prompt_idx, variant, count(*), sum(score), sum(success),"
        " sum(case when error is null and success = 0 then 1 else 0 end),"
        " sum(case when error is not null then 1 else 0 end), sum(latency_ms), sum(tokens_in), sum(tokens_out),"
        " sum(case when cached then coalesce(tokens_in, 0) + coalesce(tokens_out, 0) else 0 end),"
        " sum(cost), sum(case when cost is null and error is null then 1 else 0 end)"
        " from results where run_id = ? group by provider_idx, prompt_idx, variant",
        [run_id],
    ):
        pi, qi, var, n, score, ok, fail, err, lat, tin, tout, cached_tok, cost, unknown = row
        out[(pi, qi, var)] = {
            "n": n,
            "score": score or 0.0,
            "pass": ok or 0,
            "fail": fail or 0,
            "error": err or 0,
            "latency": lat or 0.0,
            "tokens_in": tin or 0,
            "tokens_out": tout or 0,
            "cached_tokens": cached_tok or 0,
            "cost": None if unknown else (cost or 0.0),
            "assert_pass": 0,
            "assert_fail": 0,
            "named": {},
            "named_count": {},
        }
    for pi, qi, var, ok, bad in db.execute(
        "select r.provider_idx, r.prompt_idx, r.variant, sum(a.pass), sum(1 - a.pass)"
        " from assertion_results a join results r on r.id = a.result_id"
        " where a.run_id = ? and r.error is null group by r.provider_idx, r.prompt_idx, r.variant",
        [run_id],
    ):
        if (pi, qi, var) in out:
            out[(pi, qi, var)]["assert_pass"] = ok or 0
            out[(pi, qi, var)]["assert_fail"] = bad or 0
    for pi, qi, var, key, total, count in db.execute(
        "select r.provider_idx, r.prompt_idx, r.variant, j.key, sum(j.value), count(*)"
        " from results r, json_each(r.named_scores) j where r.run_id = ? and r.named_scores is not null"
        " group by r.provider_idx, r.prompt_idx, r.variant, j.key",
        [run_id],
    ):
        if (pi, qi, var) in out:
            out[(pi, qi, var)]["named"][key] = total
            out[(pi, qi, var)]["named_count"][key] = count
    return out
