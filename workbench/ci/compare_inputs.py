"""Resolve `workbench compare BASE HEAD` inputs into runs of one database, paired by suite.

A side is a run id, a run label (e.g. the git ref a CI job ran at: `--label base`), or a
promptfoo-shaped JSON file (written by `workbench run -o x.json` or by promptfoo itself). A label
run over several suites names several runs (one per suite): the newest run of each suite under
that label, paired with the other side's run of the same suite file name. JSON files, and any run
compared with one, are copied into an in-memory database, so the user's database is never changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.analysis.comparison import RunComparison, compare_runs
from workbench.analysis.coverage import unmatched_reasons
from workbench.analysis.evidence_plan import settle
from workbench.analysis.significance import DEFAULT_ALPHA
from workbench.analysis.version_pairing import parse_predecessor
from workbench.assertions.table import is_guardrail
from workbench.ci.gates import Gate, GateConfig, evaluate
from workbench.errors import UsageError
from workbench.store.db import open_db, open_memory
from workbench.store.db_path import default_db_path
from workbench.store.json_columns import dumps
from workbench.store.queries import resolve_run
from workbench.store.run_import import RunPart, copy_run, import_run
from workbench.store.writer import now_iso, test_identity
from workbench.suite.families import family_version_of, normalized_sha256
from workbench.tokens import count_tokens
from workbench.types import TestCase


@dataclass
class RunPair:
    name: str  # the suite's file name, or the run's label
    base_id: int | None
    head_id: int | None


@dataclass
class CompareInputs:
    db: Database
    base_label: str
    head_label: str
    pairs: list[RunPair] = field(default_factory=list)


def is_json_input(ref: str) -> bool:
    p = Path(ref)
    return p.suffix.lower() == ".json" and p.is_file()


# -- promptfoo JSON -> a stored run ------------------------------------------------------------------


def _load_document(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if isinstance(results, dict) and isinstance(results.get("results"), list):
        return doc
    raise UsageError(f"{path}: results.results: expected promptfoo output (`promptfoo eval -o` / `workbench run -o`)")


def _prompt_path(label: str) -> str | None:
    """promptfoo labels file prompts `path: template`; the path is what names the version."""
    head = label.split(": ", 1)[0]
    return head if ": " in label and Path(head).suffix else None


def _output_text(output: Any) -> str | None:
    if output is None or isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False)


def _usage(r: dict[str, Any]) -> tuple[int | None, int | None]:
    for usage in (_obj(r.get("response")).get("tokenUsage"), r.get("tokenUsage")):
        if isinstance(usage, dict) and (usage.get("prompt") or usage.get("completion")):
            return usage.get("prompt"), usage.get("completion")
    return None, None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _components(r: dict[str, Any]) -> list[dict[str, Any]]:
    grading = r.get("gradingResult") or {}
    comps = grading.get("componentResults") if isinstance(grading, dict) else None
    return [c for c in comps or [] if isinstance(c, dict)]


def import_json(db: Database, path: Path, label: str | None = None) -> int:
    """Store a promptfoo-shaped JSON file as a run of `db` (through `store.run_import`); returns the run id."""
    doc = _load_document(path)
    body = doc["results"]
    config = _obj(doc.get("config"))
    wb_config = _obj(config.get("workbench"))
    meta = _obj(doc.get("metadata"))
    header = {
        "label": label or path.name,
        "suite_path": wb_config.get("suitePath") or str(path),
        "description": config.get("description"),
        "git_sha": meta.get("gitSha"),
        "started_at": meta.get("evaluationCreatedAt") or body.get("timestamp") or now_iso(),
        "status": meta.get("status") or "completed",
        "config": dumps({**(wb_config.get("runConfig") or {}), "imported_from": str(path)}),
        "cells_planned": len(body["results"]),
        "workbench_version": meta.get("workbenchVersion"),
    }
    return import_run(db, header, [_json_part(path, body)]).run_id


def _json_part(path: Path, body: dict[str, Any]) -> RunPart:
    """The rows of promptfoo's `results` block; prompt versions are keyed by prompt index."""
    templates = [p for p in body.get("prompts") or [] if isinstance(p, dict)]
    versions: dict[int, dict[str, Any]] = {}
    part = RunPart(prompt_version=versions.get)
    providers: dict[str, int] = {}
    repeats: dict[tuple[Any, ...], int] = {}
    tests: set[int] = set()
    results: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for i, r in enumerate(body["results"]):
        if not isinstance(r, dict):
            raise UsageError(f"{path}: results.results[{i}]: expected an object")
        wb = _obj(r.get("workbench"))
        p_idx = int(wb.get("promptIdx", r.get("promptIdx")) or 0)
        prompt = _obj(r.get("prompt"))
        if p_idx not in versions:
            template = templates[p_idx] if p_idx < len(templates) else {}
            raw = str(template.get("raw") or prompt.get("raw") or "")
            plabel = str(prompt.get("label") or template.get("label") or f"prompt {p_idx}")
            ppath = _prompt_path(plabel)
            fam = family_version_of(Path(ppath)) if ppath else None
            if wb.get("promptVersion") and "/" in str(wb["promptVersion"]):
                fam = tuple(str(wb["promptVersion"]).rsplit("/", 1))  # type: ignore[assignment]
            versions[p_idx] = {
                "sha256": normalized_sha256(raw),
                "family": fam[0] if fam else None,
                "version": fam[1] if fam else None,
                "label": plabel,
                "path": ppath,
                "text": raw,
                "is_chat": 0,
                "tokens": count_tokens(raw),
                "first_seen": now_iso(),
            }
            part.run_prompts.append({"prompt_idx": p_idx, "prompt_version_id": p_idx, "label": plabel})
        prov = r.get("provider") or {}
        prov_id = str(prov.get("id") if isinstance(prov, dict) else prov)
        prov_label = str((prov.get("label") if isinstance(prov, dict) else None) or prov_id)
        v_idx = int(wb["providerIdx"]) if "providerIdx" in wb else providers.setdefault(prov_label, len(providers))
        providers.setdefault(prov_label, v_idx)
        part.run_providers.append({"provider_idx": v_idx, "provider_id": prov_id, "label": prov_label})
        t_idx = int(wb.get("testIdx", r.get("testIdx")) or 0)
        tc = _obj(r.get("testCase"))
        tvars = tc.get("vars", r.get("vars")) or {}
        if t_idx not in tests:
            tests.add(t_idx)
            ident = test_identity(TestCase(index=t_idx, vars=tvars, asserts=[], description=tc.get("description")))
            part.test_cases.append(
                {
                    "test_idx": t_idx,
                    "identity": ident,
                    "description": tc.get("description"),
                    "vars": dumps(tvars),
                    "asserts": dumps(tc.get("assert") or []),
                    "metadata": dumps(tc.get("metadata") or {}),
                }
            )
        variant = str(wb.get("variant") or "none")
        key = (p_idx, variant, v_idx, t_idx)
        rep = int(wb["repeat"]) if "repeat" in wb else repeats.get(key, 0)
        repeats[key] = rep + 1
        response = _obj(r.get("response"))
        error = r.get("error") or response.get("error")
        if r.get("failureReason") not in (2, None) and not response.get("error"):
            error = None  # an assertion failure's `error` is its reason, not an ERROR row
        comps = _components(r)
        tin, tout = _usage(r)
        row = {
            "cell_key": f"{p_idx}:{variant}:{v_idx}:{t_idx}:{rep}",
            "prompt_idx": p_idx,
            "provider_idx": v_idx,
            "test_idx": t_idx,
            "repeat": rep,
            "variant": variant,
            "prompt_version_id": p_idx,
            "provider_id": prov_id,
            "provider_label": prov_label,
            "model": wb.get("model"),
            "prompt": str(prompt.get("raw") or ""),
            "output": _output_text(response.get("output")),
            "success": int(bool(r.get("success"))),
            "score": float(r.get("score") or 0.0),
            "error": str(error) if error else None,
            "tokens_in": tin,
            "tokens_out": tout,
            "token_source": wb.get("tokenSource") or ("usage" if tin is not None else None),
            "cost": r.get("cost", response.get("cost")),
            "cached_cost": wb.get("cachedCost"),
            "latency_ms": wb.get("latencyMs", r.get("latencyMs")),
            "cached": int(bool(response.get("cached"))),
            "attempts": wb.get("attempts"),
            "named_scores": dumps(r["namedScores"]) if r.get("namedScores") else None,
            "guardrail_failures": sum(1 for c in comps if not c.get("pass") and is_guardrail(c.get("assertion"))),
            "created_at": now_iso(),
        }
        assertions = [
            {
                "idx": j,
                "type": str((c.get("assertion") or {}).get("type", "assert-set")),
                "metric": (c.get("assertion") or {}).get("metric"),
                "pass": int(bool(c.get("pass"))),
                "score": c.get("score"),
                "reason": c.get("reason"),
                "value": dumps((c.get("assertion") or {}).get("value")),
                "is_guardrail": int(is_guardrail(c.get("assertion"))),
            }
            for j, c in enumerate(comps)
        ]
        results.append((row, assertions))
    part.results = [results]
    return part


# -- resolving both sides ---------------------------------------------------------------------------


def suite_name(db: Database, run_id: int) -> str:
    row = db.execute("select suite_path, label from runs where id = ?", [run_id]).fetchone()
    return Path(row[0]).name if row and row[0] else f"run {run_id}"


def runs_for(db: Database, ref: str) -> list[int]:
    """A run id -> that run; a label or git ref -> the newest run of each suite that carries it."""
    text = str(ref).strip()
    if text.isdigit() and db.execute("select 1 from runs where id = ?", [int(text)]).fetchone():
        return [int(text)]
    rows = db.execute(
        "select id, suite_path from runs where label = ? or git_ref = ? order by id desc", [text, text]
    ).fetchall()
    if not rows:
        return [resolve_run(db, text)]  # raises the standard "run not found" error
    newest: dict[str, int] = {}
    for rid, path in rows:
        newest.setdefault(Path(path).name if path else f"run {rid}", int(rid))
    return sorted(newest.values())


def check_baseline(ref: str, db_path: Path | None) -> None:
    """`run --baseline REF` checked before the run: a JSON file that parses, or a run id/label
    stored in the database (UsageError, exit 2, otherwise; nothing has run or been written)."""
    text = str(ref)
    if text.lower().endswith(".json"):
        if not is_json_input(text):
            raise UsageError(f"--baseline {text}: no such file")
        _load_document(Path(text))
        return
    path = Path(db_path) if db_path is not None else default_db_path()
    if not path.is_file():
        raise UsageError(f"--baseline {text}: no stored run to compare with ({path} does not exist)")
    try:
        runs_for(open_db(path, create=False), text)
    except UsageError as e:
        raise UsageError(f"--baseline {text}: {e}") from None


def pair_runs(db: Database, base_ids: list[int], head_ids: list[int]) -> list[RunPair]:
    """One run on each side: compare them. Several: pair them by suite file name."""
    if len(base_ids) == 1 and len(head_ids) == 1:
        return [RunPair(suite_name(db, head_ids[0]), base_ids[0], head_ids[0])]
    base = {suite_name(db, b): b for b in base_ids}
    head = {suite_name(db, h): h for h in head_ids}
    return [RunPair(n, base.get(n), head.get(n)) for n in sorted(base.keys() | head.keys())]


def resolve_inputs(
    base: str, head: str, db_path: Path | None = None, *, head_ids: list[int] | None = None
) -> CompareInputs:
    """Both sides as runs of one database (the user's, or an in-memory copy when a JSON is involved).

    `head_ids` (for `workbench run --baseline`) are runs of the database at `db_path` that stand
    for HEAD; `head` is then only its display name."""
    refs = (str(base), str(head))
    for r in refs[: 1 if head_ids is not None else 2]:
        if r.lower().endswith(".json") and not is_json_input(r):
            raise UsageError(f"{r}: no such file")
    json_sides = [is_json_input(refs[0]), head_ids is None and is_json_input(refs[1])]
    if not any(json_sides):
        db = open_db(db_path, create=False)
        ids = [runs_for(db, refs[0]), head_ids if head_ids is not None else runs_for(db, refs[1])]
        return CompareInputs(db, refs[0], refs[1], pair_runs(db, ids[0], ids[1]))
    mem = open_memory()
    stored: Database | None = None
    ids = []
    for side, r in enumerate(refs):
        if json_sides[side]:
            ids.append([import_json(mem, Path(r))])
            continue
        stored = stored or open_db(db_path, create=False)
        wanted = head_ids if side == 1 and head_ids is not None else runs_for(stored, r)
        ids.append([copy_run(stored, rid, mem) for rid in wanted])
    return CompareInputs(mem, refs[0], refs[1], pair_runs(mem, ids[0], ids[1]))


# -- the review: every suite compared, gates applied --------------------------------------------------


@dataclass
class SuiteComparison:
    name: str
    base_id: int | None
    head_id: int | None
    comparison: RunComparison | None  # None when one side has no run of this suite


@dataclass
class Review:
    inputs: CompareInputs
    suites: list[SuiteComparison]
    gates: GateConfig
    tripped: list[Gate]

    @property
    def ok(self) -> bool:
        return not self.tripped

    @property
    def compared(self) -> list[tuple[str, RunComparison]]:
        return [(s.name, s.comparison) for s in self.suites if s.comparison is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.inputs.base_label,
            "head": self.inputs.head_label,
            "verdict": "pass" if self.ok else "fail",
            "gates": self.gates.to_dict(),
            "tripped": [g.to_dict() for g in self.tripped],
            "suites": [
                {
                    "name": s.name,
                    "base_run": s.base_id,
                    "head_run": s.head_id,
                    "comparison": s.comparison.to_dict() if s.comparison else None,
                    "evidence": _evidence(s.comparison),
                }
                for s in self.suites
            ],
        }


def _evidence(c: RunComparison | None) -> dict[str, Any] | None:
    """What would settle an inconclusive verdict (analysis.evidence_plan.settle), for --json."""
    more = settle(c) if c is not None else None
    return more.to_dict() if more else None


def review(inputs: CompareInputs, gates: GateConfig) -> Review:
    """Compare every paired suite (analysis.compare.compare_runs) and evaluate the gates.

    A suite whose comparison matched no (test, pair) row, or inputs with no suite on both sides,
    are a UsageError (exit 2) unless `gates.allow_empty`: a gate over nothing can only pass."""
    predecessors = tuple(parse_predecessor(s) for s in gates.predecessors)
    alpha = gates.significance if gates.significance is not None else DEFAULT_ALPHA
    suites: list[SuiteComparison] = []
    for p in inputs.pairs:
        c = None
        if p.base_id is not None and p.head_id is not None:
            c = compare_runs(inputs.db, p.base_id, p.head_id, predecessors=predecessors, alpha=alpha)
            if c.matched == 0 and not gates.allow_empty:
                where = "" if len(inputs.pairs) == 1 else f"[{p.name}] "
                raise UsageError(
                    f"{where}nothing to compare: BASE {inputs.base_label} (run {p.base_id}) and HEAD"
                    f" {inputs.head_label} (run {p.head_id}) share no (test, pair):"
                    f" {unmatched_reasons(inputs.db, p.base_id, p.head_id, predecessors)}"
                    " (--allow-empty to accept)"
                )
        suites.append(SuiteComparison(p.name, p.base_id, p.head_id, c))
    if not any(s.comparison for s in suites) and not gates.allow_empty:
        only = ", ".join(f"{s.name} (only in {'HEAD' if s.base_id is None else 'BASE'})" for s in suites)
        raise UsageError(
            f"nothing to compare: no suite ran on both sides: {only or 'no runs'} (--allow-empty to accept)"
        )
    out = Review(inputs, suites, gates, [])
    out.tripped = evaluate(out.compared, gates)
    return out
