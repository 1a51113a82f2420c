"""The database schema, as `sqlite_utils.Migrations`.

Rules: a migration is never edited after it lands; add `m00N_...` instead. Tables stay plain
(one fact per column) so that Datasette, the sqlite-utils CLI and pandas read them without
workbench; JSON columns hold only genuinely nested data (vars, assertion values, configs).
See `docs/database.md` for the column reference.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from workbench.store.guardrail_totals import store as store_guardrail_totals

migrations = Migrations("workbench")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("runs").create(
        {
            "id": int,
            "label": str,  # e.g. the git ref the run was made at
            "suite_path": str,
            "suite_sha256": str,
            "description": str,
            "git_sha": str,
            "git_ref": str,
            "started_at": str,  # ISO 8601 UTC
            "finished_at": str,
            "status": str,  # running | completed | interrupted | failed | budget_exceeded
            "config": str,  # JSON: the RunConfig (no secrets)
            "cells_planned": int,
            "results": int,
            "passes": int,
            "failures": int,
            "errors": int,
            "pass_rate": float,
            "tokens_in": int,
            "tokens_out": int,
            "cost": float,  # NULL when any priced call had an unknown price
            "cached": int,
            "cache_hit_ratio": float,
            "estimate": str,  # JSON: the dry-run estimate made before the run
            "workbench_version": str,
        },
        pk="id",
    )
    db.table("prompt_versions").create(
        {
            "id": int,
            "sha256": str,
            "family": str,
            "version": str,
            "label": str,
            "path": str,
            "text": str,
            "is_chat": int,
            "tokens": int,  # cl100k_base count of the raw template
            "git_commit": str,
            "first_seen": str,
        },
        pk="id",
    )
    db.table("prompt_versions").create_index(["sha256", "label", "path"], unique=True)
    db.table("prompt_versions").create_index(["family", "version"])
    db.table("run_prompts").create(
        {"run_id": int, "prompt_idx": int, "prompt_version_id": int, "label": str},
        pk=("run_id", "prompt_idx"),
        foreign_keys=[("run_id", "runs", "id"), ("prompt_version_id", "prompt_versions", "id")],
    )
    db.table("run_providers").create(
        {"run_id": int, "provider_idx": int, "provider_id": str, "label": str, "config": str},
        pk=("run_id", "provider_idx"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("test_cases").create(
        {
            "run_id": int,
            "test_idx": int,
            "identity": str,  # sha256 of description + vars: matches a test across runs
            "description": str,
            "vars": str,  # JSON
            "asserts": str,  # JSON
            "metadata": str,  # JSON
        },
        pk=("run_id", "test_idx"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("results").create(
        {
            "id": int,
            "run_id": int,
            "cell_key": str,  # prompt_idx:variant:provider_idx:test_idx:repeat, unique per run
            "prompt_idx": int,
            "provider_idx": int,
            "test_idx": int,
            "repeat": int,
            "variant": str,
            "prompt_version_id": int,
            "provider_id": str,
            "provider_label": str,
            "model": str,
            "prompt": str,  # the rendered prompt actually sent
            "output": str,  # text; JSON text when a transform produced a non-string
            "success": int,
            "score": float,
            "error": str,
            "tokens_in": int,
            "tokens_out": int,
            "token_source": str,
            "cost": float,  # NULL = unknown price; 0 for cache hits
            "cached_cost": float,  # what a cache hit originally cost
            "latency_ms": float,
            "wall_ms": float,
            "cached": int,
            "attempts": int,
            "fallback_used": str,
            "finish_reason": str,
            "named_scores": str,  # JSON
            "grader_cost": float,
            "grader_tokens": int,
            "guardrail_failures": int,
            "compression": str,  # JSON: method, rate, tokens before/after, seconds
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("results").create_index(["run_id", "cell_key"], unique=True)
    db.table("results").create_index(["run_id", "prompt_idx", "variant", "provider_idx"])
    db.table("results").create_index(["run_id", "test_idx"])
    db.table("assertion_results").create(
        {
            "id": int,
            "result_id": int,
            "run_id": int,
            "idx": int,  # position in the flattened componentResults
            "parent_idx": int,  # the assert-set entry this belongs to, else NULL
            "type": str,
            "metric": str,
            "pass": int,
            "score": float,
            "reason": str,
            "weight": float,
            "value": str,  # JSON
            "is_guardrail": int,
        },
        pk="id",
        foreign_keys=[("result_id", "results", "id"), ("run_id", "runs", "id")],
    )
    db.table("assertion_results").create_index(["result_id"])
    db.table("assertion_results").create_index(["run_id", "is_guardrail", "pass"])
    db.table("cache").create(
        {
            "key": str,  # sha256 of canonical JSON (provider, model, messages, params, repeat, seed)
            "provider_id": str,
            "model": str,
            "response": str,  # JSON ProviderResponse
            "created_at": float,  # unix seconds
            "hits": int,
        },
        pk="key",
    )
    db.table("compressions").create(
        {
            "key": str,  # sha256 of text, method, rate, compressor model
            "method": str,
            "rate": float,
            "compressor_model": str,
            "original": str,
            "compressed": str,
            "original_tokens": int,
            "compressed_tokens": int,
            "seconds": float,
            "created_at": float,
        },
        pk="key",
    )


@migrations()
def m002_routers(db: Database) -> None:
    # Trained cost routers (workbench/routing). `artifact` holds joblib bytes of a scikit-learn
    # pipeline: loading it unpickles, so only load databases you trust.
    db.table("routers").create(
        {
            "id": int,  # also the router's version: a name trained again gets a new id
            "name": str,
            "created_at": str,  # ISO 8601 UTC
            "suite_path": str,
            "run_ids": str,  # JSON list of the runs it was trained on
            "cheap_model": str,
            "strong_model": str,
            "models": str,  # JSON list, cheapest first
            "threshold": float,  # route to the strong model when P(cheap passes) < threshold
            "metrics": str,  # JSON: the cross-validated evaluation report
            "sklearn_version": str,
            "artifact": bytes,  # joblib/pickle bytes: trusted input only
        },
        pk="id",
    )
    db.table("routers").create_index(["name"])


@migrations()
def m003_analysis_indexes(db: Database) -> None:
    # Covering indexes for workbench/analysis: per-pair aggregates read the index, not the wide
    # result rows (prompt/output text), and latency_ms follows the pair columns so p95 needs no sort.
    db.execute(
        "create index if not exists idx_results_pair_stats on results (run_id, prompt_version_id, variant,"
        " provider_label, latency_ms, prompt_idx, test_idx, repeat, success, score, error, guardrail_failures,"
        " tokens_in, tokens_out, cost, cached_cost, cached, attempts, fallback_used)"
    )
    db.execute(
        "create index if not exists idx_results_named_scores on results (run_id, prompt_version_id, variant,"
        " provider_label, named_scores) where named_scores is not null"
    )


@migrations()
def m004_fast_analysis(db: Database) -> None:
    # UI first render on 100k-result runs (issue 7). Per-cell index: run comparisons and version
    # diffs join results cell to cell (prompt_idx, variant, provider_idx, test_idx, repeat) on the
    # index alone. It extends the m001 (run_id, prompt_idx, variant, provider_idx) index, which
    # is dropped as redundant.
    db.execute(
        "create index if not exists idx_results_cells on results (run_id, prompt_idx, variant, provider_idx,"
        " test_idx, repeat, success, provider_label, guardrail_failures, error)"
    )
    db.execute("drop index if exists idx_results_run_id_prompt_idx_variant_provider_idx")
    # Empty unless a run has repeats: "does this run have repeats?" is one seek.
    db.execute("create index if not exists idx_results_repeats on results (run_id) where repeat != 0")
    db.execute("create index if not exists idx_test_cases_identity on test_cases (run_id, identity)")
    # Guardrail counts by metric read the index, not the assertion rows (reason/value text).
    db.execute(
        "create index if not exists idx_assertion_results_guardrails on assertion_results"
        " (run_id, is_guardrail, pass, metric, type, result_id)"
    )
    db.execute("drop index if exists idx_assertion_results_run_id_is_guardrail_pass")
    # Per-pair sums of a finished run, written once by RunWriter.finish (workbench/analysis/
    # pair_totals.py): the pair statistics of a 100k-result run without reading its results.
    # Rows are trusted only while `run_results` equals runs.results, the run is not running and
    # `version` is the reader's; otherwise the statistics are computed from the results.
    db.table("pair_totals").create(
        {
            "run_id": int,
            "prompt_version_id": int,
            "variant": str,
            "provider_label": str,
            "prompt_idx": int,  # the pair's first prompt_idx
            "n": int,
            "passes": int,
            "errors": int,
            "mean_score": float,
            "guardrail_failures": int,
            "guardrail_failed_results": int,
            "mean_tokens_in": float,
            "mean_tokens_out": float,
            "sum_tokens_in": int,
            "sum_tokens_out": int,
            "mean_latency_ms": float,
            "n_latency": int,
            "p95_latency_ms": float,
            "sum_cost": float,
            "priced": int,
            "unknown_cost": int,
            "actual_cost": float,
            "cache_hit_rate": float,
            "retry_share": float,
            "fallback_share": float,
            "s_ii": float,
            "s_io": float,
            "s_oo": float,
            "s_ci": float,
            "s_co": float,
            "run_results": int,  # runs.results when these rows were written
            "version": int,  # of the aggregate definition (pair_totals.VERSION)
        },
        foreign_keys=[("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db.table("pair_totals").create_index(["run_id"], if_not_exists=True)


@migrations()
def m005_provider_batches(db: Database) -> None:
    # `workbench run --batch` (workbench/run/batch_mode.py): one row per batch submitted to a
    # provider's batch API and one per request in it, so a restarted run or `workbench batch collect`
    # picks finished batches up without submitting them again. No API key is stored.
    db.table("batches").create(
        {
            "batch_id": str,
            "api": str,  # openai | anthropic
            "provider_id": str,
            "base_url": str,
            "status": str,  # the provider's status word; `collected` once every result is stored
            "n_items": int,
            "counts": str,  # JSON: the provider's request counts
            "message": str,  # why a whole batch failed or expired
            "created_at": str,
            "updated_at": str,
        },
        pk="batch_id",
        if_not_exists=True,
    )
    db.table("batch_items").create(
        {
            "batch_id": str,
            "custom_id": str,  # the request's cache key
            "state": str,  # pending | done | error
            "body": str,  # JSON: the provider's answer
            "error": str,
        },
        pk=("batch_id", "custom_id"),
        foreign_keys=[("batch_id", "batches", "batch_id")],
        if_not_exists=True,
    )
    db.table("batch_items").create_index(["custom_id"], if_not_exists=True)


@migrations()
def m006_optimizations(db: Database) -> None:
    # `workbench optimize` (workbench/optimize/): the candidates' runs are ordinary runs; this row
    # keeps what the search concluded (frontier, winner, diff, evidence) for the UI's Optimize view.
    db.table("optimizations").create(
        {
            "id": int,
            "family": str,
            "version": str,
            "suite": str,
            "created_at": str,
            "written": str,  # the new version file, or null when nothing cheaper held
            "result": str,  # JSON: see workbench/optimize/optimize_command.py OptimizeResult.to_dict
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("optimizations").create_index(["family"], if_not_exists=True)


@migrations()
def m007_compression_facts(db: Database) -> None:
    # The fact-retention guard (compression/fact_guard.py): the facts a compressor dropped (JSON
    # list) before the guard put them back. Rows from before the guard have NULL.
    if "facts_dropped" not in db.table("compressions").columns_dict:
        db.execute("alter table compressions add column facts_dropped text")


@migrations()
def m008_cost(db: Database) -> None:
    # Trustworthy cost (issue 15). results.usage: the usage details a price depends on (cached
    # input, reasoning, cache-write tokens), JSON. run_providers.price: the price the run used for
    # that provider (JSON: source, per-token values or $/hour, kind), NULL = unknown;
    # run_providers.test_double: why the provider is a test double, NULL for a real model.
    # runs.grader_cost: the run's spend on grading (runs.cost stays the graded calls' spend).
    # pair_totals gains the grader and fallback spend per pair (pair_totals.VERSION 2).
    added: dict[str, dict[str, type]] = {
        "results": {"usage": str},
        "run_providers": {"price": str, "test_double": str},
        "runs": {"grader_cost": float},
        "pair_totals": {"grader_cost": float, "grader_unknown": int, "fallback_cost": float},
    }
    for table, columns in added.items():
        if not db.table(table).exists():
            continue
        have = set(db.table(table).columns_dict)
        for name, kind in columns.items():
            if name not in have:
                db.table(table).add_column(name, kind)


@migrations()
def m009_grader_usage(db: Database) -> None:
    # Grading is part of the bill (issue 15): results.grader_usage holds the grader calls' token
    # usage of one result as promptfoo's tokensUsed ({total, prompt, completion, cached,
    # numRequests}, JSON), so every report fills `gradingResult.tokensUsed`.
    if db.table("results").exists() and "grader_usage" not in db.table("results").columns_dict:
        db.table("results").add_column("grader_usage", str)


@migrations()
def m010_output_json(db: Database) -> None:
    # Outputs that are not strings (a transform returning an object) stay objects in every report,
    # as in promptfoo (issue 22): results.output holds their JSON text and output_json is 1.
    if db.table("results").exists() and "output_json" not in db.table("results").columns_dict:
        db.table("results").add_column("output_json", int)


@migrations()
def m011_pair_outcomes(db: Database) -> None:
    # Compare runs without joining 100k results (issue 18): per (run, prompt_idx, variant,
    # provider_idx), bitsets over test_idx of the repeat-0 results that are present, passed,
    # failed, errored, or failed a guardrail (store/pair_outcomes.py), written by RunWriter.finish.
    # Trusted only while `run_results` equals runs.results, the run is not running and `version`
    # is the reader's; otherwise the comparison joins the results as before.
    db.table("pair_outcomes").create(
        {
            "run_id": int,
            "prompt_idx": int,
            "variant": str,
            "provider_idx": int,
            "present": bytes,
            "passed": bytes,
            "failed": bytes,
            "errored": bytes,
            "guarded": bytes,
            "run_results": int,
            "version": int,
        },
        pk=("run_id", "prompt_idx", "variant", "provider_idx"),
        if_not_exists=True,
    )
    # "Do both runs hold the same tests at the same indexes?" on two covering index reads instead
    # of the test rows (their vars and assertions).
    db.execute("create index if not exists idx_test_cases_idx_identity on test_cases (run_id, test_idx, identity)")


@migrations()
def m012_run_owner(db: Database) -> None:
    # A run killed with `kill -9` used to stay `running` forever: runs.owner (JSON: host, machine
    # id, boot id, PID namespace, pid and its start time; store/run_owners.py) names the process
    # that runs it, so readers close a run whose owner is gone as `interrupted`. NULL on older runs.
    if db.table("runs").exists() and "owner" not in db.table("runs").columns_dict:
        db.table("runs").add_column("owner", str)


@migrations()
def m013_guardrail_totals(db: Database) -> None:
    # The Guardrails page without counting a 100k-result run's guardrail assertions (issue 18): per
    # (run, prompt_idx, variant, provider_idx, metric), the checks, failures and failed results
    # (store/guardrail_totals.py), written by RunWriter.finish. Trusted only while `run_results`
    # equals runs.results, the run is not running and `version` is the reader's; otherwise the page
    # counts the assertions as before. Finished runs without rows are filled here, once.
    db.table("guardrail_totals").create(
        {
            "run_id": int,
            "prompt_idx": int,
            "variant": str,
            "provider_idx": int,
            "metric": str,  # NULL: the marker row of a run without guardrail assertions
            "checks": int,
            "failures": int,
            "failed_results": int,
            "run_results": int,
            "version": int,
        },
        if_not_exists=True,
    )
    db.table("guardrail_totals").create_index(["run_id"], if_not_exists=True)
    finished = db.execute(
        "select id from runs where status != 'running' and coalesce(results, 0) > 0"
        " and id not in (select run_id from guardrail_totals)"
    ).fetchall()
    for (run_id,) in finished:
        store_guardrail_totals(db, run_id)
