"""Write one run: its header, its prompts/providers/tests, then results in small batches.

Invariant: every batch is one transaction, so a killed run leaves a consistent database holding
every result of every committed batch. Results are keyed by (run_id, cell_key), so a resumed run
can skip what is already there and never writes a cell twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlite_utils import Database

from workbench.assertions.table import is_guardrail
from workbench.secrets import Redactor, redact_config
from workbench.signal_hold import hold_signals
from workbench.store.busy_retry import with_retry
from workbench.store.json_columns import dumps
from workbench.store.run_close import RunTotals, close_run
from workbench.store.run_owners import current_owner
from workbench.store.timestamps import now_iso
from workbench.store.transaction import transaction
from workbench.suite.families import git_commit_of
from workbench.tokens import count_tokens
from workbench.types import CellResult, GradingResult, Prompt, ProviderSpec, Suite, TestCase

# json.dumps(value, sort_keys=True, default=str), without a new encoder per call (one per test).
_IDENTITY_JSON = json.JSONEncoder(sort_keys=True, default=str)


def test_identity(test: TestCase) -> str:
    """Matches a test across runs: description + vars (order-insensitive)."""
    blob = _IDENTITY_JSON.encode({"d": test.description, "v": test.vars})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class RunWriter:
    def __init__(self, db: Database, run_id: int) -> None:
        self.db = db
        self.run_id = run_id
        self._redactor: Redactor | None = None

    def redactor(self, providers: Iterable[ProviderSpec] = ()) -> Redactor:
        """Secrets (env keys, provider apiKeys) are replaced in every string this writer stores,
        whatever carried them there: a var, a prompt, an output, an error."""
        if self._redactor is None:
            self._redactor = Redactor([p.config for p in providers])
        return self._redactor

    # -- run header ------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        db: Database,
        suite: Suite,
        *,
        config: dict[str, Any],
        cells_planned: int,
        label: str | None = None,
        git_sha: str | None = None,
        git_ref: str | None = None,
        estimate: dict[str, Any] | None = None,
        version: str = "",
        provider_facts: list[dict[str, Any]] | None = None,
        created: Callable[[RunWriter], None] | None = None,
    ) -> RunWriter:
        """`provider_facts[i]`: {"price": Price.to_dict() or None, "test_double": reason or None}.

        The row and its matrix are one transaction: a signal while they are written leaves no run.
        `created(writer)` is called as that transaction commits, with SIGINT/SIGTERM held from the
        commit until it returns: a caller that keeps the writer there always knows the run it has
        to finish, even when the signal comes right after the commit.
        """
        red = Redactor([p.config for p in suite.providers])

        def write() -> RunWriter:
            # An explicit BEGIN, not `with db.conn`: sqlite-utils commits each insert made outside
            # an open transaction at once, which would commit the run row before its matrix.
            try:
                db.conn.execute("BEGIN")
                db.table("runs").insert(
                    {
                        "label": red.text(label),
                        "suite_path": str(suite.path) if suite.path else None,
                        "suite_sha256": suite.sha256,
                        "description": red.text(suite.description),
                        "git_sha": git_sha,
                        "git_ref": git_ref,
                        "started_at": now_iso(),
                        "status": "running",
                        "owner": current_owner(),
                        "config": dumps(config),
                        "cells_planned": cells_planned,
                        "estimate": dumps(estimate) if estimate else None,
                        "workbench_version": version,
                    }
                )
                run_id = int(db.execute("select last_insert_rowid()").fetchone()[0])
                writer = cls(db, run_id)
                writer._write_matrix(suite, provider_facts)
            except BaseException:
                db.conn.rollback()
                raise
            with hold_signals():
                try:
                    db.conn.commit()
                except BaseException:
                    db.conn.rollback()
                    raise
                if created is not None:
                    created(writer)
            return writer

        return cast(RunWriter, with_retry(write))

    def _write_matrix(self, suite: Suite, facts: list[dict[str, Any]] | None = None) -> None:
        red = self.redactor(suite.providers)
        for idx, prompt in enumerate(suite.prompts):
            pv_id = upsert_prompt_version(self.db, prompt, red)
            self.db.table("run_prompts").insert(
                {"run_id": self.run_id, "prompt_idx": idx, "prompt_version_id": pv_id, "label": red.text(prompt.label)}
            )
        self.db.table("run_providers").insert_all(
            {
                "run_id": self.run_id,
                "provider_idx": i,
                "provider_id": p.id,
                "label": p.display,
                "config": dumps(redact_config(p.config)),
                **_facts(facts, i),
            }
            for i, p in enumerate(suite.providers)
        )
        # Plain tuples through executemany: sqlite-utils' dict path costs ~50 us per row.
        self.db.conn.executemany(
            "insert into test_cases (run_id, test_idx, identity, description, vars, asserts, metadata)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    self.run_id,
                    t.index,
                    test_identity(t),
                    red.text(t.description),
                    red.text(dumps(t.vars)),
                    red.text(dumps(t.asserts)),
                    red.text(dumps(t.metadata)),
                )
                for t in suite.tests
            ),
        )

    # -- results ---------------------------------------------------------------------------------
    def done_keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("select cell_key from results where run_id = ?", [self.run_id])}

    def done_cells(self) -> DoneCells:
        """The stored cells as a `key in done` test that reads them a window of tests at a time."""
        return DoneCells(self.db, self.run_id)

    def write_results(
        self, batch: Iterable[CellResult], providers: list[ProviderSpec], prompt_version_ids: dict[int, int]
    ) -> None:
        rows = list(batch)
        if not rows:
            return
        with_retry(self._write_batch, rows, providers, prompt_version_ids)

    def _write_batch(
        self, rows: list[CellResult], providers: list[ProviderSpec], prompt_version_ids: dict[int, int]
    ) -> None:
        created = now_iso()
        red = self.redactor(providers)
        # An assertion's own columns (type, metric, weight, value JSON, guardrail) are the same in
        # every row of its test: computed once per batch. The entry keeps the dict, so a reused id
        # can never match another assertion.
        static: dict[int, tuple[Any, tuple[str, Any, float, str, int]]] = {}
        assertion_rows: list[tuple[Any, ...]] = []
        # Rows without assertion results need no id back: they go through one executemany, in
        # order (flushed before the next row that needs its id), instead of an execute each.
        plain: list[tuple[Any, ...]] = []
        with transaction(self.db):
            cur = self.db.conn.cursor()
            for r in rows:
                resp = r.response
                provider = providers[r.cell.provider_idx]
                components = flatten(r.grading)
                guardrail_failures = sum(1 for _, _, g in components if not g.pass_ and is_guardrail(g.assertion))
                grader_cost = _sum_or_none(g.cost for _, _, g in components)
                grader_usage = grading_usage(components)
                grader_tokens = grader_usage["total"]
                output = resp.output
                values = red.row(
                    self.run_id,
                    r.cell.key,
                    r.cell.prompt_idx,
                    r.cell.provider_idx,
                    r.cell.test_idx,
                    r.cell.repeat,
                    r.cell.variant,
                    prompt_version_ids.get(r.cell.prompt_idx),
                    provider.id,
                    provider.display,
                    resp.model,
                    r.prompt_text,
                    output if isinstance(output, str) or output is None else dumps(output),
                    int(r.success),
                    r.score,
                    r.error,
                    resp.tokens_in,
                    resp.tokens_out,
                    resp.token_source,
                    resp.cost,
                    resp.cached_cost,
                    resp.latency_ms,
                    resp.wall_ms,
                    int(resp.cached),
                    resp.attempts,
                    resp.fallback_used,
                    resp.finish_reason,
                    dumps(r.named_scores) if r.named_scores else None,
                    grader_cost,
                    grader_tokens or None,
                    guardrail_failures,
                    dumps(r.compression.to_dict()) if r.compression else None,
                    created,
                    dumps(resp.usage) if resp.usage else None,
                    dumps(grader_usage) if grader_usage["numRequests"] else None,
                    None if isinstance(output, str) or output is None else 1,
                )
                if not components:
                    plain.append(values)
                    continue
                if plain:
                    cur.executemany(_INSERT_RESULT, plain)
                    plain.clear()
                cur.execute(_INSERT_RESULT, values)
                if cur.rowcount == 0:  # already stored (resume): keep the first
                    continue
                result_id = cur.lastrowid
                for idx, parent, g in components:
                    key = id(g.assertion) if not g.metadata.get("assertSet") else -1 - id(g)
                    entry = static.get(key)
                    if entry is None or (key >= 0 and entry[0] is not g.assertion):
                        entry = static[key] = (g.assertion, _assertion_columns(g))
                    atype, metric, weight, value, guardrail = entry[1]
                    assertion_rows.append(
                        red.row(
                            result_id,
                            self.run_id,
                            idx,
                            parent,
                            atype,
                            metric,
                            int(g.pass_),
                            g.score,
                            g.reason,
                            weight,
                            value,
                            guardrail,
                        )
                    )
            if plain:
                cur.executemany(_INSERT_RESULT, plain)
            cur.executemany(
                "insert into assertion_results (result_id, run_id, idx, parent_idx, type, metric, pass,"
                " score, reason, weight, value, is_guardrail) values (?,?,?,?,?,?,?,?,?,?,?,?)",
                assertion_rows,
            )

    def finish(self, status: str) -> RunTotals:
        """Compute the run's totals from its stored results and close it."""
        # A signal now would roll the transaction back and leave the run `running`: it waits
        # until the run is finished, then takes effect (workbench/signal_hold.py).
        with hold_signals():
            return cast(RunTotals, with_retry(close_run, self.db, self.run_id, status))


def upsert_prompt_version(db: Database, prompt: Prompt, red: Redactor | None = None) -> int:
    red = red or Redactor()
    path = str(prompt.path) if prompt.path else None
    label = red.text(prompt.label)
    existing = db.execute(
        "select id from prompt_versions where sha256 = ? and label = ? and path is ?",
        [prompt.sha256, label, path],
    ).fetchone()
    if existing:
        return int(existing[0])

    db.table("prompt_versions").insert(
        {
            "sha256": prompt.sha256,
            "family": prompt.family,
            "version": prompt.version,
            "label": label,
            "path": path,
            "text": red.text(prompt.raw),
            "is_chat": int(prompt.is_chat),
            "tokens": count_tokens(prompt.raw),
            "git_commit": git_commit_of(prompt.path) if prompt.path else None,
            "first_seen": now_iso(),
        }
    )
    return int(db.execute("select last_insert_rowid()").fetchone()[0])


# `insert or ignore`: a cell already stored (a resumed run) keeps its first result.
_INSERT_RESULT = (
    "insert or ignore into results (run_id, cell_key, prompt_idx, provider_idx, test_idx,"
    " repeat, variant, prompt_version_id, provider_id, provider_label, model, prompt, output,"
    " success, score, error, tokens_in, tokens_out, token_source, cost, cached_cost,"
    " latency_ms, wall_ms, cached, attempts, fallback_used, finish_reason, named_scores,"
    " grader_cost, grader_tokens, guardrail_failures, compression, created_at, usage, grader_usage,"
    " output_json)"
    " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def flatten(grading: GradingResult | None) -> list[tuple[int, int | None, GradingResult]]:
    """promptfoo's flattened componentResults: an assert-set entry is followed by its children."""
    out: list[tuple[int, int | None, GradingResult]] = []
    if grading is None:
        return out

    def walk(items: list[GradingResult], parent: int | None) -> None:
        for g in items:
            idx = len(out)
            out.append((idx, parent, g))
            if g.metadata.get("assertSet"):
                walk(g.component_results, idx)

    walk(grading.component_results, None)
    return out


def _assertion_columns(g: GradingResult) -> tuple[str, Any, float, str, int]:
    """(type, metric, weight, value as JSON, is_guardrail) of an assertion_results row."""
    a = g.assertion or {}
    return _atype(g), a.get("metric"), _weight(g), dumps(a.get("value")), int(is_guardrail(g.assertion))


def _atype(g: GradingResult) -> str:
    if g.metadata.get("assertSet"):
        return "assert-set"
    return str((g.assertion or {}).get("type", ""))


def _weight(g: GradingResult) -> float:
    w = (g.assertion or {}).get("weight", 1)
    return float(w) if isinstance(w, (int, float)) else 1.0


USAGE_KEYS = ("total", "prompt", "completion", "cached", "numRequests")


def grading_usage(components: list[tuple[int, int | None, GradingResult]]) -> dict[str, int]:
    """promptfoo's tokensUsed summed over a result's assertions (the grader calls of model-graded ones)."""
    out = dict.fromkeys(USAGE_KEYS, 0)
    for _, _, g in components:
        if not g.tokens_used:  # the common case: a deterministic assertion made no grader call
            continue
        for key in USAGE_KEYS:
            out[key] += int(g.tokens_used.get(key, 0) or 0)
    return out


def _facts(facts: list[dict[str, Any]] | None, i: int) -> dict[str, Any]:
    if facts is None or i >= len(facts):
        return {}
    fact = facts[i]
    return {"price": dumps(fact["price"]) if fact.get("price") else None, "test_double": fact.get("test_double")}


def _sum_or_none(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


class DoneCells:
    """The cell keys a run has stored, for resuming it: `key in done` loads the keys of a window
    of `WINDOW` tests around the key's test (index `(run_id, test_idx)`), so asking in test order
    (the order cells are made in) holds one window of keys, never the whole run's."""

    WINDOW = 2000

    def __init__(self, db: Database, run_id: int) -> None:
        self.db = db
        self.run_id = run_id
        self.count = int(db.execute("select count(*) from results where run_id = ?", [run_id]).fetchone()[0])
        self._lo = self._hi = 0
        self._keys: set[str] = set()

    def __len__(self) -> int:
        return self.count

    def __contains__(self, key: object) -> bool:
        if not self.count or not isinstance(key, str):
            return False
        test_idx = int(key.rsplit(":", 2)[1])  # prompt:variant:provider:test:repeat (a variant may hold ':')
        if not self._lo <= test_idx < self._hi:
            self._lo, self._hi = test_idx, test_idx + self.WINDOW
            self._keys = {
                r[0]
                for r in self.db.execute(
                    "select cell_key from results where run_id = ? and test_idx >= ? and test_idx < ?",
                    [self.run_id, self._lo, self._hi],
                )
            }
        return key in self._keys
