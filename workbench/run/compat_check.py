"""Compare a workbench (or promptfoo) `-o out.json` with a compat case's `expected.json`.

A case directory holds `promptfooconfig.yaml` and `expected.json` (promptfoo 0.121.20's
normalized verdicts, see tests/compat/differential/README.md). A row agrees when pass, score (within
`tolerance`), the error flag and every per-assertion (type, pass, score) match. Rows of
`meteor` assertions are the one accepted difference: promptfoo's CLI build throws on every
METEOR assertion (an oracle bug) while workbench computes a real score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.run.command import RunRequest, execute

ACCEPTED_DIFFERENCES = {"meteor": "promptfoo's CLI build throws on every METEOR assertion (oracle bug)"}


@dataclass
class RowDiff:
    test_index: int
    prompt_index: int
    problems: list[str]
    accepted: str | None = None  # why the difference is accepted, when it is


@dataclass
class CaseReport:
    case: str
    rows: int
    agree: int
    accepted: int
    diffs: list[RowDiff] = field(default_factory=list)
    error: str | None = None  # the case could not be run or compared at all

    @property
    def ok(self) -> bool:
        return self.error is None and all(d.accepted for d in self.diffs)

    def summary(self) -> str:
        if self.error:
            return f"{self.case}: ERROR {self.error}"
        extra = f" ({self.accepted} accepted differences)" if self.accepted else ""
        return f"{self.case}: {self.agree}/{self.rows} rows agree{extra}"


def _component_type(c: dict[str, Any]) -> str:
    a = c.get("assertion")
    if isinstance(a, dict) and a.get("type") and not (c.get("metadata") or {}).get("assertionSet"):
        return str(a["type"])
    meta = c.get("metadata") or {}
    if isinstance(meta.get("assertionSet"), dict) or meta.get("assertSet"):
        return "assert-set"
    return str((a or {}).get("type", ""))


def normalize_results(results_json: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    """promptfoo v3 `results.results[]` -> {(testIdx, promptIdx): normalized record}."""
    rows = results_json.get("results", {}).get("results", [])
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for r in rows:
        error = r.get("failureReason") == 2  # 1 = assertion failure (error holds its reason)
        grading = r.get("gradingResult") or {}
        comps = [] if error else grading.get("componentResults") or []
        out[(int(r["testIdx"]), int(r["promptIdx"]))] = {
            "pass": bool(r.get("success")),
            "score": r.get("score", 0) or 0,
            "error": error,
            "per_assertion": [
                {"type": _component_type(c), "pass": bool(c.get("pass")), "score": c.get("score")} for c in comps
            ],
        }
    return out


def _close(a: Any, b: Any, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    fa, fb = float(a), float(b)
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    return abs(fa - fb) <= tol


def compare_rows(expected: dict[str, Any], actual: dict[str, Any] | None, tol: float = 1e-6) -> list[str]:
    if actual is None:
        return ["row missing from results"]
    problems = []
    if expected["error"] != actual["error"]:
        problems.append(f"error: expected {expected['error']}, got {actual['error']}")
    if expected["pass"] != actual["pass"]:
        problems.append(f"pass: expected {expected['pass']}, got {actual['pass']}")
    if not _close(expected["score"], actual["score"], tol):
        problems.append(f"score: expected {expected['score']}, got {actual['score']}")
    exp_pa, act_pa = expected.get("per_assertion") or [], actual.get("per_assertion") or []
    if len(exp_pa) != len(act_pa):
        problems.append(f"assertions: expected {len(exp_pa)}, got {len(act_pa)}")
    for i, (e, a) in enumerate(zip(exp_pa, act_pa, strict=False)):
        if e["type"] != a["type"] or e["pass"] != a["pass"] or not _close(e["score"], a["score"], tol):
            problems.append(
                f"assert[{i}] expected {e['type']} pass={e['pass']} score={e['score']}, got {a['type']} pass={a['pass']} score={a['score']}"
            )
    return problems


def _accepted(case_dir: Path, expected: dict[str, Any]) -> str | None:
    cfg = (
        (case_dir / "promptfooconfig.yaml").read_text(encoding="utf-8")
        if (case_dir / "promptfooconfig.yaml").exists()
        else ""
    )
    if expected.get("error") and any(f"type: {t}" in cfg or f"type: not-{t}" in cfg for t in ACCEPTED_DIFFERENCES):
        for t, why in ACCEPTED_DIFFERENCES.items():
            if case_dir.name == t or f"type: {t}" in cfg:
                return why
    return None


def compare_case(case_dir: Path | str, results_json: dict[str, Any] | Path | str, tol: float = 1e-6) -> CaseReport:
    """Compare one case's expected.json with a `-o out.json` (a dict or a path)."""
    case_dir = Path(case_dir)
    data = (
        results_json if isinstance(results_json, dict) else json.loads(Path(results_json).read_text(encoding="utf-8"))
    )
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    return compare_records(case_dir, expected, data, tol)


def compare_records(
    case_dir: Path, expected: list[dict[str, Any]], data: dict[str, Any], tol: float = 1e-6
) -> CaseReport:
    """Compare normalized expected records with a promptfoo-shaped `-o out.json` dict."""
    actual = normalize_results(data)
    report = CaseReport(case=case_dir.name, rows=len(expected), agree=0, accepted=0)
    for e in expected:
        key = (int(e["test_index"]), int(e["prompt_index"]))
        problems = compare_rows(e, actual.get(key), tol)
        if not problems:
            report.agree += 1
            continue
        why = _accepted(case_dir, e)
        if why:
            report.accepted += 1
        report.diffs.append(RowDiff(key[0], key[1], problems, why))
    return report


DEFAULT_EXPECTED = ("expected.json", "oracle.json", "output.json")


def records_from_output(data: dict[str, Any]) -> list[dict[str, Any]]:
    """promptfoo's raw `-o out.json` -> the corpus' normalized records (sorted by test, prompt)."""
    rows = normalize_results(data)
    return [{"test_index": t, "prompt_index": p, **rec} for (t, p), rec in sorted(rows.items())]


def load_expected(path: Path) -> list[dict[str, Any]]:
    """Normalized records from an `expected.json` (a list) or a raw promptfoo output (an object)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return records_from_output(data)
    raise ValueError(f"{path}: neither normalized records (a list) nor a promptfoo `-o` JSON output")


def case_dirs(root: Path) -> list[Path]:
    """`root` itself when it holds a promptfooconfig.yaml, else each subdirectory that does."""
    root = Path(root)
    if (root / "promptfooconfig.yaml").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if (p / "promptfooconfig.yaml").is_file())


def expected_file(case_dir: Path, expected_name: str | None) -> Path | None:
    names = (expected_name,) if expected_name else DEFAULT_EXPECTED
    return next((case_dir / n for n in names if (case_dir / n).is_file()), None)


def run_workbench(case_dir: Path, out: Path, db: Path) -> None:
    """Run the case's promptfooconfig.yaml through workbench (in its directory) into `out`."""
    import contextlib

    with contextlib.chdir(case_dir):
        execute(RunRequest(paths=[Path("promptfooconfig.yaml")], outputs=[out], db=db, quiet=True, threshold=0))


def check_directory(root: Path | str, expected_name: str | None = None, tol: float = 1e-6) -> list[CaseReport]:
    """Run every promptfoo config under `root` through workbench and compare with its stored output.

    The stored output is `expected_name` when given, else the first of expected.json (normalized
    corpus records), oracle.json, output.json (promptfoo's raw `-o` output). Runs go to a
    temporary database; nothing is written next to the cases.
    """
    import tempfile

    reports: list[CaseReport] = []
    with tempfile.TemporaryDirectory(prefix="workbench-compat-") as tmp:
        for i, case in enumerate(case_dirs(Path(root))):
            name = case.name
            exp_path = expected_file(case, expected_name)
            if exp_path is None:
                wanted = expected_name or " / ".join(DEFAULT_EXPECTED)
                reports.append(CaseReport(name, 0, 0, 0, error=f"no stored promptfoo output ({wanted})"))
                continue
            expected: list[dict[str, Any]] = []
            try:
                expected = load_expected(exp_path)
                out = Path(tmp) / f"{i}.json"
                run_workbench(case.resolve(), out, Path(tmp) / "compat.db")
                data = json.loads(out.read_text(encoding="utf-8"))
            except (WorkbenchError, ValueError, OSError) as e:
                reports.append(CaseReport(name, len(expected), 0, 0, error=str(e)))
                continue
            reports.append(compare_records(case, expected, data, tol))
    return reports
